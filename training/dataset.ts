/**
 * Builds the training set for one split: features of every clip (through core, cached), augmented
 * copies of training clips only, the per-second label points and voicing of each clip, and the
 * normalisation statistics of the training originals. Written as a bundle (features.f32 +
 * index.json) for the model-fitting step.
 */
import { mkdir, writeFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { featureDim } from '../core/features/config.js';
import { FeatureHistory } from '../core/features/history.js';
import type { Label } from '../core/labels.js';
import { DEFAULT_VOICING, isVoiced, labelPoints, type Normalization, type VoicingGate } from '../core/model/window.js';
import { type AugmentPolicy, type AugmentSpec, DEFAULT_AUGMENT_POLICY, describeAugment, sampleAugmentSpecs } from './augment/index.js';
import { FeatureCache } from './features/cache.js';
import type { FeatureJobResult } from './features/job.js';
import { FeaturePool } from './features/pool.js';
import type { ManifestRow } from './manifest.js';
import { progress } from './progress.js';
import { TRIM_ID } from './features/trim.js';
import type { Split } from './splits.js';

export type Part = 'train' | 'validation' | 'test';

export interface Clip {
  readonly row: ManifestRow;
  readonly part: Part;
  readonly augment: AugmentSpec | null;
  readonly features: FeatureJobResult;
  /** Frame index (exclusive end) of each label point, and whether that second is voiced. */
  readonly ends: number[];
  readonly voiced: boolean[];
}

export interface DatasetOptions {
  /** Augmented copies per training clip. */
  readonly augmentCopies: number;
  /** What the copies draw from (default DEFAULT_AUGMENT_POLICY). */
  readonly augmentPolicy?: AugmentPolicy;
  readonly seed: number;
  readonly voicing?: VoicingGate;
  readonly cache?: FeatureCache;
  readonly quiet?: boolean;
}

export interface Dataset {
  readonly clips: Clip[];
  readonly failures: { file: string; error: string }[];
  readonly normalization: Normalization;
  readonly voicing: VoicingGate;
}

function seedOf(text: string, seed: number): number {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

export async function buildDataset(split: Split, options: DatasetOptions): Promise<Dataset> {
  const cache = options.cache ?? new FeatureCache();
  const voicing = options.voicing ?? DEFAULT_VOICING;
  const jobs: { row: ManifestRow; part: Part; augment: AugmentSpec | null }[] = [];
  const parts: [Part, ManifestRow[]][] = [['train', split.train], ['validation', split.validation], ['test', split.test]];
  for (const [part, rows] of parts) {
    for (const row of rows) {
      jobs.push({ row, part, augment: null });
      if (part === 'train' && options.augmentCopies > 0) {
        // A spec that changes nothing ("clean") or repeats another is the same audio twice: skip it.
        const seen = new Set<string>(['clean']);
        for (const spec of sampleAugmentSpecs(options.augmentCopies, seedOf(row.path, options.seed), options.augmentPolicy ?? DEFAULT_AUGMENT_POLICY)) {
          const id = describeAugment(spec);
          if (seen.has(id)) continue;
          seen.add(id);
          jobs.push({ row, part, augment: spec });
        }
      }
    }
  }
  const pool = new FeaturePool();
  const bar = progress(`features (${split.name})`, jobs.length, options.quiet);
  const clips: (Clip | undefined)[] = new Array(jobs.length);
  const failures: { file: string; error: string }[] = [];
  const failed = new Set<string>();
  let hits = 0;
  const started = Date.now();
  try {
    await forEachLimit(jobs, 16, async (job, i) => {
        try {
          const key = await cache.key(job.row.file, job.augment);
          let features = await cache.get(key);
          if (features) hits++;
          else {
            features = await pool.run({ file: job.row.file, augment: job.augment });
            // The cache only saves time: a failed write must not lose the clip.
            await cache.put(key, features).catch((e: Error) => process.stderr.write(`  cache write failed (${e.message})\n`));
          }
          clips[i] = { ...job, features, ...schedule(features, voicing) };
        } catch (e) {
          const msg = (e as Error).message;
          if (!failed.has(job.row.file)) failures.push({ file: job.row.file, error: msg });
          failed.add(job.row.file);
        } finally {
          bar.tick();
        }
    });
  } finally {
    await pool.close();
  }
  const kept = clips.filter((c): c is Clip => c !== undefined && !failed.has(c.row.file));
  bar.stop(`${kept.length} clips (${hits} from cache) in ${((Date.now() - started) / 1000).toFixed(1)} s; ${failures.length} files failed`);
  for (const f of failures) process.stderr.write(`  skipped ${f.file}: ${f.error}\n`);
  const normalization = normalizationOf(kept.filter((c) => c.part === 'train' && !c.augment));
  return { clips: kept, failures, normalization, voicing };
}

/** Runs fn over items with at most `limit` in flight (bounded open files and memory). */
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(runners);
}

/** Label points and voicing of a clip, from core's window schedule (the one the server uses). */
export function schedule(features: FeatureJobResult, voicing: VoicingGate): { ends: number[]; voiced: boolean[] } {
  const history = new FeatureHistory(features.dim, Infinity, Math.max(1, features.frames));
  history.append(features.data, features.frames);
  const points = labelPoints(features.samples);
  return { ends: points.map((p) => p.frameEnd), voiced: points.map((p) => isVoiced(history, p, voicing)) };
}

/** Per-dimension mean and standard deviation over every frame of the given clips. */
export function normalizationOf(clips: readonly Clip[]): Normalization {
  const dim = featureDim();
  const sum = new Float64Array(dim);
  const sumSq = new Float64Array(dim);
  let n = 0;
  for (const c of clips) {
    const d = c.features.data;
    for (let f = 0; f < c.features.frames; f++) {
      for (let j = 0; j < dim; j++) {
        const v = d[f * dim + j];
        sum[j] += v;
        sumSq[j] += v * v;
      }
    }
    n += c.features.frames;
  }
  if (n === 0) throw new Error('no training frames: cannot compute normalisation statistics');
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sumSq, (s, j) => Math.max(Math.sqrt(Math.max(s / n - mean[j] ** 2, 0)), 1e-4));
  return { mean, std };
}

