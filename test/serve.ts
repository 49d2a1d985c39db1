/**
 * The built CLI's `serve` as a child process (what `npm start` runs), for the tests of modes that
 * only run from compiled JavaScript (cluster, Redis across processes). Needs `npm run build`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { modelDir } from '../cli/paths.js';
import { CLI } from './cli.js';

export interface Spawned {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly logs: Record<string, unknown>[];
  readonly port: number;
}

/** Starts `serve` on a free loopback port with `args`; resolves once /readyz is 200. */
export async function spawnServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Spawned> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--model', modelDir(), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stderr!.on('data', () => undefined);
  const logs: Record<string, unknown>[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry.msg === 'listening') resolve(entry.port as number);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${JSON.stringify(logs.slice(-3))}`)));
  });
  for (let i = 0; ; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
    if (r?.status === 200) break;
    if (i > 300) throw new Error('server never became ready');
    await new Promise((r2) => setTimeout(r2, 50));
  }
  return { child, exited, logs, port };
}

/** SIGKILLs a spawned server if it still runs. */
export async function kill(s: Spawned | undefined): Promise<void> {
  if (s && s.child.exitCode === null) {
    s.child.kill('SIGKILL');
    await s.exited;
  }
}
