// Starts `gitpod-mock serve --port 0` and resolves with its URL, read from the one line it
// prints (and, with --tls-self-signed, the certificate it names); stop() ends it. The binary
// is $GITPOD_MOCK_BIN, else target/debug/gitpod-mock,
// relative to the repository root.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function mockBinary() {
  const bin = process.env.GITPOD_MOCK_BIN || 'target/debug/gitpod-mock';
  return path.isAbsolute(bin) ? bin : path.join(ROOT, bin);
}

export async function startMock(...args) {
  const bin = mockBinary();
  if (!existsSync(bin)) throw new Error(`gitpod-mock binary not found at ${bin}; run cargo build`);
  const child = spawn(bin, ['serve', '--port', '0', '--seed', '42', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within 30 s\n${stderr}`)), 30_000);
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const match = /gitpod-mock listening on (https?:\/\/\S+)(?: \(certificate: (.+)\))?/.exec(line);
      match ? resolve(match) : reject(new Error(`unexpected first line ${line}\n${stderr}`));
    });
    child.once('exit', (code) => reject(new Error(`gitpod-mock exited with ${code}\n${stderr}`)));
  });
  return {
    url: ready[1],
    // With --tls-self-signed: the certificate file the ready line names.
    certificate: ready[2],
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}
