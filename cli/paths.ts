/** Locations relative to the installed package (dist/cli/ -> project root). */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export const PROJECT_ROOT = findRoot();

/** --model flag, else UNDERTONE_MODEL, else the shipped model in models/. */
export function modelDir(flag?: string): string {
  return resolve(flag ?? process.env.UNDERTONE_MODEL ?? join(PROJECT_ROOT, 'models'));
}
