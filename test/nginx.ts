/**
 * Debian's nginx run with its own configuration in a temp directory (not the system service):
 * deploy/nginx/undertone.conf with its listen port and upstream servers replaced, wrapped in a
 * minimal main config. For the scale-out test and benches through a load balancer.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../server/process/paths.js';
import { freePort } from './server-process.js';

export const NGINX = '/usr/sbin/nginx';
export const NGINX_CONF = path.join(PROJECT_ROOT, 'deploy/nginx/undertone.conf');

export interface Nginx {
  readonly port: number;
  readonly http: string;
  readonly url: string;
  readonly dir: string;
  stop(): Promise<void>;
}

/** The shipped site config with `listen` and the upstream's servers replaced. */
export function siteConfig(port: number, backends: readonly number[]): string {
  const site = readFileSync(NGINX_CONF, 'utf8');
  const servers = backends.map((p) => `    server 127.0.0.1:${p} max_fails=2 fail_timeout=10s;`).join('\n');
  const replaced = site
    .replace(/^ {4}listen \d+;$/m, `    listen 127.0.0.1:${port};`)
    .replace(/(upstream undertone \{\n(?:.*\n)*?)((?: {4}server .*\n)+)/, (_m, head: string) => `${head}${servers}\n`);
  if (!replaced.includes(`listen 127.0.0.1:${port};`) || !replaced.includes(servers)) throw new Error(`${NGINX_CONF}: cannot find its listen line or upstream servers`);
  return replaced;
}

export async function startNginx(backends: readonly number[]): Promise<Nginx> {
  const dir = mkdtempSync(path.join(tmpdir(), 'undertone-nginx-'));
  const port = await freePort();
  const main = [
    'daemon off;',
    'worker_processes 1;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    'events { worker_connections 4096; }',
    'http {',
    `  access_log ${dir}/access.log;`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t};`),
    siteConfig(port, backends),
    '}',
  ].join('\n');
  writeFileSync(path.join(dir, 'nginx.conf'), main);
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const http = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await fetch(`${http}/healthz`).catch(() => undefined);
    if (r?.status === 200) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      let log = '';
      try {
        log = readFileSync(path.join(dir, 'error.log'), 'utf8');
      } catch {
        /* none */
      }
      throw new Error(`nginx did not come up on port ${port}: ${log}`);
    }
    await new Promise((r2) => setTimeout(r2, 50));
  }
  return {
    port,
    http,
    url: `ws://127.0.0.1:${port}/v1/stream`,
    dir,
    stop: async () => {
      // SIGQUIT: graceful shutdown (SIGTERM is nginx's fast shutdown; either ends our child).
      if (child.exitCode === null) child.kill('SIGQUIT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
