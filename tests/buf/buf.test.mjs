// buf curl, a client built on connect-go, against gitpod-mock: --protocol connect, grpc and
// grpcweb over h2c (HTTP/2 with prior knowledge) and over TLS with the --tls-self-signed
// certificate, finding the schema by server reflection alone or from contract/ with --schema;
// and health checking, which buf curl calls with unary Connect under --protocol connect.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMock } from '../node/mock-server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BUF = path.join(HERE, 'node_modules/.bin/buf');
const CONTRACT = path.join(HERE, '../../contract');
const SERVICE = 'gitpod.v1.RunnerConfigurationService';
const EXAMPLE_ID = 'd2c94c27-3b76-4a42-b88c-95a85e392c68';

/** Runs buf curl; resolves with its exit code, stdout and stderr. */
function curl(...args) {
  return new Promise((resolve) => {
    execFile(BUF, ['curl', ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? error.code ?? 1 : 0, stdout, stderr }));
  });
}

let plain;
let tls;
before(async () => {
  plain = await startMock('--quiet');
  tls = await startMock('--quiet', '--tls-self-signed', mkdtempSync(path.join(tmpdir(), 'gitpod-mock-buf-')));
});
after(async () => {
  await plain?.stop();
  await tls?.stop();
});

for (const protocol of ['connect', 'grpc', 'grpcweb']) {
  test(`reflection alone, over --protocol ${protocol}, lists the service and its methods`, async () => {
    const services = await curl('--protocol', protocol, '--http2-prior-knowledge', '--list-services', plain.url);
    assert.equal(services.code, 0, services.stderr);
    assert.ok(services.stdout.split('\n').includes(SERVICE), services.stdout);
    const methods = await curl('--protocol', protocol, '--http2-prior-knowledge', '--list-methods', plain.url);
    assert.equal(methods.code, 0, methods.stderr);
    const listed = methods.stdout.split('\n').filter((m) => m.startsWith(`${SERVICE}/`));
    assert.equal(listed.length, 21, methods.stdout); // the 16 documented methods and 5 more
  });

  test(`health Check over --protocol ${protocol}: SERVING, and not_found for another service`, async () => {
    const serving = await curl('--protocol', protocol, '--http2-prior-knowledge', '-d', '{"service":""}',
      `${plain.url}/grpc.health.v1.Health/Check`);
    assert.equal(serving.code, 0, serving.stderr);
    assert.deepEqual(JSON.parse(serving.stdout), { status: 'SERVING' });
    const unknown = await curl('--protocol', protocol, '--http2-prior-knowledge', '-d', '{"service":"nope"}',
      `${plain.url}/grpc.health.v1.Health/Check`);
    assert.notEqual(unknown.code, 0);
    assert.equal(JSON.parse(unknown.stderr).code, 'not_found');
  });

  test(`--protocol ${protocol} over h2c, by reflection and by --schema`, async () => {
    for (const schema of [[], ['--schema', CONTRACT]]) {
      const got = await curl('--protocol', protocol, '--http2-prior-knowledge', ...schema,
        '-H', `x-mock-session: buf-${protocol}`, '-d', JSON.stringify({ id: EXAMPLE_ID }),
        `${plain.url}/${SERVICE}/GetSCMIntegration`);
      assert.equal(got.code, 0, got.stderr);
      const body = JSON.parse(got.stdout);
      assert.equal(body.integration.id, EXAMPLE_ID);
      assert.equal(body.integration.host, 'gitlab.com');
    }
    const missing = await curl('--protocol', protocol, '--http2-prior-knowledge', '--schema', CONTRACT, '-d',
      JSON.stringify({ id: 'nope' }), `${plain.url}/${SERVICE}/GetSCMIntegration`);
    assert.notEqual(missing.code, 0);
    const error = JSON.parse(missing.stderr);
    assert.equal(error.code, 'invalid_argument');
    assert.equal(error.message, 'validation error: id: value must be a valid UUID');
    assert.equal(error.details[0].type, 'buf.validate.Violations');
  });

  test(`--protocol ${protocol} over TLS with the self-signed certificate`, async () => {
    const url = tls.url.replace('127.0.0.1', 'localhost');
    const got = await curl('--protocol', protocol, '--cacert', tls.certificate, '--schema', CONTRACT, '-d',
      JSON.stringify({ pagination: { pageSize: 1 } }), `${url}/${SERVICE}/ListSCMIntegrations`);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(JSON.parse(got.stdout).integrations.length, 1);
  });
}

test('the journal names each protocol buf curl spoke', async () => {
  const response = await fetch(`${plain.url}/__mock/journal?session=buf-grpcweb`);
  const protocols = (await response.json()).entries.map((e) => e.protocol);
  assert.deepEqual(protocols, ['grpc-web+proto', 'grpc-web+proto']); // by reflection, then by --schema
});
