import { describe, expect, it } from 'vitest';
import { filterCascade, shelf } from '../../core/audio/biquad.js';
import { rms, SR } from '../../test/signals.js';
import { applyAugment, DEFAULT_AUGMENT_POLICY, describeAugment, sampleAugmentSpecs } from './index.js';
import { activePower } from './noise.js';
import { Rng } from './rng.js';
import { applyRoom, convolve, roomImpulse, type RoomSpec } from './room.js';

const ROOM: RoomSpec = { rt60S: 0.5, drrDb: 6, lowShelfDb: -3, highShelfDb: 2 };
const tone = (hz: number, seconds = 1) => Float32Array.from({ length: Math.round(seconds * SR) }, (_, i) => 0.3 * Math.sin((2 * Math.PI * hz * i) / SR));
const noise = (n: number, seed: number) => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.normal(0, 0.1));
};

describe('roomImpulse', () => {
  it('has a unit direct path, the direct-to-reverberant ratio asked, and a tail that falls 60 dB in RT60', () => {
    for (const rt60S of [0.2, 0.5, 0.9]) {
      const h = roomImpulse({ ...ROOM, rt60S }, 5);
      expect(h[0]).toBe(1);
      expect(h.length).toBe(Math.round(rt60S * SR));
      let tail = 0;
      for (let n = 1; n < h.length; n++) tail += h[n] * h[n];
      expect(10 * Math.log10(1 / tail)).toBeCloseTo(ROOM.drrDb, 3);
      // Schroeder backward integration of the tail; the -5 to -25 dB slope, extrapolated to -60 dB (T20).
      const edc = new Float64Array(h.length);
      let acc = 0;
      for (let n = h.length - 1; n >= 1; n--) edc[n] = acc += h[n] * h[n];
      const at = (db: number) => edc.findIndex((e, n) => n >= 1 && 10 * Math.log10(e / edc[1]) <= db);
      const t20 = ((at(-25) - at(-5)) / SR) * 3;
      expect(Math.abs(t20 - rt60S) / rt60S).toBeLessThan(0.1);
    }
  });
});

describe('convolve (PFFFT)', () => {
  it('equals direct convolution, truncated to the input length', () => {
    const x = noise(700, 1);
    const h = noise(130, 2);
    const y = convolve(x, h);
    expect(y.length).toBe(x.length);
    let worst = 0;
    for (let n = 0; n < x.length; n++) {
      let direct = 0;
      for (let k = 0; k <= Math.min(n, h.length - 1); k++) direct += x[n - k] * h[k];
      worst = Math.max(worst, Math.abs(direct - y[n]));
    }
    expect(worst).toBeLessThan(1e-5);
    expect(convolve(new Float32Array(0), h)).toHaveLength(0);
  });
});

describe('shelving filters', () => {
  it('lift or cut below / above the corner by the gain, and leave the other side alone', () => {
    const gainDb = (coeffs: ReturnType<typeof shelf>, hz: number) => {
      const x = tone(hz, 2);
      const y = filterCascade([coeffs], x);
      return 20 * Math.log10(rms(y, SR, 2 * SR) / rms(x, SR, 2 * SR));
    };
    expect(gainDb(shelf('lowshelf', 250, 6, SR), 40)).toBeCloseTo(6, 0);
    expect(gainDb(shelf('lowshelf', 250, -6, SR), 40)).toBeCloseTo(-6, 0);
    expect(Math.abs(gainDb(shelf('lowshelf', 250, 6, SR), 3000))).toBeLessThan(0.2);
    expect(gainDb(shelf('highshelf', 4000, 6, SR), 7000)).toBeCloseTo(6, 0);
    expect(Math.abs(gainDb(shelf('highshelf', 4000, 6, SR), 300))).toBeLessThan(0.2);
  });
});

