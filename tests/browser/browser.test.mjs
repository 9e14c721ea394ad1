// Headless Chromium loads a page from a second origin (a static server on another loopback
// port) that calls gitpod-mock with fetch in the connect-web style; the page must pass the CORS
// preflight and show the results. A second mock, started with --cors-origin naming some other
// origin, must be refused by the browser. The DOM is read with --dump-dom, and a screenshot
// is left in target/browser/ for a person to look at.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMock } from '../node/mock-server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const CHROMIUM = process.env.CHROMIUM || 'chromium';
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--virtual-time-budget=15000', '--window-size=1000,700',
];

function chromium(args) {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'gitpod-mock-chromium-'));
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, ...args], { timeout: 60_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        rmSync(profile, { recursive: true, force: true });
        err ? reject(new Error(`${CHROMIUM} failed: ${err.message}\n${stderr}`)) : resolve(stdout);
      });
  });
}

/** Serves tests/browser/page on 127.0.0.1:0; resolves with the server and its origin. */
function staticServer() {
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript' };
  const server = http.createServer((req, res) => {
    const name = new URL(req.url, 'http://x').pathname.replace(/^\/$/, '/index.html');
    const file = path.join(HERE, 'page', path.normalize(name));
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let mock;
let refusing;
let pages;
let pageUrl;

before(async () => {
  pages = await staticServer();
  const origin = `http://127.0.0.1:${pages.address().port}`;
  mock = await startMock(); // loopback: any origin by default
  refusing = await startMock('--cors-origin', 'http://localhost:1');
  assert.notEqual(new URL(mock.url).port, new URL(origin).port, 'two origins');
  pageUrl = `${origin}/index.html?mock=${encodeURIComponent(mock.url)}&refusing=${encodeURIComponent(refusing.url)}`;
});

after(async () => {
  await mock?.stop();
  await refusing?.stop();
  pages?.close();
});

test('a page from another origin calls the mock through the CORS preflight', async () => {
  const dom = await chromium(['--dump-dom', pageUrl]);
  const checks = [...dom.matchAll(/<li data-check="([\w-]+)" data-ok="(true|false)">([^<]*)<\/li>/g)]
    .map(([, name, ok, detail]) => ({ name, ok: ok === 'true', detail }));
  assert.deepEqual(checks.map((c) => c.name), ['list', 'create-then-get', 'connect-error', 'grpc-web', 'grpc-web-error', 'refused-origin'], dom);
  for (const c of checks) assert.ok(c.ok, `${c.name}: ${c.detail}`);
  assert.match(dom, /<p id="status">6\/6 checks passed<\/p>/);
  assert.match(dom, /<td>gitlab\.com<\/td>/, 'the fixture integration is shown');
  assert.match(dom, /connect-error: 404 not_found: /);
});

test('the page renders for a person to look at', async () => {
  const dir = path.join(ROOT, 'target', 'browser');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'page.png');
  await chromium([`--screenshot=${file}`, pageUrl]);
  assert.ok(statSync(file).size > 5_000, 'a real screenshot');
});
