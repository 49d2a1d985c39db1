/**
 * Starts a transport floor server (floor-server.ts on `ws`, floor-server-uws.ts on
 * uWebSockets.js; built into dist-bench/) through the one spawner of tests and benches, as
 * `undertone serve` is started: a free loopback port, ready once /readyz answers.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../server/process/paths.js';
import { type ServerProcess, startServer } from '../../test/server-process.js';

export type FloorTransport = 'ws' | 'uws';

export const FLOOR_SERVERS: Record<FloorTransport, string> = {
  ws: path.join(PROJECT_ROOT, 'dist-bench', 'bench', 'lib', 'floor-server.js'),
  uws: path.join(PROJECT_ROOT, 'dist-bench', 'bench', 'lib', 'floor-server-uws.js'),
};

/** Why the floor of `transport` cannot run here (its package is not installed), or undefined. */
export function floorUnavailable(transport: FloorTransport): string | undefined {
  if (transport !== 'uws') return undefined;
  if (existsSync(path.join(PROJECT_ROOT, 'node_modules', 'uws-pack', 'package.json'))) return undefined;
  return 'the uws floor needs the package uws-pack, which is not a dependency: npm install --no-save uws-pack@20.0.8';
}

export function startFloorServer(workers: number, transport: FloorTransport = 'ws'): Promise<ServerProcess> {
  return startServer(['--workers', String(workers)], { cli: FLOOR_SERVERS[transport] });
}
