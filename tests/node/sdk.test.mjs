// The npm @gitpod/sdk (0.6.0: Stainless, JSON over POST) against gitpod-mock: create, get, list
// and delete round trips through the SDK's resource API, asserting what comes back, and a call
// abandoned at the SDK's timeout that the journal still records.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Gitpod, { APIConnectionTimeoutError, BadRequestError, ConflictError, NotFoundError } from '@gitpod/sdk';
import { startMock } from './mock-server.mjs';

const RUNNER = 'd2c94c27-3b76-4a42-b88c-95a85e392c68'; // fixture runner; also a class, integration and token id
const UNKNOWN = '3f1c6b0e-9a4d-4e8b-a1f2-7c5d9e0b4a11';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function collect(pages) {
  const items = [];
  for await (const item of pages) {
    items.push(item);
    assert.ok(items.length < 10_000, 'pagination did not terminate');
  }
  return items;
}

describe('@gitpod/sdk against gitpod-mock', () => {
  let mock;
  let client;
  let configurations;

  before(async () => {
    mock = await startMock('--generate', '30');
    // The SDK's default base URL ends in /api; the mock accepts both forms.
    client = new Gitpod({ bearerToken: 'test-token', baseURL: `${mock.url}/api`, maxRetries: 0 });
    configurations = client.runners.configurations;
  });

  after(async () => mock?.stop());

  test('SCM integration: create, get, list, update, delete', async () => {
    const { id } = await configurations.scmIntegrations.create({
      runnerId: RUNNER,
      scmId: 'github',
      host: 'github.node.example',
      oauthClientId: 'client_id',
      oauthPlaintextClientSecret: 'client_secret',
    });
    assert.match(id, UUID);

    const { integration } = await configurations.scmIntegrations.retrieve({ id });
    assert.equal(integration.id, id);
    assert.equal(integration.runnerId, RUNNER);
    assert.equal(integration.scmId, 'github');
    assert.equal(integration.host, 'github.node.example');
    assert.equal(integration.oauth.clientId, 'client_id');
    assert.ok(integration.oauth.encryptedClientSecret, 'the secret comes back encrypted');
    assert.doesNotMatch(JSON.stringify(integration), /client_secret/);

    await configurations.scmIntegrations.update({ id, oauthClientId: 'new_client_id' });
    const updated = await configurations.scmIntegrations.retrieve({ id });
    assert.equal(updated.integration.oauth.clientId, 'new_client_id');
    assert.equal(updated.integration.host, 'github.node.example', 'update keeps what it was not given');

    const listed = await collect(configurations.scmIntegrations.list({ filter: { runnerIds: [RUNNER] } }));
    assert.ok(listed.some((i) => i.id === id), 'the new integration is listed');
    assert.ok(listed.every((i) => i.runnerId === RUNNER), 'the runner filter holds');

    await assert.rejects(
      configurations.scmIntegrations.create({ runnerId: RUNNER, scmId: 'github', host: 'github.node.example', pat: true }),
      ConflictError,
    );

    await configurations.scmIntegrations.delete({ id });
    await assert.rejects(configurations.scmIntegrations.retrieve({ id }), (err) => {
      assert.ok(err instanceof NotFoundError, `${err}`);
      assert.equal(err.status, 404);
      assert.equal(err.error.code, 'not_found');
      assert.match(err.error.message, new RegExp(id));
      return true;
    });
    const after = await collect(configurations.scmIntegrations.list({ filter: { runnerIds: [RUNNER] } }));
    assert.ok(!after.some((i) => i.id === id), 'a deleted integration is not listed');
  });

  test('host authentication token: create, get, list, delete', async () => {
    const { token } = await configurations.hostAuthenticationTokens.create({
      runnerId: RUNNER,
      userId: 'f53d2330-3795-4c5d-a1f3-453121af9c60',
      host: 'github.com',
      token: 'gho_node_secret',
      source: 'HOST_AUTHENTICATION_TOKEN_SOURCE_OAUTH',
      expiresAt: '2030-06-30T12:00:00+02:00',
    });
    assert.match(token.id, UUID);
    assert.equal(token.expiresAt, '2030-06-30T10:00:00Z', 'timestamps come back in UTC');
    assert.doesNotMatch(JSON.stringify(token), /gho_node_secret/);

    const got = await configurations.hostAuthenticationTokens.retrieve({ id: token.id });
    assert.deepEqual(got.token, token);

    const listed = await collect(configurations.hostAuthenticationTokens.list({ filter: { runnerId: RUNNER } }));
    assert.ok(listed.some((t) => t.id === token.id));

    await configurations.hostAuthenticationTokens.delete({ id: token.id });
    await assert.rejects(configurations.hostAuthenticationTokens.retrieve({ id: token.id }), NotFoundError);
  });

  test('environment class: create, get, update, list', async () => {
    const { id } = await configurations.environmentClasses.create({
      runnerId: RUNNER,
      displayName: 'Node Large',
      description: '8 CPU, 16GB RAM',
      configuration: [
        { key: 'cpu', value: '8' },
        { key: 'memory', value: '16384' },
      ],
    });
    const { environmentClass } = await configurations.environmentClasses.retrieve({ environmentClassId: id });
    assert.equal(environmentClass.displayName, 'Node Large');
    assert.deepEqual(environmentClass.configuration, [
      { key: 'cpu', value: '8' },
      { key: 'memory', value: '16384' },
    ]);
    await configurations.environmentClasses.update({ environmentClassId: id, enabled: false });
    const enabled = await collect(configurations.environmentClasses.list({ filter: { enabled: true } }));
    assert.ok(!enabled.some((c) => c.id === id), 'a disabled class is not listed as enabled');
    assert.ok(enabled.every((c) => c.enabled));
  });

  test('auto-pagination sees every record once', async () => {
    const everything = await collect(configurations.environmentClasses.list({ pageSize: 100 }));
    const paged = await collect(configurations.environmentClasses.list({ pageSize: 7 }));
    assert.ok(paged.length > 30);
    assert.equal(new Set(paged.map((c) => c.id)).size, paged.length, 'no record twice');
    assert.deepEqual(paged.map((c) => c.id).sort(), everything.map((c) => c.id).sort());
  });

  test('errors map to the SDK error classes with the Connect code and message', async () => {
    await assert.rejects(configurations.scmIntegrations.retrieve({ id: 'not-a-uuid' }), (err) => {
      assert.ok(err instanceof BadRequestError, `${err}`);
      assert.equal(err.error.code, 'invalid_argument');
      assert.match(err.error.message, /validation error: id: value must be a valid UUID/);
      return true;
    });
    await assert.rejects(configurations.schema.retrieve({ runnerId: UNKNOWN }), NotFoundError);
  });

  test('a call the SDK gives up on at its timeout is still in the journal', async () => {
    const hold = await fetch(`${mock.url}/__mock/scenarios?name=hold`, { method: 'POST', body: 'rules:\n  - delay: {ms: 10000}\n' });
    assert.equal(hold.status, 200, await hold.text());
    const headers = { 'x-mock-scenario': 'hold', 'x-mock-session': 'node-timeout' };
    await assert.rejects(
      configurations.scmIntegrations.retrieve({ id: RUNNER }, { timeout: 300, maxRetries: 0, headers }),
      APIConnectionTimeoutError,
    );
    // The SDK sends no Connect-Timeout-Ms, so to the mock the client just went away.
    let entries = [];
    for (let i = 0; i < 500 && entries.length === 0; i++) {
      const journal = await (await fetch(`${mock.url}/__mock/journal?session=node-timeout`)).json();
      entries = journal.entries;
      if (entries.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(entries.length, 1, 'the abandoned call reached the journal');
    assert.deepEqual([entries[0].method, entries[0].code, entries[0].scenario], ['GetSCMIntegration', 'canceled', 'hold']);
  });
});
