import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { readManifest } from './manifest.js';
import { assertSpeakerDisjoint, heldOutSplit, speakerFolds, speakersOf } from './splits.js';
import { corporaDir } from '../test/corpora.js';

const manifest = await readManifest(path.join(corporaDir(), 'manifest.csv'));

describe('speaker-independent splits on the real manifest', () => {
  it('RAVDESS: 6 folds of 4 actors, each actor tested exactly once, never in two parts', () => {
    const folds = speakerFolds(manifest.rows, 'ravdess', 6);
    expect(folds).toHaveLength(6);
    const tested = folds.flatMap((f) => speakersOf(f.test));
    expect(tested).toHaveLength(24);
    expect(new Set(tested).size).toBe(24);
    for (const f of folds) {
      expect(speakersOf(f.test)).toHaveLength(4);
      expect(speakersOf(f.validation)).toHaveLength(4);
      expect(speakersOf(f.train)).toHaveLength(16);
      expect(f.test).toHaveLength(240);
      assertSpeakerDisjoint(f);
    }
    expect(speakersOf(folds[0].test)).toEqual(['ravdess-01', 'ravdess-02', 'ravdess-03', 'ravdess-04']);
  });

  it('adds other corpora to training only', () => {
    const others = manifest.rows.filter((r) => r.corpus !== 'ravdess');
    const folds = speakerFolds(manifest.rows, 'ravdess', 6, others);
    for (const f of folds) {
      expect(f.test.every((r) => r.corpus === 'ravdess')).toBe(true);
      expect(f.train.length).toBe(960 + others.length);
    }
  });

  it('held-out split: test speakers from every corpus with 2+ speakers, disjoint from training', () => {
    const split = heldOutSplit(manifest.rows);
    assertSpeakerDisjoint(split);
    for (const corpus of new Set(manifest.rows.map((r) => r.corpus))) {
      const n = speakersOf(manifest.rows.filter((r) => r.corpus === corpus)).length;
      if (n >= 2) expect(split.test.some((r) => r.corpus === corpus), corpus).toBe(true);
      expect(split.train.some((r) => r.corpus === corpus), corpus).toBe(true);
    }
    expect(split.train.length + split.validation.length + split.test.length).toBe(manifest.rows.length);
  });

  it('catches a leaky split', () => {
    const rows = manifest.rows.filter((r) => r.corpus === 'savee');
    expect(() => assertSpeakerDisjoint({ name: 'leaky', train: rows.slice(0, 10), validation: [], test: rows.slice(5, 15) })).toThrow(/savee-DC is in two parts/);
  });
});
