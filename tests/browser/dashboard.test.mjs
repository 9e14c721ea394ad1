// The dashboard at /__mock/ui/, driven in Debian's Chromium by playwright-core: it loads with no
// console error and no request leaving loopback, shows a curl call live within a second, decodes
// a binary call in its detail, switches a scenario on, edits a record (and shows a broken rule
// at its field), and says why a rule did not fire. Each view is left as a screenshot in
// target/browser/dashboard/ for a person to look at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startMock } from '../node/mock-server.mjs';
import {
  READY, SERVICE, SHOTS, STANDARD, VIEWS, connect, curl, env, open, row, useDashboard,
} from './dashboard-support.mjs';

useDashboard();

test('the dashboard loads every view with no console error and no request beyond loopback', async () => {
  await connect('t-load', 'GetEnvironmentClass', { environmentClassId: STANDARD });
  const { page, errors, requests, close } = await open('#live?session=t-load');
  try {
    for (const view of VIEWS) {
      await page.getByTestId(`tab-${view}`).click();
      await page.locator(`#view-${view}`).waitFor({ state: 'visible' });
      await page.locator(`#view-${view} ${READY[view]}`).first().waitFor();
      await page.screenshot({ path: path.join(SHOTS, `${view}.png`), fullPage: false });
    }
    assert.equal(await page.locator('[data-testid=resource-environment-classes] [data-testid=record-row]').count() > 0, true,
      'the data view lists the fixture environment classes');
    assert.ok(await page.getByTestId('contract-method').count() >= 16, 'the contract view lists every method');
    await page.getByTestId('tab-coverage').click();
    const called = page.locator('[data-testid=coverage-row][data-method=GetEnvironmentClass]');
    assert.equal(await called.locator('td[data-code=ok]').innerText(), '1', "t-load's one call");
    assert.equal(await called.getAttribute('class'), '', 'a called method is not marked');
    const never = page.locator('[data-testid=coverage-row][data-method=ListSCMIntegrations]');
    assert.equal(await never.getAttribute('class'), 'never');
    assert.ok(await page.locator('[data-testid=coverage] td.gap').count() > 0, 'error paths not exercised are marked');
    assert.deepEqual(errors, [], 'no console errors');
    const outside = requests.filter((u) => {
      const url = new URL(u);
      if (url.protocol === 'data:' || url.protocol === 'blob:') return false;
      return !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    });
    assert.deepEqual(outside, [], 'every request stays on loopback');
    assert.ok(requests.some((u) => u.endsWith('/__mock/live')), 'the page reads the live stream');
  } finally {
    await close();
  }
});

test('a call made with curl appears in the live view within a second', async (t) => {
  const { page, close } = await open('#live');
  try {
    const { code, status } = await curl(['-X', 'POST', `${env.mock.url}/${SERVICE}/ListEnvironmentClasses`,
      '-H', 'content-type: application/json', '-H', 'x-mock-session: t-live', '-d', '{}']);
    const exited = Date.now();
    assert.equal(code, 0);
    assert.equal(status, 200);
    await row(page, 't-live').waitFor({ timeout: 5000 });
    const ms = Date.now() - exited;
    t.diagnostic(`the row appeared ${ms} ms after curl exited`);
    assert.ok(ms < 1000, `the row appeared ${ms} ms after curl exited`);
    assert.match(await row(page, 't-live').innerText(), /ListEnvironmentClasses[\s\S]*connect\+json[\s\S]*200 ok/);
  } finally {
    await close();
  }
});

