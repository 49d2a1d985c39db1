/**
 * A throwaway redis-server for tests (Debian's, installed by scripts/ensure-redis.sh): its own
 * free loopback port, no persistence, stopped by the test. Never the system service.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './server-process.js';

export const REDIS_SERVER = '/usr/bin/redis-server';

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts redis-server on a free port, or on `port` (to restart one the test stopped). */
export async function startRedis(port?: number): Promise<TestRedis> {
  port ??= await freePort();
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.once('error', (e) => reject(new Error(`cannot run ${REDIS_SERVER} (scripts/ensure-redis.sh installs it): ${e.message}`)));
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out.slice(-500)}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
