-- One fixed Connect call, repeated: POST BENCH_PATH with the body BENCH_BODY, or the bytes of
-- the file BENCH_BODY_FILE (a binary protobuf message: Lua strings hold any bytes), sent as
-- BENCH_CONTENT_TYPE (default application/json).
dofile(os.getenv("BENCH_LUA") .. "/report.lua")

local body = os.getenv("BENCH_BODY")
local file = os.getenv("BENCH_BODY_FILE")
if file then
  local f = assert(io.open(file, "rb"))
  body = f:read("*a")
  f:close()
end

wrk.method = "POST"
wrk.path = os.getenv("BENCH_PATH")
wrk.body = body
wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE") or "application/json"
