/**
 * Starts the transport floor server (floor-server.ts, built into dist-bench/) as a child process
 * on a free loopback port, with `workers` cluster workers; resolves once every worker listens.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from '../../server/process/paths.js';
import { freePort } from '../../test/server-process.js';
import type { LoadTarget } from './load.js';

export const FLOOR_SERVER = path.join(PROJECT_ROOT, 'dist-bench', 'bench', 'lib', 'floor-server.js');

export interface FloorServer extends LoadTarget {
  /** The cluster primary's pid (the generator reads the process tree's CPU from /proc). */
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startFloorServer(workers: number): Promise<FloorServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [FLOOR_SERVER, String(port), String(workers)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => l.startsWith('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`floor server exited (${code}) before listening`)));
  });
  return {
    url: `ws://127.0.0.1:${port}/v1/stream`,
    http: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
