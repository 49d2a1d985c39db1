/**
 * The process layout and arguments the floor servers share with `undertone serve`: started as
 * `FILE serve --port P [--host H] [--workers N]` by test/server-process.ts `startServer`; with
 * N > 1 a cluster primary forks N workers that each listen on the port, and /readyz answers 200
 * once every worker listens.
 */
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';

export interface FloorArgs {
  readonly port: number;
  readonly host: string;
  readonly workers: number;
}

export function floorArgs(argv: readonly string[] = process.argv): FloorArgs {
  const { values } = parseArgs({
    args: argv.slice(3), // after "serve"
    options: { port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, workers: { type: 'string', default: '1' } },
  });
  return { port: Number(values.port), host: String(values.host), workers: Number(values.workers) };
}

/** Whether every listening process of the layout listens (what /readyz answers). */
export interface Readiness {
  readonly ready: boolean;
}

/**
 * In the primary of a cluster (workers > 1): forks the workers and returns undefined. In a worker
 * or a lone process: calls `listen`, which calls its argument once the process listens, and
 * returns the readiness the process's /readyz reads.
 */
export function floorLayout(workers: number, listen: (listening: () => void) => void): Readiness | undefined {
  if (cluster.isPrimary && workers > 1) {
    let listening = 0;
    for (let i = 0; i < workers; i++) {
      cluster.fork().on('message', (m: unknown) => {
        if (m === 'listening' && ++listening === workers) for (const w of Object.values(cluster.workers ?? {})) w?.send('ready');
      });
    }
    return undefined;
  }
  const state = { ready: false };
  process.on('message', (m) => {
    if (m === 'ready') state.ready = true;
  });
  listen(() => {
    if (cluster.isWorker) process.send?.('listening');
    else state.ready = true;
  });
  return state;
}
