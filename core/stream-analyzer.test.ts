import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { corpusFile, sampleRows } from '../test/corpora.js';
import { decodeAudioFile } from './audio/decode-file.js';
import { FEATURE_CONFIG, featureDim, rmsIndex } from './features/config.js';
import { type FeatureMatrix, extractFeatures } from './features/extract.js';
import type { FeatureHistory } from './features/history.js';
import { DEFAULT_VOICING, type Normalization, labelPoints } from './model/window.js';
import { type AnalyzerSettings, type DueWindow, StreamAnalyzer } from './stream-analyzer.js';

const DIM = featureDim();
const SR = FEATURE_CONFIG.sampleRate;

/** A normalisation that is not the identity, so its use is visible. */
const NORM: Normalization = {
  mean: Array.from({ length: DIM }, (_, d) => 0.1 * d - 1),
  std: Array.from({ length: DIM }, (_, d) => 1 + 0.05 * d),
};

function settings(frames: number): AnalyzerSettings {
  return { window: { frames, hopSeconds: 1 }, normalization: NORM, voicing: DEFAULT_VOICING };
}

interface Clip {
  name: string;
  samples: Float32Array;
  whole: FeatureMatrix;
}

let clips: Clip[] = [];

beforeAll(async () => {
  clips = await Promise.all(
    sampleRows().map(async (r) => {
      const samples = await decodeAudioFile(corpusFile(r));
      return { name: r.path, samples, whole: extractFeatures(samples) };
    }),
  );
});

function runChunked(x: Float32Array, sizes: number[], s: AnalyzerSettings): DueWindow[] {
  const a = new StreamAnalyzer(s);
  const due: DueWindow[] = [];
  let o = 0;
  for (let k = 0; o < x.length; k++) {
    const n = sizes[k % sizes.length];
    due.push(...a.push(x.subarray(o, o + n)));
    o += n;
  }
  due.push(...a.finish());
  return due;
}

function runWhole(x: Float32Array, s: AnalyzerSettings): DueWindow[] {
  const a = new StreamAnalyzer(s);
  return [...a.push(x), ...a.finish()];
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function sameWindows(a: DueWindow[], b: DueWindow[]): boolean {
  if (a.length !== b.length) return false;
  return a.every(
    (w, i) =>
      JSON.stringify(w.point) === JSON.stringify(b[i].point) &&
      w.voiced === b[i].voiced &&
      sameBits(w.features, b[i].features) &&
      sameBits(w.mask, b[i].mask),
  );
}

function historyOf(a: StreamAnalyzer): FeatureHistory {
  return (a as unknown as { history: FeatureHistory }).history;
}

/** The window a due label should carry, computed from the whole-file features. */
function expectedWindow(whole: FeatureMatrix, frameEnd: number, frames: number): { features: Float32Array; mask: Float32Array } {
  const features = new Float32Array(frames * DIM);
  const mask = new Float32Array(frames);
  for (let t = 0; t < frames; t++) {
    const f = frameEnd - frames + t;
    if (f < 0) continue;
    mask[t] = 1;
    for (let d = 0; d < DIM; d++) features[t * DIM + d] = (whole.data[f * DIM + d] - NORM.mean[d]) / NORM.std[d];
  }
  return { features, mask };
}

function voicedFrames(whole: FeatureMatrix, from: number, to: number): number {
  let n = 0;
  for (let f = from; f < to; f++) if (whole.data[f * DIM + rmsIndex()] > DEFAULT_VOICING.thresholdDb) n++;
  return n;
}

describe('StreamAnalyzer on real speech', () => {
  it('one push + finish: points are labelPoints(n), voicing and windows match the whole-file features', () => {
    for (const frames of [100, 300]) {
      for (const c of clips) {
        const due = runWhole(c.samples, settings(frames));
        expect(due.map((d) => d.point)).toEqual(labelPoints(c.samples.length));
        expect(due.length).toBe(Math.ceil(c.samples.length / SR));
        expect(due.some((d) => d.voiced), c.name).toBe(true);
        for (const d of due) {
          const { frameStart, frameEnd } = d.point;
          expect(d.voiced, `${c.name} s${d.point.second}`).toBe(voicedFrames(c.whole, frameStart, frameEnd) >= DEFAULT_VOICING.minVoicedFrames);
          if (!d.voiced) {
            expect(d.features.length).toBe(0);
            expect(d.mask.length).toBe(0);
            continue;
          }
          const want = expectedWindow(c.whole, frameEnd, frames);
          expect(Array.from(d.mask)).toEqual(Array.from(want.mask));
          let maxErr = 0;
          for (let i = 0; i < want.features.length; i++) maxErr = Math.max(maxErr, Math.abs(d.features[i] - want.features[i]));
          expect(maxErr, `${c.name} s${d.point.second}`).toBeLessThanOrEqual(1e-6);
        }
      }
    }
  });

  it('windows shorter than the window length are left-padded: mask zeros first, zero features there', () => {
    const T = 300;
    const c = clips[0];
    const due = runWhole(c.samples, settings(T));
    const padded = due.filter((d) => d.voiced && d.point.frameEnd < T);
    expect(padded.length).toBeGreaterThan(0);
    for (const d of padded) {
      const pad = T - d.point.frameEnd;
      expect(Array.from(d.mask.subarray(0, pad)).every((m) => m === 0)).toBe(true);
      expect(Array.from(d.mask.subarray(pad)).every((m) => m === 1)).toBe(true);
      expect(d.features.subarray(0, pad * DIM).every((v) => v === 0)).toBe(true);
      // The first real row is frame 0.
      const row0 = Array.from({ length: DIM }, (_, k) => (c.whole.data[k] - NORM.mean[k]) / NORM.std[k]);
      for (let k = 0; k < DIM; k++) expect(d.features[pad * DIM + k]).toBeCloseTo(row0[k], 5);
    }
  });

  it('property: random chunkings give the same DueWindow list (points, voiced, features, masks bit for bit)', () => {
    const expected = clips.map((c) => runWhole(c.samples, settings(100)));
    const sizes = fc.array(
      fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1000, max: 40000 }), fc.constant(16000)),
      { minLength: 1, maxLength: 12 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: clips.length - 1 }), sizes, (which, chunkSizes) =>
        sameWindows(runChunked(clips[which].samples, chunkSizes, settings(100)), expected[which]),
      ),
      { numRuns: 40 },
    );
  });

  it('a stream that ends exactly on a second has no extra flush label; push after finish throws', () => {
    const x = clips[0].samples.subarray(0, 2 * SR);
    const a = new StreamAnalyzer(settings(100));
    expect(a.push(x).map((d) => d.point.second)).toEqual([1, 2]);
    expect(a.finish()).toEqual([]);
    expect(a.finish()).toEqual([]);
    expect(a.labelCount).toBe(2);
    expect(a.sampleCount).toBe(2 * SR);
    expect(() => a.push(new Float32Array(10))).toThrow();
  });

  it('silence is never voiced; a stream too short for a frame has no label', () => {
    const silent = runWhole(new Float32Array(3 * SR + 500), settings(100));
    expect(silent.map((d) => d.point.second)).toEqual([1, 2, 3, 4]);
    expect(silent.every((d) => !d.voiced)).toBe(true);
    expect(runWhole(new Float32Array(399), settings(100))).toEqual([]);
    expect(runWhole(new Float32Array(0), settings(100))).toEqual([]);
  });
});

