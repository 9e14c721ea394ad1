// connect-es in Node (@connectrpc/connect-node) against gitpod-mock over HTTP/2: the Connect,
// gRPC and gRPC-Web transports, each with binary and JSON codecs, on message types that
// protoc-gen-es generates from contract/ at test time (through buf generate).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, ConnectError, Code } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { startMock } from '../node/mock-server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLE_ID = 'd2c94c27-3b76-4a42-b88c-95a85e392c68';
const RUNNER = '07503cd0-8150-42b7-8429-5bf8513241c9';

let mock;
let service;
before(async () => {
  const template = JSON.stringify({
    version: 'v2',
    plugins: [{ local: 'protoc-gen-es', out: 'gen', opt: ['target=js', 'import_extension=js'] }],
  });
  const contract = path.join(HERE, '../../contract');
  const paths = ['gitpod', 'buf', 'gnostic'].flatMap((dir) => ['--path', path.join(contract, dir)]);
  execFileSync(path.join(HERE, 'node_modules/.bin/buf'), ['generate', contract, ...paths, '--template', template], {
    cwd: HERE,
    env: { ...process.env, PATH: `${path.join(HERE, 'node_modules/.bin')}:${process.env.PATH}` },
  });
  ({ RunnerConfigurationService: service } = await import('./gen/gitpod/v1/runner_configuration_pb.js'));
  mock = await startMock('--quiet');
});
after(() => mock?.stop());

const transports = {
  connect: createConnectTransport,
  grpc: createGrpcTransport,
  'grpc-web': createGrpcWebTransport,
};

for (const [name, create] of Object.entries(transports)) {
  for (const useBinaryFormat of [true, false]) {
    const codec = useBinaryFormat ? 'proto' : 'json';
    test(`the ${name} transport over HTTP/2, ${codec}`, async () => {
      const transport = create({ baseUrl: mock.url, httpVersion: '2', useBinaryFormat });
      const client = createClient(service, transport);
      const session = { 'x-mock-session': `node-${name}-${codec}` };
      const got = await client.getSCMIntegration({ id: EXAMPLE_ID }, { headers: session });
      assert.equal(got.integration?.id, EXAMPLE_ID);
      assert.equal(got.integration?.host, 'gitlab.com');
      const listed = await client.listSCMIntegrations({ filter: { runnerIds: [RUNNER] } }, { headers: session });
      assert.ok(listed.integrations.length > 0);
      assert.ok(listed.integrations.every((i) => i.runnerId === RUNNER));
      await assert.rejects(client.getSCMIntegration({ id: 'nope' }, { headers: session }), (e) => {
        assert.ok(e instanceof ConnectError);
        assert.equal(e.code, Code.InvalidArgument);
        assert.equal(e.rawMessage, 'validation error: id: value must be a valid UUID');
        assert.equal(e.details[0]?.desc?.typeName ?? e.details[0]?.type, 'buf.validate.Violations');
        return true;
      });
      await assert.rejects(
        client.getSCMIntegration({ id: EXAMPLE_ID }, { headers: { ...session, 'x-mock-scenario': 'not-found-everything' } }),
        (e) => e instanceof ConnectError && e.code === Code.NotFound,
      );
      const journal = await (await fetch(`${mock.url}/__mock/journal?session=${session['x-mock-session']}`)).json();
      const wire = name === 'connect' ? `connect+${codec}` : `${name}+${codec}`;
      assert.deepEqual([...new Set(journal.entries.map((e) => e.protocol))], [wire]);
    });
  }
}
