import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { corpusFile, sampleRows } from '../../test/corpora.js';
import { decodeAudioFile } from '../audio/decode-file.js';
import { FEATURE_CONFIG, featureDim, framesCompleteAt } from './config.js';
import { type FeatureMatrix, extractFeatures } from './extract.js';
import { IncrementalExtractor } from './incremental.js';

interface Clip {
  name: string;
  samples: Float32Array;
  whole: FeatureMatrix;
}

let clips: Clip[] = [];

beforeAll(async () => {
  // Three real files of different corpora and lengths (1.6-3.6 s).
  const rows = sampleRows().slice(1, 4);
  clips = await Promise.all(
    rows.map(async (r) => {
      const samples = await decodeAudioFile(corpusFile(r));
      return { name: r.path, samples, whole: extractFeatures(samples) };
    }),
  );
});

/** Pushes `x` in chunks cycling through `sizes`; returns the concatenated frames and the extractor. */
function runIncremental(x: Float32Array, sizes: number[]): { data: Float32Array; frames: number; extractor: IncrementalExtractor } {
  const extractor = new IncrementalExtractor();
  const parts: FeatureMatrix[] = [];
  let o = 0;
  for (let k = 0; o < x.length; k++) {
    const n = sizes[k % sizes.length];
    const m = extractor.push(x.subarray(o, o + n));
    if (m.dim !== extractor.dim || m.data.length !== m.frames * m.dim) throw new Error(`malformed matrix from push ${k}`);
    parts.push(m);
    o += n;
  }
  const frames = parts.reduce((s, p) => s + p.frames, 0);
  const data = new Float32Array(frames * extractor.dim);
  let off = 0;
  for (const p of parts) {
    data.set(p.data, off);
    off += p.data.length;
  }
  return { data, frames, extractor };
}

/** Largest |a - b| and the count of elements that differ in any bit. */
function compare(a: Float32Array, b: Float32Array): { maxAbs: number; differing: number } {
  let maxAbs = 0;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) differing++;
    maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
  }
  return { maxAbs, differing };
}

describe('IncrementalExtractor vs extractFeatures on real speech', () => {
  it('the whole-file features are sane (finite, the expected frame count)', () => {
    for (const c of clips) {
      expect(c.whole.dim).toBe(featureDim());
      expect(c.whole.frames).toBe(framesCompleteAt(c.samples.length));
      expect(c.whole.frames).toBeGreaterThan(100);
      expect(c.whole.data.every(Number.isFinite)).toBe(true);
    }
  });

  it('one push of the whole clip gives exactly the whole-file frames', () => {
    for (const c of clips) {
      const { data, frames } = runIncremental(c.samples, [c.samples.length]);
      expect(frames).toBe(c.whole.frames);
      expect(compare(data, c.whole.data).differing).toBe(0);
    }
  });

  it('1-sample pushes give exactly the whole-file frames', () => {
    const c = clips[0];
    const { data, frames, extractor } = runIncremental(c.samples, [1]);
    expect(frames).toBe(c.whole.frames);
    expect(extractor.framesEmitted).toBe(c.whole.frames);
    expect(extractor.samplesSeen).toBe(c.samples.length);
    expect(compare(data, c.whole.data).differing).toBe(0);
  });

  it('property: any chunking (1..5000 samples, 1-sample chunks included) gives the whole-file frames exactly', () => {
    const sizes = fc.array(
      fc.oneof(
        { weight: 1, arbitrary: fc.constant(1) },
        { weight: 2, arbitrary: fc.integer({ min: 1, max: 200 }) },
        { weight: 3, arbitrary: fc.integer({ min: 1, max: 5000 }) },
      ),
      { minLength: 1, maxLength: 40 },
    );
    let runs = 0;
    let worst = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: clips.length - 1 }), sizes, (which, chunkSizes) => {
        runs++;
        const c = clips[which];
        const { data, frames, extractor } = runIncremental(c.samples, chunkSizes);
        if (frames !== c.whole.frames || extractor.framesEmitted !== frames) return false;
        const { maxAbs, differing } = compare(data, c.whole.data);
        worst = Math.max(worst, maxAbs);
        // The contract is 1e-6; the implementation runs the same arithmetic on the same samples,
        // so it is in fact bit-identical.
        return maxAbs <= 1e-6 && differing === 0;
      }),
      { numRuns: 120 },
    );
    expect(runs).toBeGreaterThanOrEqual(120);
    expect(worst).toBe(0);
  });

  it('a push only returns frames that its samples complete', () => {
    const x = clips[0].samples;
    const ex = new IncrementalExtractor();
    let pushed = 0;
    let emitted = 0;
    for (const n of [399, 1, 159, 1, 0, 5000, 3]) {
      const m = ex.push(x.subarray(pushed, pushed + n));
      pushed += n;
      emitted += m.frames;
      expect(emitted).toBe(framesCompleteAt(pushed, FEATURE_CONFIG));
    }
  });
});
