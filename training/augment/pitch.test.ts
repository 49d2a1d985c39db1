import { beforeAll, describe, expect, it } from 'vitest';
import { effectivePitchFactor, pitchShift, timeStretch } from './pitch.js';
import { corpusClips, db, f0Track, onOff, rms, spectralPeak, SR, tone, type CorpusClip } from '../../test/signals.js';

/** Median over frames voiced in both of F0(y) / F0(x) (the two have the same timing), and how many frames. */
function medianF0Ratio(x: Float32Array, y: Float32Array): { ratio: number; frames: number } {
  const tx = f0Track(x);
  const ty = f0Track(y);
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(tx.length, ty.length); i++) if (tx[i] > 0 && ty[i] > 0) ratios.push(ty[i] / tx[i]);
  ratios.sort((a, b) => a - b);
  return { ratio: ratios[Math.floor(ratios.length / 2)], frames: ratios.length };
}

describe('pitchShift on tones', () => {
  it.each([
    [2, 440 * 2 ** (2 / 12)],
    [-3, 440 * 2 ** (-3 / 12)],
    [1, 440 * 2 ** (1 / 12)],
    [-2, 440 * 2 ** (-2 / 12)],
  ])('%s semitones moves a 440 Hz tone to %f Hz, keeping length and level', (semitones, expectedHz) => {
    const n = 3 * SR;
    const x = tone(440, n);
    const y = pitchShift(x, semitones);
    expect(y.length).toBe(n);
    const mid = y.subarray(SR / 4, n - SR / 4);
    const peak = spectralPeak(mid);
    expect(Math.abs(peak.freq - expectedHz)).toBeLessThan(1);
    // The original 440 Hz is gone: nothing within 15 Hz of it is within 30 dB of the new peak.
    const old = spectralPeak(mid, 425, 455);
    expect(20 * Math.log10(peak.amplitude / old.amplitude)).toBeGreaterThan(30);
    expect(Math.abs(20 * Math.log10(rms(mid) / rms(x)))).toBeLessThan(1);
    console.log(`pitch ${semitones > 0 ? '+' : ''}${semitones} st: 440 Hz -> ${peak.freq.toFixed(2)} Hz (expected ${expectedHz.toFixed(2)}), length ${y.length}/${n}`);
  });

  it.each([2, -3])('%s semitones keeps the timing and duration of a tone burst, and the signal runs to the end', (semitones) => {
    const n = 4 * SR;
    const x = new Float32Array(n);
    x.set(tone(440, 2 * SR), SR); // burst from 1 s to 3 s
    const [on, off] = onOff(pitchShift(x, semitones));
    expect(Math.abs(on - 1)).toBeLessThan(0.02);
    expect(Math.abs(off - 3)).toBeLessThan(0.02);
    expect(Math.abs(off - on - 2) / 2).toBeLessThan(0.01);
    console.log(`pitch ${semitones} st: burst 1.00-3.00 s -> ${on.toFixed(2)}-${off.toFixed(2)} s`);
    // A tone filling the whole input still fills the start and end of the output (no dropped tail).
    const full = pitchShift(tone(440, n), semitones);
    const level = rms(full, SR, 3 * SR);
    expect(Math.abs(db(rms(full, 0, SR / 10) / level))).toBeLessThan(3);
    expect(Math.abs(db(rms(full, n - SR / 10, n) / level))).toBeLessThan(3);
  });

  it('0 semitones is a copy; the applied factor is within 20 Hz / (16 kHz * 2^(n/12)) of 2^(n/12); |n| > 12 is rejected', () => {
    const x = tone(440, 1000);
    const y = pitchShift(x, 0);
    expect(y).toEqual(x);
    expect(y).not.toBe(x);
    for (let n = -12; n <= 12; n += 0.1) {
      const exact = 2 ** (n / 12);
      expect(Math.abs(effectivePitchFactor(n) / exact - 1)).toBeLessThanOrEqual(20 / (SR * exact) + 1e-12);
    }
    expect(() => pitchShift(x, 12.5)).toThrow(RangeError);
    expect(() => pitchShift(x, NaN)).toThrow(RangeError);
  });

  it('timeStretch changes duration but not frequency', () => {
    const x = tone(440, 2 * SR);
    for (const f of [0.8, 1.25]) {
      const y = timeStretch(x, f);
      expect(y.length).toBeGreaterThanOrEqual(Math.round(2 * SR * f));
      // The real signal ends at 2 s * f (what follows is the flushed padding).
      const [on, off] = onOff(y);
      expect(on).toBeLessThan(0.02);
      expect(Math.abs(off - 2 * f)).toBeLessThan(0.03);
      expect(Math.abs(spectralPeak(y.subarray(SR / 4, Math.round(2 * SR * f) - SR / 4)).freq - 440)).toBeLessThan(1);
    }
  });
});

describe('pitchShift on real corpus speech', () => {
  // A valid sample for an F0-ratio median has a quarter second of clearly voiced frames: a short
  // single word (TurEV-DB) can have a dozen, whose median says more about the tracker than the shift.
  const MIN_VOICED_FRAMES = 25;
  let clips: CorpusClip[];
  beforeAll(async () => {
    clips = await corpusClips(2, (c) => f0Track(c.samples).filter((f) => f > 0).length >= MIN_VOICED_FRAMES);
  });

  it('moves F0 by 2^(n/12) frame by frame and keeps length and level', () => {
    expect(new Set(clips.map((c) => c.corpus)).size).toBe(7);
    expect(clips.length).toBe(14);
    for (const clip of clips) {
      for (const semitones of [2, -2, -3]) {
        const y = pitchShift(clip.samples, semitones);
        expect(y.length).toBe(clip.samples.length);
        expect(y.every(Number.isFinite)).toBe(true);
        const { ratio, frames } = medianF0Ratio(clip.samples, y);
        const levelDb = db(rms(y) ** 2 / rms(clip.samples) ** 2);
        console.log(`${clip.path} (${clip.gender}) ${semitones > 0 ? '+' : ''}${semitones} st: median F0 ratio ${ratio.toFixed(4)} over ${frames} voiced frames (expected ${(2 ** (semitones / 12)).toFixed(4)}), level ${levelDb.toFixed(2)} dB`);
        expect(frames).toBeGreaterThanOrEqual(MIN_VOICED_FRAMES / 2);
        expect(Math.abs(ratio / 2 ** (semitones / 12) - 1)).toBeLessThan(0.02);
        expect(Math.abs(levelDb)).toBeLessThan(1.5);
      }
    }
  });

  it('reports speed in x real time (measured, not asserted)', () => {
    const seconds = clips.reduce((s, c) => s + c.samples.length, 0) / SR;
    for (const semitones of [2, -2]) {
      for (const c of clips) pitchShift(c.samples, semitones); // warm up
      const rounds = 3;
      const t0 = performance.now();
      for (let r = 0; r < rounds; r++) for (const c of clips) pitchShift(c.samples, semitones);
      const elapsed = (performance.now() - t0) / 1000 / rounds;
      console.log(`pitchShift ${semitones > 0 ? '+' : ''}${semitones} st on ${seconds.toFixed(1)} s of corpus speech: ${(elapsed * 1000).toFixed(1)} ms, ${(seconds / elapsed).toFixed(0)}x real time`);
      expect(elapsed).toBeGreaterThan(0);
    }
  });
});
