/** `undertone serve [options]`: the live WebSocket server (see server/ and docs/protocol.md). */
import { ConfigError, loadConfig, serveUsage } from '../server/process/config.js';
import { createLogger } from '../server/process/logger.js';
import { serve } from '../server/process/start.js';
import { resolve } from 'node:path';
import { MODELS_DIR, modelDir } from '../server/process/paths.js';

export async function runServe(argv: string[]): Promise<number> {
  let config;
  try {
    // The installation's models/ (not UNDERTONE_MODEL, which loadConfig reads itself): the narrowband default is its narrowband/.
    config = loadConfig(argv, process.env, MODELS_DIR);
  } catch (e) {
    if (e instanceof ConfigError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`undertone serve: ${(e as Error).message}\n\n${serveUsage()}\n`);
      return 2;
    }
    throw e;
  }
  if (config.help) {
    process.stdout.write(serveUsage() + '\n');
    return 0;
  }
  const { help: _help, ...settings } = config;
  const narrowband = settings.narrowbandModelDir !== undefined ? { narrowbandModelDir: resolve(settings.narrowbandModelDir) } : {};
  return serve({ ...settings, modelDir: modelDir(settings.modelDir), ...narrowband }, createLogger(config.logLevel));
}
