/**
 * A real `undertone serve` (the built CLI, dist/cli/main.js) as a child process on a free
 * loopback port, for benches and the tests that need separate processes (scale-out): started,
 * waited for until /readyz says every worker has the model, and stopped with SIGTERM (drain).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The project root from dist/bench/lib/ or bench/lib/ (vitest runs the sources). */
function projectRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return here.includes(`${path.sep}dist${path.sep}`) ? path.resolve(here, '../../..') : path.resolve(here, '../..');
}

export const ROOT = projectRoot();
export const CLI = path.join(ROOT, 'dist/cli/main.js');

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly http: string;
  /** ws://127.0.0.1:PORT/v1/stream */
  readonly url: string;
  /** SIGTERM (drain) and wait for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface StartOptions {
  /** `undertone serve` flags beyond port/host/log level (e.g. --workers 1 --engine naive). */
  readonly args?: readonly string[];
  /** Flags for node itself (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Print the server's warn/error log lines to stderr (default true). */
  readonly showErrors?: boolean;
}

export async function startServer(options: StartOptions = {}): Promise<ServerProcess> {
  const args = [...(options.nodeArgs ?? []), CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--log-level', 'info', ...(options.args ?? [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...options.env } });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      let m: { msg?: string; port?: number; level?: string };
      try {
        m = JSON.parse(line) as typeof m;
      } catch {
        return;
      }
      if (m.msg === 'listening' && m.port) resolve(m.port);
      // Session info lines are dropped (there are many); problems are shown.
      if (options.showErrors !== false && (m.level === 'warn' || m.level === 'error' || m.level === 'fatal')) process.stderr.write(`[server ${child.pid}] ${line}\n`);
    });
    void exited.then((code) => reject(new Error(`undertone serve exited with ${code} before listening`)));
  });
  const http = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await fetch(`${http}/readyz`).catch(() => undefined);
    if (r?.status === 200) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`server on port ${port} not ready within 60 s`);
    }
    await new Promise((r2) => setTimeout(r2, 100));
  }
  return {
    child,
    pid: child.pid!,
    port,
    http,
    url: `ws://127.0.0.1:${port}/v1/stream`,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** CPU seconds (user + system) and RSS bytes of a process and its children (a cluster's primary and workers), from /proc. */
export function processTree(pid: number): { cpuS: number; rssBytes: number; processes: number } {
  const ticks = 100; // USER_HZ on Linux
  const page = 4096;
  let cpuS = 0;
  let rssBytes = 0;
  let processes = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command name (which may hold spaces).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(f[1]);
    if (Number(entry) !== pid && ppid !== pid) continue;
    cpuS += (Number(f[11]) + Number(f[12])) / ticks;
    rssBytes += Number(f[21]) * page;
    processes++;
  }
  return { cpuS, rssBytes, processes };
}
