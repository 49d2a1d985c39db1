import { describe, expect, it } from 'vitest';
import { changeSpeed, effectiveSpeed } from './speed.js';
import { onOff, rms, spectralPeak, SR, tone } from '../../test/signals.js';

describe('changeSpeed', () => {
  it.each([
    [1.1, 484],
    [0.9, 396],
    [1.05, 462],
  ])('speed %s shortens the duration by 1/s and moves a 440 Hz tone to %s Hz', (s, expectedHz) => {
    const n = 3 * SR;
    const y = changeSpeed(tone(440, n), s);
    expect(Math.abs(y.length - n / s)).toBeLessThanOrEqual(1);
    const peak = spectralPeak(y.subarray(SR / 4, y.length - SR / 4));
    expect(Math.abs(peak.freq - expectedHz)).toBeLessThan(0.5);
    // Level is kept (the resampler has unit passband gain).
    expect(rms(y, SR / 4, y.length - SR / 4) / rms(tone(440, n))).toBeCloseTo(1, 2);
  });

  it('scales the timing of events by 1/s', () => {
    const x = new Float32Array(4 * SR);
    x.set(tone(300, SR), 2 * SR); // burst from 2 s to 3 s
    for (const s of [0.9, 1.1]) {
      const [on, off] = onOff(changeSpeed(x, s));
      expect(on).toBeCloseTo(2 / s, 1);
      expect(off).toBeCloseTo(3 / s, 1);
    }
  });

  it('factor 1 is an exact copy, and the factor is rounded to whole Hz', () => {
    const x = tone(440, 1000);
    const y = changeSpeed(x, 1);
    expect(y).toEqual(x);
    expect(y).not.toBe(x);
    expect(effectiveSpeed(1.1)).toBe(1.1);
    expect(effectiveSpeed(1.00001)).toBe(1); // 16000.16 Hz rounds to 16000
    expect(effectiveSpeed(0.97123)).toBe(15540 / 16000);
  });

  it('rejects factors outside [0.5, 2]', () => {
    for (const s of [0.4, 2.5, 0, -1, NaN, Infinity]) expect(() => changeSpeed(tone(440, 100), s)).toThrow(RangeError);
  });
});
