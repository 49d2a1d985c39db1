import { describe, expect, it } from 'vitest';
import type { InferenceModel } from './inference-model.js';
import { InferenceScheduler } from './scheduler.js';

/** A scorer whose score for a window is its first feature value, recording each call's batch size. */
function fakeScorer(calls: number[], fail = false): Pick<InferenceModel, 'windowFrames' | 'dim' | 'score'> {
  return {
    windowFrames: 2,
    dim: 3,
    async score(features, _mask, count) {
      calls.push(count);
      if (fail) throw new Error('boom');
      await new Promise((r) => setTimeout(r, 2));
      const out = new Float32Array(count * 2);
      for (let b = 0; b < count; b++) {
        out[2 * b] = features[b * 6];
        out[2 * b + 1] = -features[b * 6];
      }
      return out;
    },
  };
}

const window = (v: number): [Float32Array, Float32Array] => [new Float32Array(6).fill(v), new Float32Array(2).fill(1)];

describe('InferenceScheduler', () => {
  it('batches windows submitted together, never more than maxBatch per call, each getting its own row', async () => {
    const calls: number[] = [];
    const s = new InferenceScheduler(fakeScorer(calls), { maxBatch: 4, maxWaitMs: 20 });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => s.submit(...window(i + 1))));
    results.forEach((r, i) => expect([r.scores[2 * r.row], r.scores[2 * r.row + 1]]).toEqual([i + 1, -(i + 1)]));
    expect(calls).toEqual([4, 4, 2]);
    expect(s.windowsScored).toBe(10);
  });

  it('a lone window waits at most maxWaitMs', async () => {
    const calls: number[] = [];
    const s = new InferenceScheduler(fakeScorer(calls), { maxBatch: 64, maxWaitMs: 15 });
    const t0 = performance.now();
    await s.submit(...window(1));
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(14);
    expect(waited).toBeLessThan(200);
    expect(calls).toEqual([1]);
  });

  it('an inference failure rejects that batch only; the scheduler keeps working', async () => {
    const calls: number[] = [];
    const bad = new InferenceScheduler(fakeScorer(calls, true), { maxBatch: 2, maxWaitMs: 1 });
    await expect(bad.submit(...window(1))).rejects.toThrow('boom');
    await expect(bad.submit(...window(2))).rejects.toThrow('boom');
    expect(calls).toEqual([1, 1]);
    const s = new InferenceScheduler(fakeScorer([]), { maxBatch: 2, maxWaitMs: 1 });
    await expect(s.submit(new Float32Array(5), new Float32Array(2))).rejects.toThrow(RangeError);
    expect((await s.submit(...window(3))).scores[0]).toBe(3);
  });
});