test("a binary call's detail shows its request decoded as JSON, and a curl command that repeats it", async () => {
  const { page, close } = await open('#live');
  try {
    // GetEnvironmentClassRequest { environment_class_id = 2 }: tag 0x12, length, the UUID.
    const id = Buffer.from(STANDARD);
    const file = path.join(env.tmp, 'get.binpb');
    writeFileSync(file, Buffer.concat([Buffer.from([0x12, id.length]), id]));
    const { status } = await curl(['-X', 'POST', `${env.mock.url}/${SERVICE}/GetEnvironmentClass`,
      '-H', 'content-type: application/proto', '-H', 'x-mock-session: t-bin', '--data-binary', `@${file}`]);
    assert.equal(status, 200);
    await row(page, 't-bin').click();
    const request = page.getByTestId('detail-request');
    await request.waitFor();
    assert.match(await page.getByTestId('detail').innerText(), /connect\+proto/);
    assert.deepEqual(JSON.parse(await request.innerText()), { environmentClassId: STANDARD });
    const response = JSON.parse(await page.getByTestId('detail-response').innerText());
    assert.equal(response.environmentClass?.displayName, 'Standard', 'the binary answer decoded');
    assert.match(await page.getByTestId('detail-headers').innerText(), /content-type\s+application\/proto/);
    const command = await page.getByTestId('curl').innerText();
    assert.match(command, /-H 'content-type: application\/json'/);
    assert.match(command, /-H 'x-mock-session: t-bin'/);
    assert.ok(command.includes(`-d '{"environmentClassId":"${STANDARD}"}'`), command);
    await page.screenshot({ path: path.join(SHOTS, 'live-detail.png') });
  } finally {
    await close();
  }
});

test("switching a scenario on from the page changes the session's next answer", async () => {
  const session = 't-scenario';
  const before = await connect(session, 'GetEnvironmentClass', { environmentClassId: STANDARD });
  assert.equal(before.status, 200);
  const { page, close } = await open(`#scenarios?session=${session}`);
  try {
    const toggle = page.getByTestId('toggle-session-not-found-everything');
    await page.locator(`[data-testid=scenario-list][data-session="${session}"]`).waitFor();
    assert.equal(await toggle.isChecked(), false);
    await toggle.check();
    await page.getByTestId('scenarios-status').filter({ hasText: `not-found-everything on in ${session}` }).waitFor();
    const answer = await connect(session, 'GetEnvironmentClass', { environmentClassId: STANDARD });
    assert.equal(answer.status, 404);
    assert.equal(answer.body.code, 'not_found');
    const other = await connect('t-scenario-other', 'GetEnvironmentClass', { environmentClassId: STANDARD });
    assert.equal(other.status, 200, 'only the selected session');
    await page.getByTestId('toggle-session-not-found-everything').uncheck();
    await page.getByTestId('scenarios-status').filter({ hasText: `not-found-everything off in ${session}` }).waitFor();
    assert.equal((await connect(session, 'GetEnvironmentClass', { environmentClassId: STANDARD })).status, 200);
  } finally {
    await close();
  }
});

test('a record edited in the data view is what the API answers; a broken rule shows at its field', async () => {
  const session = 't-data';
  const { page, close } = await open(`#data?session=${session}`);
  try {
    const standard = page.locator(`[data-testid=record-row][data-resource=environment-classes][data-id="${STANDARD}"]`);
    await standard.getByTestId('record-edit').click();
    const form = page.getByTestId('record-form');
    await form.getByTestId('field-displayName').fill('Renamed from the dashboard');
    await form.getByTestId('record-save').click();
    await page.getByTestId('data-status').filter({ hasText: 'saved' }).waitFor();
    const got = await connect(session, 'GetEnvironmentClass', { environmentClassId: STANDARD });
    assert.equal(got.status, 200);
    assert.equal(got.body.environmentClass.displayName, 'Renamed from the dashboard');

    // display_name has (buf.validate.field).string = {min_len: 3, max_len: 127}.
    await standard.getByTestId('record-edit').click();
    await form.getByTestId('field-displayName').fill('ab');
    await form.getByTestId('record-save').click();
    const error = form.getByTestId('error-displayName');
    await error.filter({ hasText: /\S/ }).waitFor();
    assert.match(await error.innerText(), /at least 3 characters/);
    assert.equal(await form.getByTestId('error-description').innerText(), '', 'only the broken field');
    await page.screenshot({ path: path.join(SHOTS, 'data-invalid.png') });
    const still = await connect(session, 'GetEnvironmentClass', { environmentClassId: STANDARD });
    assert.equal(still.body.environmentClass.displayName, 'Renamed from the dashboard', 'the invalid edit changed nothing');

    const tokens = page.locator('[data-testid=record-row][data-resource=host-tokens]');
    const before = await tokens.count();
    await page.getByTestId('generate-count-host-tokens').fill('3');
    await page.getByTestId('generate-host-tokens').click();
    await page.getByTestId('data-status').filter({ hasText: 'generated 3 host-tokens' }).waitFor();
    await page.locator(`[data-testid=record-row][data-resource=host-tokens] >> nth=${before + 2}`).waitFor();
    assert.equal(await tokens.count(), before + 3);
  } finally {
    await close();
  }
});

