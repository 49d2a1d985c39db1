/** Feature building for a split: through core, cached, augmentation on training rows only, failures named. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../core/audio/decode-file.js';
import { extractFeatures } from '../core/features/extract.js';
import { featureDim } from '../core/features/config.js';
import { describeAugment } from './augment/index.js';
import { buildDataset } from './dataset.js';
import { trimSilence } from './features/trim.js';
import { FeatureCache } from './features/cache.js';
import { readManifest, type ManifestRow } from './manifest.js';
import { corporaDir } from '../test/corpora.js';

const manifest = await readManifest(path.join(corporaDir(), 'manifest.csv'));
const savee = manifest.rows.filter((r) => r.corpus === 'savee');
const bySpeaker = (s: string) => savee.filter((r) => r.speaker === s).slice(0, 3);

describe('buildDataset', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'undertone-dataset-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const missing: ManifestRow = { ...bySpeaker('savee-DC')[0], path: 'savee/DC/gone.opus', file: path.join(dir, 'gone.opus') };
  const split = { name: 't', train: [...bySpeaker('savee-DC'), missing], validation: bySpeaker('savee-JE'), test: bySpeaker('savee-KL') };

  it('computes core features, augments training rows only, names failed files and goes on', async () => {
    const cache = new FeatureCache(path.join(dir, 'cache'));
    const ds = await buildDataset(split, { augmentCopies: 2, seed: 3, cache, quiet: true });
    expect(ds.failures).toEqual([{ file: missing.file, error: expect.stringMatching(/gone\.opus: no such file/) }]);
    expect(ds.clips.filter((c) => c.part === 'train' && !c.augment)).toHaveLength(3);
    // Up to 2 copies per training file; copies that change nothing or repeat another are dropped.
    const augmented = ds.clips.filter((c) => c.part === 'train' && c.augment);
    expect(augmented.length).toBeGreaterThan(0);
    expect(augmented.length).toBeLessThanOrEqual(6);
    const ids = augmented.map((c) => `${c.row.path}|${describeAugment(c.augment!)}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.some((id) => id.endsWith('|clean'))).toBe(false);
    expect(ds.clips.filter((c) => c.part !== 'train' && c.augment)).toHaveLength(0);
    // Originals carry exactly core's features of the decoded file, trimmed as every corpus clip is.
    const orig = ds.clips.find((c) => c.part === 'test')!;
    const direct = extractFeatures(trimSilence(await decodeAudioFile(orig.row.file)));
    expect(orig.features.frames).toBe(direct.frames);
    expect(Array.from(orig.features.data)).toEqual(Array.from(direct.data));
    expect(ds.normalization.mean).toHaveLength(featureDim());
    // A second build is served from the cache with identical features.
    const again = await buildDataset(split, { augmentCopies: 2, seed: 3, cache, quiet: true });
    expect(again.clips.map((c) => c.features.frames)).toEqual(ds.clips.map((c) => c.features.frames));
    expect(Array.from(again.clips[3].features.data)).toEqual(Array.from(ds.clips[3].features.data));
  });
});
