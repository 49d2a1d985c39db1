/**
 * One feature bundle for a whole set of cross-validation folds: every clip of the corpora once
 * (plus its augmented copies), and plan.json naming each fold's train / validation / test
 * speakers. training/fit/cv.py fits every fold from this one bundle, so features are computed and
 * written once instead of once per fold; which clips train, validate or test is decided per fold by
 * speaker, and augmented copies are used only where their clip trains.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LABELS } from '../core/labels.js';
import type { AugmentPolicy } from './augment/index.js';
import type { Normalization } from '../core/model/window.js';
import { buildDataset, normalizationOf, writeBundle } from './dataset.js';
import type { ManifestRow } from './manifest.js';
import { assertSpeakerDisjoint, speakersOf, type Split } from './splits.js';

export interface PlannedFold {
  readonly name: string;
  /** Which table the fold belongs to, e.g. "ravdess" (actor folds) or "loco". */
  readonly group: string;
  readonly train: string[];
  readonly validation: string[];
  readonly test: string[];
  /** Global normalisation of this fold: statistics of its training originals only. */
  readonly normalization?: Normalization;
}

export function planOf(group: string, splits: readonly Split[]): PlannedFold[] {
  return splits.map((s) => {
    assertSpeakerDisjoint(s);
    return { name: s.name, group, train: speakersOf(s.train), validation: speakersOf(s.validation), test: speakersOf(s.test) };
  });
}

export async function writeCvBundle(
  dir: string,
  rows: readonly ManifestRow[],
  plan: readonly PlannedFold[],
  options: { augmentCopies: number; augmentPolicy?: AugmentPolicy; seed: number; windowFrames: number; quiet?: boolean },
): Promise<void> {
  // Every clip is a training clip of some fold, so every clip gets its augmented copies here.
  const all: Split = { name: 'cv-bundle', train: [...rows], validation: [], test: [] };
  const dataset = await buildDataset(all, { augmentCopies: options.augmentCopies, augmentPolicy: options.augmentPolicy, seed: options.seed, quiet: options.quiet });
  const present = new Set(dataset.clips.map((c) => c.row.emotion));
  await writeBundle(dir, dataset, LABELS.filter((l) => present.has(l)), options.windowFrames);
  const folds = plan.map((fold) => {
    const train = new Set(fold.train);
    return { ...fold, normalization: normalizationOf(dataset.clips.filter((c) => !c.augment && train.has(c.row.speaker))) };
  });
  await writeFile(join(dir, 'plan.json'), JSON.stringify({ folds }, null, 1));
}
