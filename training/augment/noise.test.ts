import { beforeAll, describe, expect, it } from 'vitest';
import FFT from 'fft.js';
import { ACTIVE_FRAME, activeFrameMask, activePower, addNoise, framePowers, pinkNoise, whiteNoise } from './noise.js';
import { deriveSeed, Rng } from './rng.js';
import { applyAugment } from './index.js';
import { corpusClips, db, SR, tone, type CorpusClip } from '../../test/signals.js';

/**
 * SNR over the speech frames: noise.ts decides which 20 ms frames are speech (activeFrameMask,
 * tested on its own below); signal power = mean of clean^2 over those frames' samples, noise
 * power = mean of (noisy - clean)^2 over the same samples. The implementation instead scales the
 * noise by its power over the whole signal, so this checks the gain and that the noise level is
 * right where the speech is.
 */
function measuredSnrDb(clean: Float32Array, noisy: Float32Array): number {
  const mask = activeFrameMask(framePowers(clean));
  let s = 0;
  let n = 0;
  for (let f = 0; f < mask.length; f++) {
    if (!mask[f]) continue;
    for (let i = f * ACTIVE_FRAME; i < Math.min(clean.length, (f + 1) * ACTIVE_FRAME); i++) {
      s += clean[i] ** 2;
      n += (noisy[i] - clean[i]) ** 2;
    }
  }
  return db(s / n);
}

/** Mean power per octave band [lo, 2lo) of a long signal (Welch-averaged 4096-point periodograms). */
function octavePowers(x: Float32Array, los: number[]): number[] {
  const size = 4096;
  const fft = new FFT(size);
  const psd = new Float64Array(size / 2);
  const out = fft.createComplexArray() as number[];
  const input = new Array<number>(size);
  let segments = 0;
  for (let start = 0; start + size <= x.length; start += size / 2, segments++) {
    for (let i = 0; i < size; i++) input[i] = x[start + i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size));
    fft.realTransform(out, input);
    for (let k = 0; k < size / 2; k++) psd[k] += out[2 * k] ** 2 + out[2 * k + 1] ** 2;
  }
  return los.map((lo) => {
    let sum = 0;
    for (let k = Math.ceil((lo * size) / SR); k < (2 * lo * size) / SR; k++) sum += psd[k];
    return sum / segments;
  });
}

describe('noise generators', () => {
  it('white and pink noise are zero-mean, unit-variance, deterministic per seed', () => {
    for (const gen of [whiteNoise, pinkNoise]) {
      const a = gen(64000, new Rng(5));
      const b = gen(64000, new Rng(5));
      const c = gen(64000, new Rng(6));
      expect(a).toEqual(b);
      expect(a).not.toEqual(c);
      let m = 0;
      let p = 0;
      for (const v of a) {
        m += v;
        p += v * v;
      }
      // Sampling error of white noise's mean and variance is 1/sqrt(n) and sqrt(2/n); pink is normalised exactly.
      expect(Math.abs(m / a.length)).toBeLessThan(4 / Math.sqrt(a.length));
      expect(Math.abs(p / a.length - 1)).toBeLessThan(4 * Math.sqrt(2 / a.length));
    }
  });

  it('white noise has equal power density (+3 dB per octave band); pink has equal power per octave (-3 dB/octave density)', () => {
    const los = [125, 250, 500, 1000, 2000];
    const white = octavePowers(whiteNoise(SR * 30, new Rng(1)), los).map(db);
    const pink = octavePowers(pinkNoise(SR * 30, new Rng(1)), los).map(db);
    for (let i = 1; i < los.length; i++) {
      expect(white[i] - white[i - 1]).toBeGreaterThan(2.5);
      expect(white[i] - white[i - 1]).toBeLessThan(3.5);
      expect(Math.abs(pink[i] - pink[i - 1])).toBeLessThan(0.5);
    }
    // Pink is high-passed at 40 Hz: the 10-20 Hz octave holds far less than an audible octave.
    const [sub, audible] = octavePowers(pinkNoise(SR * 30, new Rng(1)), [10, 250]).map(db);
    expect(audible - sub).toBeGreaterThan(10);
  });
});

