/**
 * The one place that resolves the installation's locations, whether the code runs from source
 * (vitest, benches) or from dist/: the project root, the built CLI, the browser build, the shipped
 * models and the model directory a command uses.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest folder above this file with a package.json (server/ or dist/server/ -> the project root). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export const PROJECT_ROOT = findRoot();

/** The built CLI (`npm run build`), what `npm start` and the `undertone` bin run. */
export const BUILT_CLI = join(PROJECT_ROOT, 'dist/cli/main.js');

/** The browser build (scripts/build-web.mjs): the demo page at / and the SDK bundle at /undertone-sdk.js. */
export const WEB_DIR = join(PROJECT_ROOT, 'dist/web');

/** The shipped models: the wideband model here, the narrowband one in its narrowband/. */
export const MODELS_DIR = join(PROJECT_ROOT, 'models');

/** --model flag, else UNDERTONE_MODEL, else the shipped model in models/. */
export function modelDir(flag?: string): string {
  return resolve(flag ?? process.env.UNDERTONE_MODEL ?? MODELS_DIR);
}
