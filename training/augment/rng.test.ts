import { describe, expect, it } from 'vitest';
import { deriveSeed, Rng, toSeed } from './rng.js';

describe('Rng', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const sa = Array.from({ length: 1000 }, () => a.nextUint32());
    const sb = Array.from({ length: 1000 }, () => b.nextUint32());
    const sc = Array.from({ length: 1000 }, () => c.nextUint32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
    expect(new Set(sa).size).toBeGreaterThan(995);
  });

  it('matches the mulberry32 reference output for seed 1', () => {
    // First outputs of the reference mulberry32 (a = 1), as / 2^32 floats.
    const r = new Rng(1);
    const got = [r.next(), r.next(), r.next()];
    expect(got[0]).toBeCloseTo(0.6270739405881613, 12);
    expect(got[1]).toBeCloseTo(0.002735721180215478, 12);
    expect(got[2]).toBeCloseTo(0.5274470399599522, 12);
  });

  it('uniform, int, chance and normal have the right distributions', () => {
    const r = new Rng(123);
    const n = 200_000;
    let sum = 0, min = Infinity, max = -Infinity, hits = 0, nsum = 0, nsq = 0;
    const ints = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const u = r.uniform(-2, 3);
      sum += u;
      min = Math.min(min, u);
      max = Math.max(max, u);
      if (r.chance(0.3)) hits++;
      const k = r.int(1, 4);
      ints.set(k, (ints.get(k) ?? 0) + 1);
      const z = r.normal(1, 2);
      nsum += z;
      nsq += z * z;
    }
    expect(min).toBeGreaterThanOrEqual(-2);
    expect(max).toBeLessThan(3);
    expect(sum / n).toBeCloseTo(0.5, 1);
    expect(hits / n).toBeCloseTo(0.3, 2);
    expect([...ints.keys()].sort()).toEqual([1, 2, 3, 4]);
    for (const c of ints.values()) expect(c / n).toBeCloseTo(0.25, 2);
    const mean = nsum / n;
    expect(mean).toBeCloseTo(1, 1);
    expect(Math.sqrt(nsq / n - mean * mean)).toBeCloseTo(2, 1);
  });

  it('normalises seeds to 32 bits and rejects non-integers', () => {
    expect(toSeed(7)).toBe(7);
    expect(toSeed(2 ** 32 + 7)).toBe(7);
    expect(toSeed(-1)).toBe(2 ** 32 - 1);
    expect(() => toSeed(1.5)).toThrow(RangeError);
    expect(() => toSeed(NaN)).toThrow(RangeError);
    expect(new Rng(2 ** 32 + 7).nextUint32()).toBe(new Rng(7).nextUint32());
  });

  it('deriveSeed gives distinct, deterministic streams', () => {
    expect(deriveSeed(7, 1)).toBe(deriveSeed(7, 1));
    const seeds = new Set<number>();
    for (let s = 0; s < 50; s++) for (let k = 0; k < 4; k++) seeds.add(deriveSeed(s, k));
    expect(seeds.size).toBe(200);
    expect(deriveSeed(7, 1)).not.toBe(7);
  });
});
