// What the dashboard's browser tests share: a mock and Chromium (started by useDashboard), a
// page on the dashboard that records console errors and requests, Connect calls from Node, and
// curl.
import { after, before } from 'node:test';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startMock } from '../node/mock-server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
export const SHOTS = path.join(ROOT, 'target', 'browser', 'dashboard');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
export const SERVICE = 'gitpod.v1.RunnerConfigurationService';
export const STANDARD = 'd2c94c27-3b76-4a42-b88c-95a85e392c68'; // the fixture environment class "Standard"
// Each view, and what shows it has loaded its data.
export const READY = {
  live: '[data-testid=live-row]',
  sessions: '[data-testid=session-row]',
  data: '[data-testid=record-row]',
  scenarios: '[data-testid=scenario]',
  coverage: '[data-testid=coverage-row]',
  contract: '[data-testid=contract-method]',
};
export const VIEWS = Object.keys(READY);

/** The mock, the browser and a scratch directory, shared by a file's tests. */
export const env = {};

/** Starts a mock and Chromium before the file's tests and stops them after. */
export function useDashboard() {
  before(async () => {
    env.mock = await startMock();
    env.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    env.tmp = mkdtempSync(path.join(os.tmpdir(), 'gitpod-mock-dashboard-'));
    mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await env.browser?.close();
    await env.mock?.stop();
    if (env.tmp) rmSync(env.tmp, { recursive: true, force: true });
  });
}

/** A new page on the dashboard (at `hash`), recording console errors and every request URL. */
export async function open(hash = '#live') {
  const context = await env.browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors = [];
  const requests = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${env.mock.url}/__mock/ui/${hash}`);
  await page.getByTestId('stream-state').filter({ hasText: 'live' }).waitFor();
  return { page, errors, requests, close: () => context.close() };
}

/** A Connect JSON call from Node; resolves with status and parsed body. */
export async function connect(session, method, body) {
  const res = await fetch(`${env.mock.url}/${SERVICE}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-mock-session': session },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** Runs curl; resolves with its exit code and stdout once it has exited. */
export function curl(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', ...args]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, status: Number(out) }));
  });
}

export const row = (page, session) => page.locator(`[data-testid=live-row][data-session="${session}"]`);

