/** The feature cache is keyed by what a clip is (its bytes, the trimming, the augmentation), not where or when it was written. */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusFile, manifestRows } from '../../test/corpora.js';
import { FeatureCache } from './cache.js';

describe('FeatureCache.key', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'undertone-cache-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cache = new FeatureCache(path.join(dir, 'cache'));
  const original = corpusFile(manifestRows().find((r) => r.corpus === 'savee')!);

  it('gives a copy of a corpus file at another path, with a new mtime, the same key', async () => {
    const copy = path.join(dir, 'copy.opus');
    copyFileSync(original, copy);
    utimesSync(copy, new Date('2030-01-01'), new Date('2030-01-01'));
    expect(await cache.key(copy, null)).toBe(await cache.key(original, null));
  });

  it('gives other bytes, or another augmentation, another key', async () => {
    const changed = path.join(dir, 'changed.opus');
    const bytes = readFileSync(original);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(changed, bytes);
    expect(await cache.key(changed, null)).not.toBe(await cache.key(original, null));
    expect(await cache.key(original, { seed: 1, speed: 1.1 })).not.toBe(await cache.key(original, null));
    expect(await cache.key(original, { seed: 1, codec: { kind: 'mp3', kbps: 32 } })).not.toBe(await cache.key(original, { seed: 1, codec: { kind: 'mp3', kbps: 64 } }));
  });

  it('names a missing file', async () => {
    await expect(cache.key(path.join(dir, 'gone.opus'), null)).rejects.toThrow(/gone\.opus: no such file/);
  });
});
