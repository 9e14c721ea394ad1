// Calls gitpod-mock cross-origin in the connect-web style and shows what happened. The mock's
// URL comes from ?mock=…; ?refusing=… names a second mock that must not allow this origin.
const params = new URLSearchParams(location.search);
const MOCK = params.get('mock');
const REFUSING = params.get('refusing');
const SERVICE = 'gitpod.v1.RunnerConfigurationService';
const RUNNER = 'd2c94c27-3b76-4a42-b88c-95a85e392c68';

// A unary Connect call with the JSON codec, as connect-web's transport sends it.
async function unary(base, method, message) {
  const response = await fetch(`${base}/${SERVICE}/${method}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Connect-Protocol-Version': '1',
      'Connect-Timeout-Ms': '5000',
      'Authorization': 'Bearer browser-token',
      'X-Mock-Session': 'browser',
    },
    body: JSON.stringify(message),
  });
  const body = await response.json();
  return { status: response.status, contentType: response.headers.get('content-type'), body };
}

// The Connect GET form of a call without side effects; the custom headers make it preflighted too.
async function unaryGet(base, method, message) {
  const query = new URLSearchParams({ connect: 'v1', encoding: 'json', message: JSON.stringify(message) });
  const response = await fetch(`${base}/${SERVICE}/${method}?${query}`, {
    headers: { 'Authorization': 'Bearer browser-token', 'X-Mock-Session': 'browser' },
  });
  return { status: response.status, body: await response.json() };
}

// A unary gRPC-Web call with the JSON codec, as grpc-web clients send it: the message in one
// envelope; the answer's envelopes are the message (flag 0) and the trailers (flag 0x80), or,
// for an error with no message, the status in the response headers.
async function grpcWeb(base, method, message) {
  const json = new TextEncoder().encode(JSON.stringify(message));
  const body = new Uint8Array(5 + json.length);
  new DataView(body.buffer).setUint32(1, json.length);
  body.set(json, 5);
  const response = await fetch(`${base}/${SERVICE}/${method}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/grpc-web+json',
      'X-Grpc-Web': '1',
      'X-User-Agent': 'grpc-web-javascript/0.1',
      'Grpc-Timeout': '5S',
      'X-Mock-Session': 'browser',
    },
    body,
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const out = { status: response.status, grpcStatus: response.headers.get('grpc-status'), grpcMessage: response.headers.get('grpc-message') };
  for (let at = 0; at + 5 <= bytes.length;) {
    const length = new DataView(bytes.buffer, at + 1, 4).getUint32(0);
    const payload = new TextDecoder().decode(bytes.subarray(at + 5, at + 5 + length));
    if (bytes[at] & 0x80) {
      for (const line of payload.split('\r\n')) {
        const [name, ...rest] = line.split(':');
        if (name === 'grpc-status') out.grpcStatus = rest.join(':').trim();
      }
    } else {
      out.message = JSON.parse(payload);
    }
    at += 5 + length;
  }
  return out;
}

function report(name, ok, detail) {
  const li = document.createElement('li');
  li.dataset.check = name;
  li.dataset.ok = String(ok);
  li.textContent = `${name}: ${detail}`;
  document.getElementById('checks').append(li);
  return ok;
}

async function check(name, run) {
  try {
    const [ok, detail] = await run();
    return report(name, ok, detail);
  } catch (err) {
    return report(name, false, `${err.name}: ${err.message}`);
  }
}

async function main() {
  const results = [];
  results.push(await check('list', async () => {
    const { status, body } = await unary(MOCK, 'ListSCMIntegrations', { filter: { runnerIds: [RUNNER] } });
    const rows = body.integrations ?? [];
    for (const i of rows) {
      const tr = document.createElement('tr');
      for (const value of [i.id, i.scmId, i.host, i.runnerId]) {
        const td = document.createElement('td');
        td.textContent = value;
        tr.append(td);
      }
      document.getElementById('integrations').append(tr);
    }
    return [status === 200 && rows.length > 0, `${status}, ${rows.length} integrations`];
  }));
  results.push(await check('create-then-get', async () => {
    const wanted = `github-${Date.now()}.browser.example`; // hosts are unique per runner
    const created = await unary(MOCK, 'CreateSCMIntegration', { runnerId: RUNNER, scmId: 'github', host: wanted, pat: true });
    const got = await unaryGet(MOCK, 'GetSCMIntegration', { id: created.body.id });
    const host = got.body.integration?.host;
    return [created.status === 200 && got.status === 200 && host === wanted, `created ${created.body.id}, GET read host ${host}`];
  }));
  results.push(await check('connect-error', async () => {
    const { status, contentType, body } = await unary(MOCK, 'GetSCMIntegration', { id: '3f1c6b0e-9a4d-4e8b-a1f2-7c5d9e0b4a11' });
    return [status === 404 && contentType === 'application/json' && body.code === 'not_found', `${status} ${body.code}: ${body.message}`];
  }));
  results.push(await check('grpc-web', async () => {
    const got = await grpcWeb(MOCK, 'GetSCMIntegration', { id: RUNNER });
    const host = got.message?.integration?.host;
    return [got.status === 200 && got.grpcStatus === '0' && Boolean(host), `${got.status}, grpc-status ${got.grpcStatus}, host ${host}`];
  }));
  results.push(await check('grpc-web-error', async () => {
    const got = await grpcWeb(MOCK, 'GetSCMIntegration', { id: 'not-a-uuid' });
    return [got.status === 200 && got.grpcStatus === '3' && /valid UUID/.test(got.grpcMessage ?? ''), `grpc-status ${got.grpcStatus}: ${got.grpcMessage}`];
  }));
  if (REFUSING) {
    results.push(await check('refused-origin', async () => {
      try {
        await unary(REFUSING, 'ListSCMIntegrations', {});
        return [false, 'the browser let the call through'];
      } catch (err) {
        return [err instanceof TypeError, `blocked by the browser (${err.message})`];
      }
    }));
  }
  const passed = results.filter(Boolean).length;
  document.getElementById('status').textContent = `${passed}/${results.length} checks passed`;
  document.body.dataset.done = 'true';
}

main();
