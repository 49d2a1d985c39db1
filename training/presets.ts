/**
 * The shipped models' recipes as `undertone train` flags: `undertone train --preset wideband`
 * (models/) and `--preset narrowband` (models/narrowband/) retrain what is installed.
 *
 * Why presets and not defaults: the CV rows of docs/accuracy.md are commands that rely on the
 * defaults (1-D CNN, one net, no padding or codecs); changing the defaults would change what those
 * commands mean. A preset is flags put before the user's own, so any flag given also wins over it.
 * presets.test.ts checks each preset against the recipe its installed model.json records, so a
 * model shipped with another recipe fails the tests until its preset says the same.
 */
import { join } from 'node:path';
import { MODELS_DIR } from '../server/process/paths.js';

export const PRESETS = {
  // docs/accuracy.md "Lossy codecs on the training copies" (shipped 2026-12-04): the 2-D stem, a
  // three-net seed ensemble, padding and lossy codecs on half the augmented copies.
  wideband: ['--arch', 'stem2d', '--members', '3', '--pad', '0.5', '--codec', '0.5'],
  // The same recipe with every augmented copy through a simulated G.711 line (docs/accuracy.md,
  // "The narrowband model").
  narrowband: ['--arch', 'stem2d', '--members', '3', '--pad', '0.5', '--codec', '0.5', '--augment', '1', '--telephone', '1', '--name', 'undertone-narrowband', '--out', join(MODELS_DIR, 'narrowband')],
} as const satisfies Record<string, readonly string[]>;

export type Preset = keyof typeof PRESETS;

export function isPreset(name: string): name is Preset {
  return Object.hasOwn(PRESETS, name);
}
