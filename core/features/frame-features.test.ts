import MeydaModule from 'meyda';
import { beforeAll, describe, expect, it } from 'vitest';
import { corpusFile, sampleRows } from '../../test/corpora.js';
import { decodeAudioFile } from '../audio/decode-file.js';
import { FEATURE_CONFIG, type FeatureConfig, featureDim, rmsIndex } from './config.js';
import { FrameFeatureComputer, dctMatrix, melFilterbank } from './frame-features.js';

/** The parts of meyda's (CommonJS, mutable-singleton) API used here; its typings do not survive NodeNext's default import. */
interface MeydaLike {
  bufferSize: number;
  sampleRate: number;
  windowingFunction: string;
  extract(features: string[], signal: Float32Array): Record<string, unknown>;
}
const Meyda = ((MeydaModule as unknown as { default?: MeydaLike }).default ?? MeydaModule) as unknown as MeydaLike;

const cfg = FEATURE_CONFIG;
const ZCR = cfg.mfccCount;
const RMS = rmsIndex();

function features(frame: Float32Array, config: FeatureConfig = cfg): Float32Array {
  const c = new FrameFeatureComputer(config);
  const out = new Float32Array(c.dim);
  c.compute(frame, 0, out, 0);
  return out;
}

function sine(freq: number, n: number, amp = 1, phase = 0.3, rate = 16000): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / rate + phase));
}

// ---- An independent reference, written from the FeatureConfig's description only ----------

const hzToMel = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
const melToHz = (mel: number): number => 700 * (10 ** (mel / 2595) - 1);

/** HTK mel band edges: melBands + 2 points evenly spaced in mel between fMin and fMax. */
function bandEdgesHz(config: FeatureConfig): number[] {
  const lo = hzToMel(config.fMin);
  const hi = hzToMel(config.fMax);
  return Array.from({ length: config.melBands + 2 }, (_, i) => melToHz(lo + ((hi - lo) * i) / (config.melBands + 1)));
}

/** Orthonormal DCT-II basis value: coefficient k, input i of n. */
function dctBasis(k: number, i: number, n: number): number {
  return (k === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n)) * Math.cos((Math.PI * k * (2 * i + 1)) / (2 * n));
}

/** MFCC + ZCR + RMS dB by the textbook: periodic Hann, naive DFT, triangular HTK mel, ln, DCT-II. */
function referenceFeatures(frame: Float32Array, config: FeatureConfig): number[] {
  const N = config.frameLength;
  const nfft = config.fftSize;
  const windowed = Array.from({ length: N }, (_, i) => frame[i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N)));
  const power: number[] = [];
  for (let k = 0; k <= nfft / 2; k++) {
    let re = 0;
    let im = 0;
    for (let i = 0; i < N; i++) {
      re += windowed[i] * Math.cos((2 * Math.PI * k * i) / nfft);
      im -= windowed[i] * Math.sin((2 * Math.PI * k * i) / nfft);
    }
    power.push(re * re + im * im);
  }
  const edges = bandEdgesHz(config);
  const logMel: number[] = [];
  for (let m = 0; m < config.melBands; m++) {
    const [lo, mid, hi] = [edges[m], edges[m + 1], edges[m + 2]];
    let e = 0;
    for (let k = 0; k <= nfft / 2; k++) {
      const f = (k * config.sampleRate) / nfft;
      const w = f > lo && f <= mid ? (f - lo) / (mid - lo) : f > mid && f < hi ? (hi - f) / (hi - mid) : 0;
      e += w * power[k];
    }
    logMel.push(Math.log(Math.max(e, config.logFloor)));
  }
  const mfcc = Array.from({ length: config.mfccCount }, (_, k) => logMel.reduce((s, v, i) => s + dctBasis(k, i, config.melBands) * v, 0));
  let crossings = 0;
  let sumSq = 0;
  for (let i = 0; i < N; i++) {
    sumSq += frame[i] * frame[i];
    if (i > 0 && frame[i] >= 0 !== frame[i - 1] >= 0) crossings++;
  }
  const rms = Math.sqrt(sumSq / N);
  return [...mfcc, crossings / (N - 1), Math.max(config.rmsFloorDb, rms > 0 ? 20 * Math.log10(rms) : -Infinity)];
}

/** Log-mel energies back from MFCCs: the orthonormal DCT's inverse is its transpose. */
function logMelFromMfcc(mfcc: ArrayLike<number>, n: number): number[] {
  return Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let k = 0; k < n; k++) s += dctBasis(k, i, n) * mfcc[k];
    return s;
  });
}

// ---------------------------------------------------------------------------------------------

let speech: Float32Array;