test('the why panel names the reason a rule did not fire', async () => {
  const session = 't-why';
  const { page, close } = await open(`#scenarios?session=${session}`);
  try {
    const editor = page.getByTestId('scenario-editor');
    await editor.fill('name: third-time\nrules:\n  - match: {method: GetEnvironmentClass}\n    when: {nth: 3}\n    error: unavailablee\n');
    await page.getByTestId('scenario-check').filter({ hasText: /unavailablee/ }).waitFor();
    assert.match(await page.getByTestId('scenario-check').getAttribute('class'), /err/, 'a misspelt code is refused as typed');
    await editor.fill('name: third-time\nrules:\n  - match: {method: GetEnvironmentClass}\n    when: {nth: 3}\n    error: unavailable\n');
    await page.getByTestId('scenario-check').filter({ hasText: 'ok: third-time, 1 rule' }).waitFor();
    await page.getByTestId('scenario-load').click();
    await page.getByTestId('scenarios-status').filter({ hasText: 'loaded third-time' }).waitFor();
    await page.getByTestId('toggle-session-third-time').check();
    await page.getByTestId('scenarios-status').filter({ hasText: `third-time on in ${session}` }).waitFor();

    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await connect(session, 'GetEnvironmentClass', { environmentClassId: STANDARD })).status);
    assert.deepEqual(statuses, [200, 200, 503], 'the rule fires on the third call only');

    await page.getByTestId('tab-live').click();
    const rows = row(page, session);
    await rows.nth(2).waitFor();
    await rows.filter({ hasText: '200 ok' }).last().click(); // the first call (newest first)
    const rule = page.locator('[data-testid=why-rule][data-rule="third-time#1"]');
    await rule.waitFor();
    assert.equal(await rule.getAttribute('data-fired'), 'false');
    assert.match(await rule.innerText(), /when nth: 3, this was call 1/);

    await rows.filter({ hasText: '503' }).click();
    await page.locator('[data-testid=why-rule][data-rule="third-time#1"][data-fired=true]').waitFor();
    assert.match(await page.getByTestId('detail-response').innerText(), /"code": "unavailable"/);
    await page.screenshot({ path: path.join(SHOTS, 'why.png') });
  } finally {
    await close();
  }
});

test('a scenario file that breaks on reload shows in the banner with its file and reason', async () => {
  const dir = path.join(env.tmp, 'scenarios');
  mkdirSync(dir);
  const file = path.join(dir, 'every-other.yaml');
  writeFileSync(file, 'rules:\n  - when: {every: 2}\n    error: unavailable\n');
  const watched = await startMock('--scenario-dir', dir);
  const context = await env.browser.newContext();
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${watched.url}/__mock/ui/#live`);
    await page.getByTestId('stream-state').filter({ hasText: 'live' }).waitFor();
    assert.doesNotMatch(await page.getByTestId('reload-banner').innerText(), /failed/i);
    writeFileSync(file, 'rules:\n  - when: {evry: 2}\n    error: unavailable\n');
    const problem = page.getByTestId('reload-problem');
    await problem.waitFor({ timeout: 5000 }); // the reload event, about 200 ms after the write
    assert.match(await page.getByTestId('reload-banner').innerText(), /Reload failed/);
    assert.equal(await problem.getByTestId('reload-file').innerText(), file);
    assert.match(await problem.getByTestId('reload-reason').innerText(), /rule 1: when: unknown field `evry`/);
    await page.screenshot({ path: path.join(SHOTS, 'reload-failed.png') });
  } finally {
    await context.close();
    await watched.stop();
  }
});