describe('applyRoom', () => {
  const speechLike = Float32Array.from({ length: 2 * SR }, (_, i) => (Math.floor(i / 3200) % 2 === 0 ? 1 : 0.05) * 0.3 * Math.sin((2 * Math.PI * 180 * i) / SR));

  it('keeps the length and the active-speech level, and adds a reverberant tail where the signal stops', () => {
    const y = applyRoom(speechLike, ROOM, 3);
    expect(y.length).toBe(speechLike.length);
    expect(10 * Math.log10(activePower(y) / activePower(speechLike))).toBeCloseTo(0, 1);
    // A burst ending at 0.2 s: the dry signal is silent 50-150 ms later, the room is not.
    const burst = new Float32Array(SR);
    burst.set(tone(500, 0.2));
    const wet = applyRoom(burst, { ...ROOM, drrDb: 3 }, 3);
    expect(rms(burst, 0.25 * SR, 0.35 * SR)).toBe(0);
    expect(20 * Math.log10(rms(wet, 0.25 * SR, 0.35 * SR) / rms(wet, 0, 0.2 * SR))).toBeGreaterThan(-40);
  });

  it('is reproducible from its seed', () => {
    expect(applyRoom(speechLike, ROOM, 9)).toEqual(applyRoom(speechLike, ROOM, 9));
    expect(applyRoom(speechLike, ROOM, 9)).not.toEqual(applyRoom(speechLike, ROOM, 10));
  });

  it('refuses a room outside its limits, naming the field', () => {
    expect(() => applyRoom(speechLike, { ...ROOM, rt60S: 3 }, 1)).toThrow(/room\.rt60S must be in \[0\.05, 2\] s, got 3/);
    expect(() => applyRoom(speechLike, { ...ROOM, highShelfDb: Number.NaN }, 1)).toThrow(/room\.highShelfDb/);
  });
});

describe('rooms in the augmentation policy', () => {
  it('names the room in the spec id, with the seed (its tail is random)', () => {
    expect(describeAugment({ seed: 4, room: ROOM })).toBe('r0.5d6l-3h2_seed4');
    expect(describeAugment({ seed: 4, room: ROOM, speed: 1.1 })).toBe('r0.5d6l-3h2_s1.1_seed4');
  });

  it('draws rooms from a stream of their own: speed, pitch, noise, telephone and padding stay those of the policy without it', () => {
    const n = 2000;
    const policy = { ...DEFAULT_AUGMENT_POLICY, telephoneProb: 0.3, padProb: 0.5 };
    const base = sampleAugmentSpecs(n, 21, policy);
    expect(base.some((s) => s.room)).toBe(false); // roomProb 0 by default
    const roomed = sampleAugmentSpecs(n, 21, { ...policy, roomProb: 0.5 });
    expect(roomed.map(({ room: _r, ...rest }) => rest)).toEqual(base);
    const rooms = roomed.filter((s) => s.room).map((s) => s.room!);
    expect(rooms.length / n).toBeCloseTo(0.5, 1);
    const rt60 = rooms.map((r) => r.rt60S);
    expect(Math.min(...rt60)).toBe(0.15);
    expect(Math.max(...rt60)).toBe(0.9);
    for (const r of rooms) {
      expect(Math.abs(r.lowShelfDb)).toBeLessThanOrEqual(6);
      expect(r.drrDb).toBeGreaterThanOrEqual(0);
    }
  });

  it('a room in a spec changes the copy, which stays finite, within [-1, 1] and of the input length', () => {
    const loud = Float32Array.from(tone(200, 1), (v) => v * 3);
    const y = applyAugment(loud, { seed: 2, room: { ...ROOM, lowShelfDb: 6 }, noise: { snrDb: 10, kind: 'white' } });
    expect(y.length).toBe(loud.length);
    expect(y.every((v) => Number.isFinite(v) && v >= -1 && v <= 1)).toBe(true);
    const dry = applyAugment(loud, { seed: 2, noise: { snrDb: 10, kind: 'white' } });
    expect(y).not.toEqual(dry);
  });
});