beforeAll(async () => {
  speech = await decodeAudioFile(corpusFile(sampleRows()[0]));
});

describe('FrameFeatureComputer: known answers', () => {
  it('RMS of a full-scale sine is -3.01 dBFS; half scale is -9.03', () => {
    // 1 kHz at 16 kHz: exactly 25 periods in a 400-sample frame, so the mean square is exactly 1/2.
    expect(features(sine(1000, 400, 1))[RMS]).toBeCloseTo(10 * Math.log10(0.5), 4);
    expect(features(sine(1000, 400, 1))[RMS]).toBeCloseTo(-3.0103, 3);
    expect(features(sine(1000, 400, 0.5))[RMS]).toBeCloseTo(20 * Math.log10(0.5 / Math.SQRT2), 4);
    // A DC of 0.1 is -20 dB.
    expect(features(new Float32Array(400).fill(0.1))[RMS]).toBeCloseTo(-20, 4);
  });

  it('ZCR of a sine is about 2 f / fs', () => {
    for (const f of [250, 1000, 3000, 6000]) {
      const zcr = features(sine(f, 400))[ZCR];
      // 400 samples hold 400 f / 16000 periods, two crossings each, counted over 399 gaps.
      expect(Math.abs(zcr - (2 * f) / 16000), `${f} Hz`).toBeLessThanOrEqual(2 / 399);
    }
    expect(features(sine(1000, 400))[ZCR]).toBeCloseTo(0.125, 2);
    // Alternating signs cross at every sample; a constant never does.
    expect(features(Float32Array.from({ length: 400 }, (_, i) => (i % 2 ? 0.5 : -0.5)))[ZCR]).toBe(1);
    expect(features(new Float32Array(400).fill(-0.3))[ZCR]).toBe(0);
  });

  it('digital silence gives rmsFloorDb and finite MFCCs (the log floor, flat spectrum)', () => {
    const f = features(new Float32Array(400));
    expect(f[RMS]).toBe(cfg.rmsFloorDb);
    expect(f[ZCR]).toBe(0);
    expect(f.every(Number.isFinite)).toBe(true);
    // Every log-mel is ln(logFloor): c0 = sqrt(bands) * ln(floor), the rest 0.
    expect(f[0]).toBeCloseTo(Math.sqrt(cfg.melBands) * Math.log(cfg.logFloor), 3);
    for (let k = 1; k < cfg.mfccCount; k++) expect(Math.abs(f[k])).toBeLessThan(1e-4);
    // So does a signal far below the floor of 1e-5 RMS.
    expect(features(sine(1000, 400, 1e-7))[RMS]).toBe(cfg.rmsFloorDb);
  });

  it('a 1 kHz tone puts its energy in the mel band that contains 1 kHz', () => {
    expect(cfg.mfccCount).toBe(cfg.melBands); // so the DCT can be inverted exactly
    const mfcc = features(sine(1000, 400, 0.5)).subarray(0, cfg.mfccCount);
    const logMel = logMelFromMfcc(mfcc, cfg.melBands);
    const peak = logMel.indexOf(Math.max(...logMel));
    const edges = bandEdgesHz(cfg);
    // Band m spans edges[m]..edges[m+2] and peaks at edges[m+1].
    expect(edges[peak]).toBeLessThan(1000);
    expect(edges[peak + 2]).toBeGreaterThan(1000);
    expect(Math.abs(edges[peak + 1] - 1000)).toBeLessThan(edges[peak + 2] - edges[peak]);
    // The bands far from 1 kHz hold only window leakage: more than 60 dB (ln 1e6) down.
    for (let m = 0; m < cfg.melBands; m++) {
      if (edges[m + 2] < 600 || edges[m] > 1600) expect(logMel[peak] - logMel[m], `band ${m}`).toBeGreaterThan(Math.log(1e6));
    }
  });

  it('matches a naive-DFT textbook implementation on real speech frames', () => {
    const computer = new FrameFeatureComputer(cfg);
    const out = new Float32Array(computer.dim);
    let worst = 0;
    let checked = 0;
    for (let start = 0; start + cfg.frameLength <= speech.length; start += 37 * cfg.hopLength) {
      computer.compute(speech, start, out, 0);
      const ref = referenceFeatures(speech.subarray(start, start + cfg.frameLength), cfg);
      // The reference covers the MFCCs, zcr and rms_db; pitch and periodicity have their own tests (pitch.test.ts).
      const compared = [...Array(cfg.mfccCount).keys()].map((d) => [d, ref[d]]).concat([[ZCR, ref[cfg.mfccCount]], [RMS, ref[cfg.mfccCount + 1]]]);
      for (const [d, r] of compared) worst = Math.max(worst, Math.abs(out[d] - r) / (1 + Math.abs(r)));
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
    expect(worst).toBeLessThan(1e-5);
  });

  it('writes exactly dim values at the requested offsets', () => {
    const computer = new FrameFeatureComputer(cfg);
    const dim = featureDim();
    expect(computer.dim).toBe(dim);
    const out = new Float32Array(3 * dim).fill(123);
    computer.compute(speech, 8000, out, dim);
    expect(out.subarray(0, dim).every((v) => v === 123)).toBe(true);
    expect(out.subarray(2 * dim).every((v) => v === 123)).toBe(true);
    const alone = new Float32Array(dim);
    computer.compute(speech.slice(8000, 8000 + cfg.frameLength), 0, alone, 0);
    expect(Array.from(out.subarray(dim, 2 * dim))).toEqual(Array.from(alone));
  });
});

describe('building blocks', () => {
  it('dctMatrix is orthonormal', () => {
    const n = 40;
    const m = dctMatrix(n, n);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += m[a * n + i] * m[b * n + i];
        expect(Math.abs(dot - (a === b ? 1 : 0))).toBeLessThan(1e-12);
      }
    }
    // Keeping fewer rows keeps the first rows.
    expect(Array.from(dctMatrix(n, 13))).toEqual(Array.from(m.subarray(0, 13 * n)));
  });

  it('melFilterbank: triangles on the HTK mel scale, peaking at their centre frequency', () => {
    const filters = melFilterbank(cfg);
    const edges = bandEdgesHz(cfg);
    expect(filters.length).toBe(cfg.melBands);
    const binHz = cfg.sampleRate / cfg.fftSize;
    filters.forEach(({ start, weights }, m) => {
      expect(weights.length, `band ${m}`).toBeGreaterThan(0);
      for (let j = 0; j < weights.length; j++) {
        const f = (start + j) * binHz;
        expect(f, `band ${m}`).toBeGreaterThan(edges[m]);
        expect(f, `band ${m}`).toBeLessThan(edges[m + 2]);
        expect(weights[j]).toBeGreaterThan(0);
        expect(weights[j]).toBeLessThanOrEqual(1);
      }
      // The largest weight sits on a bin next to the centre frequency.
      const j = weights.indexOf(Math.max(...weights));
      expect(Math.abs((start + j) * binHz - edges[m + 1])).toBeLessThan(binHz);
    });
  });
});

