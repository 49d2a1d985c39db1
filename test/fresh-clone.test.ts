/**
 * What a new user gets: the committed tree cloned into an empty directory, the README's first
 * command (install, then `npm start`) run as written, and the server it starts serves the demo
 * page (`/`), the SDK bundle (`/undertone-sdk.js`) and `/readyz` 200. The install is what builds
 * them (package.json `prepare` runs `npm run build`), so nothing else may be run by hand.
 *
 * Cost: the install comes from the npm cache (`prefer-offline`, no audit or fund requests); the
 * build (tsc twice + esbuild) dominates. No network beyond the npm registry, none if the cache has
 * every package. The server listens on a free loopback port (PORT/HOST, its documented variables).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../server/process/paths.js';
import { freePort } from './server-process.js';

/** The README's first command: the first line of its first ```bash block, without its comment. */
function readmeFirstCommand(readme: string): string {
  const block = /```bash\n([^\n]*)\n/.exec(readme);
  if (!block) throw new Error('README.md has no ```bash block');
  return block[1].replace(/\s+#.*$/, '').trim();
}

let dir: string;
let shell: ChildProcess | undefined;
let output = '';
let http: string;

beforeAll(async () => {
  const command = readmeFirstCommand(readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8'));
  expect(command).toBe('npm install && npm start');
  dir = mkdtempSync(path.join(tmpdir(), 'undertone-clone-'));
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
  execFileSync('git', ['clone', '--quiet', '--no-checkout', PROJECT_ROOT, dir]);
  execFileSync('git', ['checkout', '--quiet', head], { cwd: dir });
  const port = await freePort();
  http = `http://127.0.0.1:${port}`;
  // Its own process group, so stopping it stops npm start's server too.
  shell = spawn('bash', ['-c', command], {
    cwd: dir,
    detached: true,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      npm_config_prefer_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      LOG_LEVEL: 'warn',
    },
  });
  shell.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  shell.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  let exited: string | undefined;
  shell.on('exit', (code, signal) => (exited = `${code ?? signal}`));
  const deadline = Date.now() + 280_000;
  for (;;) {
    const status = await fetch(`${http}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (exited !== undefined) throw new Error(`"${command}" exited (${exited}) before /readyz was 200:\n${output.slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`/readyz not 200 in time:\n${output.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 300_000);

afterAll(async () => {
  if (shell?.pid !== undefined && shell.exitCode === null) {
    const gone = new Promise((r) => shell!.once('exit', r));
    process.kill(-shell.pid, 'SIGTERM');
    const timer = setTimeout(() => process.kill(-shell!.pid!, 'SIGKILL'), 20_000);
    await gone;
    clearTimeout(timer);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a fresh clone: the README first command', () => {
  it('serves the demo page at /, the SDK bundle and /readyz', async () => {
    const page = await fetch(`${http}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/<script[^>]+app\.js/);
    const sdk = await fetch(`${http}/undertone-sdk.js`);
    expect(sdk.status).toBe(200);
    expect(sdk.headers.get('content-type')).toMatch(/javascript/);
    expect(await sdk.text()).toMatch(/export\s*\{/);
    const ready = await fetch(`${http}/readyz`);
    expect(ready.status).toBe(200);
  });
});
