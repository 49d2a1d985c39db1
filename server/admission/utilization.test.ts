/**
 * RecentUtilization on this process's real clocks: a loop kept busy shows as busy (an idle one
 * may too when other processes fill the machine, so that is not asserted), the audio rate is the
 * running total's growth per wall second, and old samples leave the window.
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { RecentUtilization } from './utilization.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RecentUtilization', () => {
  it('reads a busy event loop as busy, and the audio received per second as the audio rate', async () => {
    let audio = 0;
    const u = new RecentUtilization(() => audio, 10_000);
    // ~300 ms: the loop spins for 270 of them while 30 s of audio "arrive".
    const t0 = performance.now();
    while (performance.now() - t0 < 270);
    audio += 30;
    await sleep(30);
    u.sample();
    const load = u.current()!;
    expect(load.busy).toBeGreaterThan(0.6);
    // One sample of ~300 ms with 30 s of audio: ~100 s a second.
    expect(load.audioRate).toBeGreaterThan(70);
    expect(load.audioRate).toBeLessThan(112);
  });

  it('averages only the samples of the last window', () => {
    const u = new RecentUtilization(() => 0, 1000);
    u.observe(0.9, 100, 0);
    u.observe(0.1, 10, 800);
    expect(u.current(900)).toEqual({ busy: 0.5, audioRate: 55 });
    expect(u.current(1500)).toEqual({ busy: 0.1, audioRate: 10 });
    expect(u.current(2500)).toBeUndefined();
  });
});
