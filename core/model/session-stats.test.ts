import { describe, expect, it } from 'vitest';
import { corpusFile, sampleRows } from '../../test/corpora.js';
import { decodeAudioFile } from '../audio/decode-file.js';
import { FEATURE_CONFIG, featureDim, rmsIndex } from '../features/config.js';
import { extractFeatures } from '../features/extract.js';
import { FeatureHistory } from '../features/history.js';
import { StreamAnalyzer } from '../stream-analyzer.js';
import { SESSION_VAR_FLOOR, SessionStats } from './session-stats.js';
import { DEFAULT_VOICING, type Normalization, inputDim } from './window.js';

const DIM = featureDim();
const GLOBAL = {
  mean: Array.from({ length: DIM }, (_, d) => 0.1 * d - 1),
  std: Array.from({ length: DIM }, (_, d) => 1 + 0.05 * d),
};
const both = (priorFrames: number): Normalization => ({ ...GLOBAL, session: { priorFrames, layout: 'both' } });

/** Session moments by the formula, straight from the frames (no incremental state). */
function direct(frames: Float32Array[], n0: number): { mean: number[]; std: number[] } {
  const voiced = frames.filter((row) => row[rmsIndex()] > DEFAULT_VOICING.thresholdDb);
  const mean: number[] = [];
  const std: number[] = [];
  for (let d = 0; d < DIM; d++) {
    const z = voiced.map((row) => Math.fround((row[d] - GLOBAL.mean[d]) / GLOBAL.std[d]));
    const m = z.reduce((a, b) => a + b, 0) / (n0 + z.length);
    const v = (n0 + z.reduce((a, b) => a + b * b, 0)) / (n0 + z.length) - m * m;
    mean.push(m);
    std.push(Math.sqrt(Math.max(v, SESSION_VAR_FLOOR)));
  }
  return { mean, std };
}

describe('SessionStats', () => {
  it('with no voiced frame yet is the global prior: mean 0, std 1', () => {
    const s = new SessionStats({ ...GLOBAL, session: { priorFrames: 300, layout: 'both' } }, -60, rmsIndex()).refresh();
    expect([...s.mean].every((m) => m === 0)).toBe(true);
    expect([...s.std].every((v) => v === 1)).toBe(true);
  });

  it('on real speech added in uneven pieces equals the formula over the voiced frames; unvoiced frames are left out', async () => {
    const row = sampleRows()[0];
    const f = extractFeatures(await decodeAudioFile(corpusFile(row)));
    const history = new FeatureHistory(DIM, Infinity, f.frames);
    history.append(f.data, f.frames);
    const frames = Array.from({ length: f.frames }, (_, i) => f.data.subarray(i * DIM, (i + 1) * DIM));
    const unvoiced = frames.filter((r) => !(r[rmsIndex()] > DEFAULT_VOICING.thresholdDb)).length;
    expect(unvoiced).toBeGreaterThan(10); // the clip has pauses, so the gate is exercised
    for (const n0 of [0, 300]) {
      const s = new SessionStats({ ...GLOBAL, session: { priorFrames: n0, layout: 'both' } }, DEFAULT_VOICING.thresholdDb, rmsIndex());
      for (let at = 0; at < f.frames; at += 37) s.addFrames(history, at, Math.min(f.frames, at + 37));
      s.refresh();
      const want = direct(frames, n0);
      expect(s.frames).toBe(f.frames - unvoiced);
      for (let d = 0; d < DIM; d++) {
        expect(s.mean[d]).toBeCloseTo(want.mean[d], 9);
        expect(s.std[d]).toBeCloseTo(want.std[d], 9);
      }
    }
  });
});

describe('StreamAnalyzer with session normalisation', () => {
  it('feeds [z, session z] per frame; the session half uses every voiced frame up to the label point', async () => {
    const row = sampleRows()[1];
    const samples = await decodeAudioFile(corpusFile(row));
    const norm = both(300);
    const analyzer = new StreamAnalyzer({ window: { frames: 300, hopSeconds: 1 }, normalization: norm, voicing: DEFAULT_VOICING });
    const due = [...analyzer.push(samples), ...analyzer.finish()].filter((d) => d.voiced);
    expect(due.length).toBeGreaterThan(1);
    const f = extractFeatures(samples);
    const frames = Array.from({ length: f.frames }, (_, i) => f.data.subarray(i * DIM, (i + 1) * DIM));
    const width = inputDim(norm, DIM);
    expect(width).toBe(2 * DIM);
    for (const d of due) {
      expect(d.features.length).toBe(300 * width);
      const { mean, std } = direct(frames.slice(0, d.point.frameEnd), 300);
      const last = frames[d.point.frameEnd - 1];
      const o = 299 * width;
      for (let k = 0; k < DIM; k++) {
        const z = Math.fround((last[k] - GLOBAL.mean[k]) / GLOBAL.std[k]);
        expect(d.features[o + k]).toBeCloseTo(z, 5);
        expect(d.features[o + DIM + k]).toBeCloseTo((z - mean[k]) / std[k], 4);
      }
    }
  });

  it('gives the same windows bit for bit however the stream is chunked (state carried across pushes)', async () => {
    const samples = await decodeAudioFile(corpusFile(sampleRows()[2]));
    const settings = { window: { frames: 300, hopSeconds: 1 as const }, normalization: both(100), voicing: DEFAULT_VOICING };
    const whole = new StreamAnalyzer(settings);
    const a = [...whole.push(samples), ...whole.finish()];
    const chunked = new StreamAnalyzer(settings);
    const b = [];
    for (let o = 0; o < samples.length; o += 1234) b.push(...chunked.push(samples.subarray(o, o + 1234)));
    b.push(...chunked.finish());
    expect(b.map((d) => d.point)).toEqual(a.map((d) => d.point));
    b.forEach((d, i) => expect(Buffer.from(d.features.buffer).equals(Buffer.from(a[i].features.buffer))).toBe(true));
    expect(FEATURE_CONFIG.sampleRate).toBe(16000);
  });
});
