/**
 * Entry of `undertone serve`: one process (workers = 1) or a node cluster (workers > 1; this
 * same entry runs in the primary and in every worker). Resolves with the exit code once the
 * server has drained after SIGTERM/SIGINT, or failed to start.
 */
import type { ServerConfig } from './config.js';
import { isClusterWorker, runPrimary, runWorker } from './cluster.js';
import { type Logger, reportStartFailure } from './logger.js';
import { UndertoneServer } from './server.js';

export async function serve(config: ServerConfig, logger: Logger): Promise<number> {
  if (isClusterWorker()) {
    const code = await runWorker(config, logger);
    // The IPC channel to the primary would keep the worker alive.
    process.exit(code);
  }
  if (config.workers > 1) return runPrimary(config, logger);
  return runSingle(config, logger);
}

async function runSingle(config: ServerConfig, logger: Logger): Promise<number> {
  const server = await UndertoneServer.listen({ config, logger });
  logger.info({ port: server.port, host: config.host, workers: 1 }, 'listening');
  let drained!: () => void;
  const stopped = new Promise<void>((resolve) => (drained = resolve));
  const drain = (signal: string): void => {
    logger.info({ signal }, 'shutdown requested');
    void server.drain().then(drained);
  };
  process.once('SIGTERM', () => drain('SIGTERM'));
  process.once('SIGINT', () => drain('SIGINT'));
  try {
    await server.ready;
  } catch (e) {
    logger.fatal({ err: (e as Error).message }, 'cannot load the model');
    reportStartFailure((e as Error).message);
    await server.drain();
    return 1;
  }
  await stopped;
  return 0;
}