/*
 * Cross-check with meyda where the definitions coincide.
 *
 * - rms: meyda returns the linear RMS of the (windowed) buffer; with windowingFunction 'rect' that
 *   is the raw frame, so 20 log10(meyda rms) must equal our rms_db.
 * - zcr: meyda returns the count of sign changes (x >= 0 vs x < 0, as ours); ours is that count
 *   divided by the frameLength - 1 gaps.
 * - meyda only takes power-of-two buffers, so the comparison uses a 512-sample frame config.
 *
 * MFCCs are not comparable, by design differences rather than bugs: meyda's mel filterbank spans
 * 0 Hz to Nyquist with edges rounded down to whole FFT bins, it takes log(energy + 1) instead of
 * ln(max(energy, 1e-10)), and its DCT (the `dct` package) is the unnormalised DCT-II (no
 * sqrt(1/N), sqrt(2/N) scaling), capped at 40 coefficients; and its default window is a symmetric
 * Hann. Each of these changes every coefficient.
 */
describe('cross-check with meyda (rms, zcr)', () => {
  const config512: FeatureConfig = { ...cfg, frameLength: 512 };

  it('rms and zcr agree on real speech frames and on noise', () => {
    Meyda.bufferSize = 512;
    Meyda.sampleRate = 16000;
    Meyda.windowingFunction = 'rect';
    const computer = new FrameFeatureComputer(config512);
    const out = new Float32Array(computer.dim);
    const frames: Float32Array[] = [];
    for (let start = 0; start + 512 <= speech.length; start += 4001) frames.push(speech.slice(start, start + 512));
    let seed = 12345;
    frames.push(
      Float32Array.from({ length: 512 }, () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed / 2147483648 - 0.5;
      }),
    );
    expect(frames.length).toBeGreaterThan(5);
    for (const frame of frames) {
      computer.compute(frame, 0, out, 0);
      const m = Meyda.extract(['rms', 'zcr'], frame) as { rms: number; zcr: number };
      expect(out[config512.mfccCount]).toBeCloseTo(m.zcr / 511, 6);
      if (m.rms > 1e-5) expect(out[rmsIndex(config512)]).toBeCloseTo(20 * Math.log10(m.rms), 3);
      else expect(out[rmsIndex(config512)]).toBe(cfg.rmsFloorDb);
    }
  });
});
