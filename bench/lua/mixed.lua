-- The mixed workload: 70% reads, 30% writes, in a fixed cycle of 20 calls per thread.
--   8 GetEnvironmentClass, 6 ListEnvironmentClasses (14 reads)
--   2 UpdateEnvironmentClass, 2 CreateHostAuthenticationToken, 2 DeleteHostAuthenticationToken
--   (6 writes)
-- A delete removes a token that an earlier create in this thread made (its id is read from the
-- create's answer), so the store keeps its size: the load measures a steady state, and stays
-- within the mock's per-session record budget however long it runs.
-- Env: BENCH_LUA (this folder), BENCH_IDS (comma-separated environment class ids),
-- BENCH_RUNNER (a runner id).
dofile(os.getenv("BENCH_LUA") .. "/report.lua")

local service = "/gitpod.v1.RunnerConfigurationService/"
local headers = { ["Content-Type"] = "application/json" }
local ids = {}
for id in string.gmatch(os.getenv("BENCH_IDS") or "", "[^,]+") do
  ids[#ids + 1] = id
end
local runner = os.getenv("BENCH_RUNNER") or ""
local counter = 0
local created = {} -- token ids waiting to be deleted: a queue from head to tail
local head, tail = 1, 0

local function call(method, body)
  return wrk.format("POST", service .. method, headers, body)
end

local function class_id()
  return ids[(counter % #ids) + 1]
end

function request()
  counter = counter + 1
  local slot = counter % 20
  if slot < 8 then
    return call("GetEnvironmentClass", '{"environmentClassId":"' .. class_id() .. '"}')
  elseif slot < 14 then
    return call("ListEnvironmentClasses", '{"pagination":{"pageSize":20}}')
  elseif slot < 16 then
    return call("UpdateEnvironmentClass", '{"environmentClassId":"' .. class_id() ..
      '","displayName":"renamed ' .. counter .. '"}')
  elseif slot < 18 or head > tail then
    return call("CreateHostAuthenticationToken", '{"runnerId":"' .. runner ..
      '","host":"bench.example.com","token":"gho_bench","source":"HOST_AUTHENTICATION_TOKEN_SOURCE_OAUTH"}')
  else
    local id = created[head]
    created[head] = nil
    head = head + 1
    return call("DeleteHostAuthenticationToken", '{"id":"' .. id .. '"}')
  end
end

function response(status, headers, body)
  if status == 200 and string.sub(body, 1, 9) == '{"token":' then
    local id = string.match(body, '"id":"([%x%-]+)"')
    if id then
      tail = tail + 1
      created[tail] = id
    end
  end
end