describe('activePower', () => {
  it('ignores leading and trailing silence, unlike plain mean power', () => {
    const burst = new Float32Array(SR);
    const r = new Rng(3);
    for (let i = 0; i < burst.length; i++) burst[i] = 0.1 * r.normal();
    const padded = new Float32Array(5 * SR);
    padded.set(burst, 2 * SR);
    // Very quiet floor (-90 dBFS) in the silence, like a real recording's.
    for (let i = 0; i < padded.length; i++) if (i < 2 * SR || i >= 3 * SR) padded[i] = 3e-5 * r.normal();
    let meanPower = 0;
    for (const v of padded) meanPower += v * v;
    meanPower /= padded.length;
    expect(Math.abs(db(activePower(padded) / activePower(burst)))).toBeLessThan(0.05);
    expect(db(activePower(burst) / meanPower)).toBeGreaterThan(6.5); // plain mean is 10*log10(5) = 7 dB low
    expect(activePower(new Float32Array(SR))).toBe(0);
    expect(activePower(new Float32Array(0))).toBe(0);
  });

  it('counts a steady tone as wholly active and a recording\'s noise floor as inactive', () => {
    const sine = tone(300, SR, 0.1);
    expect(activeFrameMask(framePowers(sine)).every((v) => v === 1)).toBe(true);
    expect(db(activePower(sine) / 0.005)).toBeCloseTo(0, 2); // 0.1^2 / 2
    // 1 s floor at -50 dBFS, 1 s of "speech" 30 dB louder with a slow 20 dB swell, 1 s floor.
    const r = new Rng(4);
    const x = new Float32Array(3 * SR);
    for (let i = 0; i < x.length; i++) {
      const inSpeech = i >= SR && i < 2 * SR;
      const swell = inSpeech ? 10 ** ((-20 + 20 * Math.sin((Math.PI * (i - SR)) / SR)) / 20) : 0;
      x[i] = 10 ** (-50 / 20) * r.normal() + (inSpeech ? 10 ** (-10 / 20) * swell * r.normal() : 0);
    }
    const mask = activeFrameMask(framePowers(x));
    const frames = SR / ACTIVE_FRAME;
    expect(mask.subarray(0, frames).every((v) => v === 0)).toBe(true);
    expect(mask.subarray(2 * frames).every((v) => v === 0)).toBe(true);
    // The swell's quiet ends (-30 dBFS, still 20 dB over the floor) count as speech.
    expect(mask.subarray(frames, 2 * frames).every((v) => v === 1)).toBe(true);
  });
});

describe('addNoise on real corpus speech', () => {
  let clips: CorpusClip[];
  beforeAll(async () => {
    clips = await corpusClips(2);
  });

  it('hits the target SNR within 0.5 dB (white and pink, 5-30 dB)', () => {
    expect(clips.length).toBeGreaterThanOrEqual(4);
    const errors: number[] = [];
    let seed = 0;
    for (const clip of clips) {
      for (const kind of ['white', 'pink'] as const) {
        for (const snr of [5, 10, 20, 30]) {
          // addNoise itself (applyAugment clips afterwards, which would distort noisy - clean at 5 dB).
          const noisy = addNoise(clip.samples, snr, kind, seed++);
          expect(noisy.length).toBe(clip.samples.length);
          const err = measuredSnrDb(clip.samples, noisy) - snr;
          errors.push(err);
          expect(Math.abs(err), `${clip.path} ${kind} ${snr} dB`).toBeLessThan(0.5);
        }
      }
    }
    const maxErr = Math.max(...errors.map(Math.abs));
    const meanErr = errors.reduce((a, b) => a + b, 0) / errors.length;
    console.log(`SNR error over ${errors.length} real-speech cases: max |err| ${maxErr.toFixed(3)} dB, mean ${meanErr.toFixed(3)} dB`);
  });

  it('applyAugment with only noise is addNoise with the spec seed\'s noise stream, clipped', () => {
    const x = clips[clips.length - 1].samples;
    const spec = { noise: { snrDb: 5, kind: 'pink' as const }, seed: 11 };
    const raw = addNoise(x, 5, 'pink', deriveSeed(11, 1));
    const out = applyAugment(x, spec);
    expect(out).toEqual(raw.map((v) => Math.max(-1, Math.min(1, v))));
    let maxErr = 0;
    for (let i = 0; i < x.length; i++) if (Math.abs(raw[i]) < 1) maxErr = Math.max(maxErr, Math.abs(out[i] - raw[i]));
    expect(maxErr).toBe(0);
    expect(Math.abs(measuredSnrDb(x, out) - 5)).toBeLessThan(0.5);
  });

  it('leading silence does not change the added noise level', () => {
    const clean = clips[0].samples;
    const padded = new Float32Array(clean.length + 3 * SR);
    padded.set(clean, 3 * SR);
    const noisy = addNoise(padded, 15, 'white', 9);
    expect(Math.abs(measuredSnrDb(padded, noisy) - 15)).toBeLessThan(0.5);
    const direct = addNoise(clean, 15, 'white', 9);
    // Same noise level with or without 3 s of extra silence in front.
    const noisePower = (a: Float32Array, b: Float32Array) => {
      let s = 0;
      for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
      return s / a.length;
    };
    expect(Math.abs(db(noisePower(noisy, padded) / noisePower(direct, clean)))).toBeLessThan(0.1);
  });

  it('leaves silence unchanged and rejects a non-finite SNR', () => {
    const silence = new Float32Array(SR);
    expect(addNoise(silence, 10, 'pink', 1)).toEqual(silence);
    expect(() => addNoise(clips[0].samples, NaN, 'white', 1)).toThrow(RangeError);
  });
});
