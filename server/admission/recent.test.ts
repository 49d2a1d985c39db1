/** The two recent-history shapes admission reads (recent.ts), on explicit clocks. */
import { describe, expect, it } from 'vitest';
import { LastTwoSeconds, SlidingWindow } from './recent.js';

describe('SlidingWindow', () => {
  it('keeps the samples of the last window only, oldest first', () => {
    const w = new SlidingWindow<number>(1000);
    w.push(1, 0);
    w.push(2, 600);
    w.push(3, 900);
    expect(w.values(1000)).toEqual([1, 2, 3]);
    expect(w.values(1550)).toEqual([2, 3]);
    expect(w.values(5000)).toEqual([]);
  });

  it('stays bounded under a stream of samples it never reads', () => {
    const w = new SlidingWindow<number>(100);
    for (let t = 0; t < 100_000; t++) w.push(t, t);
    expect(w.values(100_000).length).toBeLessThanOrEqual(101);
  });
});

describe('LastTwoSeconds', () => {
  it('sums a count within a second and reads the worse of this second and the previous one', () => {
    const r = new LastTwoSeconds('sum');
    for (let i = 0; i < 5; i++) r.add(1, 10_100 + i);
    expect(r.worst(10_900)).toBe(5);
    r.add(1, 11_050);
    expect(r.worst(11_060)).toBe(5); // the previous second's 5 still counts
    expect(r.worst(12_010)).toBe(1); // now the previous second is the one with 1
    expect(r.worst(14_000)).toBe(0); // a gap of seconds forgets everything
  });

  it('keeps the maximum within a second for a worst case', () => {
    const r = new LastTwoSeconds('max');
    r.add(30, 500);
    r.add(10, 700);
    expect(r.worst(800)).toBe(30);
    r.add(5, 1200);
    expect(r.worst(1300)).toBe(30);
    expect(r.worst(2100)).toBe(5);
  });
});