describe('StreamAnalyzer memory', () => {
  it('10 minutes in 1 s pushes: the feature history stays within its capacity, and late windows are right', () => {
    // Ten minutes of real speech: the corpus clips back to back, repeated.
    const seconds = 600;
    const speech = new Float32Array(seconds * SR);
    for (let o = 0, k = 0; o < speech.length; k++) {
      const c = clips[k % clips.length].samples;
      speech.set(c.subarray(0, Math.min(c.length, speech.length - o)), o);
      o += c.length;
    }
    const T = 100;
    const a = new StreamAnalyzer(settings(T));
    const history = historyOf(a);
    const capacity = history.capacity;
    expect(Number.isFinite(capacity)).toBe(true);
    let maxHeld = 0;
    let maxAllocatedRows = 0;
    let last: DueWindow | undefined;
    for (let s = 0; s < seconds; s++) {
      const due = a.push(speech.subarray(s * SR, (s + 1) * SR));
      expect(due.length).toBe(1);
      last = due[0];
      maxHeld = Math.max(maxHeld, history.heldFrames);
      maxAllocatedRows = Math.max(maxAllocatedRows, (history as unknown as { data: Float32Array }).data.length / DIM);
    }
    expect(a.labelCount).toBe(seconds);
    expect(history.end).toBe(framesCompleteAt600());
    expect(history.end - history.start).toBe(history.heldFrames);
    // At most capacity frames (the window plus one second's frames and a small margin).
    expect(maxHeld).toBeLessThanOrEqual(capacity);
    expect(capacity).toBeLessThan(T + 2 * (SR / FEATURE_CONFIG.hopLength));
    expect(maxAllocatedRows).toBeLessThanOrEqual(2 * capacity);
    // The last window equals the one a fresh analyzer computes from the last three seconds
    // (frames align on whole seconds: 16000 samples = 100 hops).
    const fresh = runWhole(speech.subarray((seconds - 3) * SR), settings(T));
    const lastFresh = fresh[fresh.length - 1];
    expect(last!.voiced).toBe(lastFresh.voiced);
    expect(sameBits(last!.features, lastFresh.features)).toBe(true);
    expect(sameBits(last!.mask, lastFresh.mask)).toBe(true);
  });
});

function framesCompleteAt600(): number {
  return Math.floor((600 * SR - FEATURE_CONFIG.frameLength) / FEATURE_CONFIG.hopLength) + 1;
}
