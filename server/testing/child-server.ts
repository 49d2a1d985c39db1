/**
 * `undertone serve` (the built CLI, dist/) as a child process, for benches and tests that need
 * the server apart from the client: a crash shows as an exit, its RSS is its own, its logs are
 * what an operator would see.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { PROJECT_ROOT } from '../../cli/paths.js';

/** The built CLI (dist/cli/main.js), whether this module runs from source (vitest) or from dist/. */
const CLI = path.join(PROJECT_ROOT, 'dist/cli/main.js');

export interface ChildServer {
  readonly child: ChildProcessWithoutNullStreams;
  readonly port: number;
  readonly url: string;
  readonly http: string;
  /** Everything the process wrote so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** SIGTERM (drain), then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | string>;
}

export interface ChildServerOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Extra node flags (e.g. --expose-gc). */
  readonly nodeArgs?: readonly string[];
  /** Longest wait for the model to be loaded (ms). */
  readonly readyTimeoutMs?: number;
}

/** A loopback port free right now (the server is told it, so any log level works). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Starts `undertone serve --port P ...args` on a free port and resolves once /readyz answers 200. */
export async function startChildServer(args: readonly string[], options: ChildServerOptions = {}): Promise<ChildServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, 'serve', '--port', String(port), '--host', '127.0.0.1', ...args], {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: { ...process.env, ...options.env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  let exitedEarly: string | undefined;
  void exited.then((code) => (exitedEarly = `server exited (${code}) before it was ready:\n${out}\n${err}`));
  const http = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    const ok = await fetch(`${http}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (exitedEarly) throw new Error(exitedEarly);
    if (Date.now() > deadline) throw new Error(`server not ready in time:\n${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    port,
    url: `ws://127.0.0.1:${port}/v1/stream`,
    http,
    stdout: () => out,
    stderr: () => err,
    exited,
    stop: async (graceMs = 20_000) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A value of the server's /metrics (first sample whose name and labels start with `name`). */
export async function readMetric(http: string, name: string, headers: Record<string, string> = {}): Promise<number | undefined> {
  const text = await (await fetch(`${http}/metrics`, { headers })).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}
