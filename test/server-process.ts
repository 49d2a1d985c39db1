/**
 * The one child-process spawner of tests and benches: `undertone serve` from the built CLI
 * (dist/cli/main.js, what `npm start` runs) on a free loopback port, for whatever needs the
 * server apart from the client: cluster and inference-thread modes, Redis across processes,
 * nginx in front of two backends, benches whose CPU and RSS must be the server's own, logs as an
 * operator sees them. Resolves once /readyz answers 200 (every worker has the model).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { BUILT_CLI, PROJECT_ROOT } from '../server/process/paths.js';

export interface ServerProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pid: number;
  readonly port: number;
  /** ws://127.0.0.1:PORT/v1/stream */
  readonly url: string;
  /** http://127.0.0.1:PORT */
  readonly http: string;
  /** The JSON log lines written to stdout so far. */
  readonly logs: Record<string, unknown>[];
  /** Everything the process wrote so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** SIGTERM (drain), then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | string>;
  /** SIGKILL if it still runs (test clean-up). */
  kill(): Promise<void>;
}

export interface ServerProcessOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** The CLI to run (default: this checkout's dist/cli/main.js); bench:compare runs a baseline build's. */
  readonly cli?: string;
  /** Flags for node itself (e.g. --expose-gc, --cpu-prof). */
  readonly nodeArgs?: readonly string[];
  /** Longest wait for the model to be loaded (ms). */
  readonly readyTimeoutMs?: number;
  /** Copy the server's warn/error/fatal log lines to this process's stderr (benches). */
  readonly showErrors?: boolean;
}

/** A loopback port free right now. */
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

/**
 * Starts `undertone serve --port P --host 127.0.0.1 ...args` on a free port P (the port is told
 * to the server, so any log level works).
 */
export async function startServer(args: readonly string[] = [], options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const cli = options.cli ?? BUILT_CLI;
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first (npm test does)`);
  const port = await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), cli, 'serve', '--port', String(port), '--host', '127.0.0.1', ...args], {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: { ...process.env, ...options.env },
  });
  let out = '';
  let err = '';
  const logs: Record<string, unknown>[] = [];
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    logs.push(entry);
    if (options.showErrors && (entry.level === 'warn' || entry.level === 'error' || entry.level === 'fatal')) process.stderr.write(`[server ${child.pid}] ${line}\n`);
  });
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
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready in time:\n${out}\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    pid: child.pid!,
    port,
    url: `ws://127.0.0.1:${port}/v1/stream`,
    http,
    logs,
    stdout: () => out,
    stderr: () => err,
    exited,
    stop: async (graceMs = 20_000) => {
      if (running()) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    kill: async () => {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A value of the server's /metrics (first sample whose name and labels start with `name`). */
export async function readMetric(http: string, name: string, headers: Record<string, string> = {}): Promise<number | undefined> {
  const text = await (await fetch(`${http}/metrics`, { headers })).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}
