// The dashboard's steering that the first file leaves out, in Debian's Chromium: the live
// view's filters narrow its rows, a scenario switched on server-wide reaches every session, and
// a record created from the data view is served by the API until it is deleted there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STANDARD, connect, open, row, useDashboard } from './dashboard-support.mjs';

useDashboard();

const shown = (page, session, field) =>
  row(page, session).evaluateAll((rows, f) => rows.map((r) => r.dataset[f]), field);

test('the live filters keep the rows of the method and the code asked for', async () => {
  const session = 't-filter';
  await connect(session, 'ListEnvironmentClasses', {});
  await connect(session, 'GetEnvironmentClass', { environmentClassId: 'not-a-uuid' });
  const { page, close } = await open('#live');
  try {
    await row(page, session).nth(1).waitFor();
    await page.getByTestId('filter-method').fill('GetEnv');
    assert.deepEqual(await shown(page, session, 'method'), ['GetEnvironmentClass']);
    await page.getByTestId('filter-method').fill('');
    await page.getByTestId('filter-code').fill('invalid_argument');
    assert.deepEqual(await shown(page, session, 'code'), ['invalid_argument']);
    await page.getByTestId('filter-code').fill('');
    assert.equal(await row(page, session).count(), 2, 'cleared, both calls again');
  } finally {
    await close();
  }
});

test('a scenario switched on server-wide answers every session until it is switched off', async () => {
  const { page, close } = await open('#scenarios');
  try {
    const server = page.getByTestId('toggle-server-permission-denied-writes');
    await server.check();
    await page.getByTestId('scenarios-status').filter({ hasText: 'permission-denied-writes on server-wide' }).waitFor();
    const body = { environmentClassId: STANDARD, displayName: 'Never saved' };
    for (const session of ['t-server-a', 't-server-b']) {
      const refused = await connect(session, 'UpdateEnvironmentClass', body);
      assert.equal(refused.status, 403, session);
      assert.equal(refused.body.code, 'permission_denied');
    }
    assert.equal((await connect('t-server-a', 'GetEnvironmentClass', { environmentClassId: STANDARD })).status, 200, 'reads still work');
    await server.uncheck();
    await page.getByTestId('scenarios-status').filter({ hasText: 'permission-denied-writes off server-wide' }).waitFor();
    assert.equal((await connect('t-server-b', 'UpdateEnvironmentClass', body)).status, 200);
  } finally {
    await close();
  }
});

test('a record created in the data view is served by the API, and deleting it there removes it', async () => {
  const session = 't-create';
  const { page, close } = await open(`#data?session=${session}`);
  try {
    await page.getByTestId('create-scm-integrations').click();
    const form = page.getByTestId('record-form');
    // The template copies the first integration (gitlab on the Standard runner); one per host.
    await form.getByTestId('field-host').fill('gitlab.dashboard.example');
    await form.getByTestId('record-save').click();
    const saved = page.getByTestId('data-status').filter({ hasText: /^created scm-integrations / });
    await saved.waitFor();
    const id = (await saved.innerText()).split(' ')[2];
    const got = await connect(session, 'GetSCMIntegration', { id });
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.equal(got.body.integration.host, 'gitlab.dashboard.example');

    const created = page.locator(`[data-testid=record-row][data-resource=scm-integrations][data-id="${id}"]`);
    await created.getByTestId('record-delete').click();
    await created.getByTestId('record-delete').filter({ hasText: 'Really delete?' }).click();
    await page.getByTestId('data-status').filter({ hasText: `deleted scm-integrations ${id}` }).waitFor();
    assert.equal((await connect(session, 'GetSCMIntegration', { id })).status, 404);
  } finally {
    await close();
  }
});