test('the sessions view tells own changes apart, exports a session to a file and imports it back', async () => {
  const session = 't-sessions';
  const created = await connect(session, 'CreateEnvironmentClass', {
    runnerId: STANDARD, displayName: 'Made for the export', description: 'one record more', configuration: [],
  });
  assert.equal(created.status, 200);
  const id = created.body.id;
  await connect('t-sessions-untouched', 'ListEnvironmentClasses', {});
  const { page, close } = await open(`#sessions?session=${session}`);
  try {
    const mine = page.locator(`[data-testid=session-row][data-session="${session}"]`);
    await mine.waitFor();
    assert.match(await mine.innerText(), /has own changes/);
    assert.match(await page.locator('[data-testid=session-row][data-session="t-sessions-untouched"]').innerText(), /follows files/);

    const [download] = await Promise.all([page.waitForEvent('download'), mine.getByTestId('session-export').click()]);
    const file = path.join(env.tmp, 'export.json');
    await download.saveAs(file);
    const exported = JSON.parse(readFileSync(file, 'utf8'));
    assert.ok(exported.environmentClasses.some((c) => c.id === id), 'the export holds the created record');

    await mine.getByTestId('session-reset').click();
    await page.getByTestId('sessions-status').filter({ hasText: `reset ${session}: done` }).waitFor();
    assert.equal((await connect(session, 'GetEnvironmentClass', { environmentClassId: id })).status, 404, 'reset forgot it');

    await mine.waitFor();
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), mine.getByTestId('session-import').click()]);
    await chooser.setFiles(file);
    await page.getByTestId('sessions-status').filter({ hasText: `into ${session}: done` }).waitFor();
    const back = await connect(session, 'GetEnvironmentClass', { environmentClassId: id });
    assert.equal(back.status, 200);
    assert.equal(back.body.environmentClass.displayName, 'Made for the export');
  } finally {
    await close();
  }
});

test("the contract view's Try form sends the example request and shows the answer", async () => {
  const { page, close } = await open('#contract?session=t-try');
  try {
    const get = page.locator('[data-testid=contract-method][data-method=GetEnvironmentClass]');
    await get.locator('summary').click();
    const body = page.getByTestId('try-body-GetEnvironmentClass');
    assert.equal(JSON.parse(await body.inputValue()).environmentClassId, STANDARD, 'prefilled with the example');
    await page.getByTestId('try-send-GetEnvironmentClass').click();
    const result = page.getByTestId('try-result-GetEnvironmentClass');
    await result.filter({ hasText: /^200/ }).waitFor();
    assert.match(await result.innerText(), /"displayName": "Standard"/);
    await body.fill('{"environmentClassId": "not-a-uuid"}');
    await page.getByTestId('try-send-GetEnvironmentClass').click();
    await result.filter({ hasText: /^400 invalid_argument/ }).waitFor();
    assert.match(await get.innerText(), /Request schema[\s\S]*environmentClassId/);
  } finally {
    await close();
  }
});

test('with a control-plane token the page asks for it once, then sends it on every request', async () => {
  const secret = 'dashboard-test-token';
  const guarded = await startMock('--control-token', secret);
  const context = await env.browser.newContext();
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const sent = [];
    page.on('request', (r) => sent.push({ url: r.url(), auth: r.headers().authorization }));
    await fetch(`${guarded.url}/${SERVICE}/ListEnvironmentClasses`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-mock-session': 't-token' }, body: '{}',
    });
    await page.goto(`${guarded.url}/__mock/ui/#sessions`);
    await page.getByTestId('token-bar').waitFor();
    await page.getByTestId('stream-state').filter({ hasText: 'token' }).waitFor();
    assert.equal(await page.getByTestId('session-row').count(), 0, 'nothing shown without the token');
    await page.getByTestId('token-input').fill(secret);
    const asked = sent.length;
    await page.getByTestId('token-bar').locator('button').click();
    await page.locator('[data-testid=session-row][data-session=t-token]').waitFor();
    await page.getByTestId('stream-state').filter({ hasText: 'live' }).waitFor();
    assert.equal(await page.getByTestId('token-bar').isVisible(), false);
    const after = sent.slice(asked).filter((r) => new URL(r.url).pathname.startsWith('/__mock/') && !r.url.includes('/__mock/ui/'));
    assert.ok(after.some((r) => r.url.endsWith('/__mock/live')), 'the live feed was opened again');
    assert.deepEqual(after.filter((r) => r.auth !== `Bearer ${secret}`), [], 'every control-plane request carries the token');
  } finally {
    await context.close();
    await guarded.stop();
  }
});
