/**
 * `undertone serve` (the built CLI, dist/) as a child process, for benches and tests that need
 * the server apart from the client: a crash shows as an exit, its RSS is its own, its logs are
 * what an operator would see.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { CLI, PROJECT_ROOT } from '../../test/cli.js';

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

/** Starts `undertone serve --port 0 ...args` and resolves once /readyz answers 200. */
export async function startChildServer(args: readonly string[], options: ChildServerOptions = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, 'serve', '--port', '0', '--host', '127.0.0.1', ...args], {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: { ...process.env, ...options.env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not listen within 30 s:\n${out}\n${err}`)), 30_000);
    const look = (): void => {
      const m = /"port":(\d+)[^\n]*"msg":"listening"/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', look);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening:\n${out}\n${err}`));
    });
  });
  const http = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    const ok = await fetch(`${http}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
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
