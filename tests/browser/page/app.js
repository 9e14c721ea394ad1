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
