/**
 * Starts the transport floor server (floor-server.ts, built into dist-bench/) through the one
 * spawner of tests and benches, as `undertone serve` is started: a free loopback port, ready once
 * /readyz answers.
 */
import path from 'node:path';
import { PROJECT_ROOT } from '../../server/process/paths.js';
import { type ServerProcess, startServer } from '../../test/server-process.js';

export const FLOOR_SERVER = path.join(PROJECT_ROOT, 'dist-bench', 'bench', 'lib', 'floor-server.js');

export function startFloorServer(workers: number): Promise<ServerProcess> {
  return startServer(['--workers', String(workers)], { cli: FLOOR_SERVER });
}