export interface BundleIndex {
  readonly dim: number;
  readonly windowFrames: number;
  readonly labels: readonly Label[];
  readonly normalization: Normalization;
  /** The voicing gate of the label points; fit.py gates the session statistics with the same threshold. */
  readonly voicing: VoicingGate;
  /** How corpus audio was prepared before features (training/features/trim.ts). */
  readonly prepare: string;
  readonly clips: {
    readonly id: number;
    readonly source: string;
    readonly corpus: string;
    readonly speaker: string;
    readonly label: number;
    readonly part: Part;
    readonly augment: string | null;
    readonly offset: number;
    readonly frames: number;
    readonly ends: number[];
    readonly voiced: boolean[];
  }[];
}

/** Writes features.f32 (all clips back to back) and index.json into `dir`. */
export async function writeBundle(dir: string, dataset: Dataset, labels: readonly Label[], windowFrames: number): Promise<BundleIndex> {
  await mkdir(dir, { recursive: true });
  const file = await open(join(dir, 'features.f32'), 'w');
  const clips: BundleIndex['clips'][number][] = [];
  let offset = 0;
  try {
    for (const [id, c] of dataset.clips.entries()) {
      const label = labels.indexOf(c.row.emotion);
      if (label < 0) continue;
      await file.write(Buffer.from(c.features.data.buffer, c.features.data.byteOffset, c.features.data.byteLength));
      clips.push({
        id,
        source: c.row.path,
        corpus: c.row.corpus,
        speaker: c.row.speaker,
        label,
        part: c.part,
        augment: c.augment ? describeAugment(c.augment) : null,
        offset,
        frames: c.features.frames,
        ends: c.ends,
        voiced: c.voiced,
      });
      offset += c.features.frames;
    }
  } finally {
    await file.close();
  }
  const index: BundleIndex = { dim: featureDim(), windowFrames, labels, normalization: dataset.normalization, voicing: dataset.voicing, prepare: TRIM_ID, clips };
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  return index;
}
