/** `undertone serve [options]`: the live WebSocket server (see server/ and docs/protocol.md). */
import { ConfigError, loadConfig, serveUsage } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import { serve } from '../server/start.js';
import { modelDir } from './paths.js';

export async function runServe(argv: string[]): Promise<number> {
  let config;
  try {
    config = loadConfig(argv, process.env, modelDir());
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
  return serve({ ...settings, modelDir: modelDir(settings.modelDir) }, createLogger(config.logLevel));
}
