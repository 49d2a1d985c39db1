/**
 * The lag/busy sampler's two rates: once a second while the process has no audio connection (an
 * idle worker should cost next to nothing), ten times a second while it has, and `wake()` (called
 * on every upgrade) switches an idle sampler to the busy rate at once, so admission reads fresh
 * figures for the first sessions. Real timers, counted by the lag histogram's observations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ServerMetrics } from './metrics.js';

async function samples(metrics: ServerMetrics): Promise<number> {
  const { values } = await metrics.eventLoopLag.get();
  return values.find((v) => v.metricName === 'undertone_event_loop_lag_seconds_count')?.value ?? 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ServerMetrics lag sampler', () => {
  let metrics: ServerMetrics | undefined;
  afterEach(() => metrics?.stop());

  it('samples once a second while idle, ten times a second while active, and wakes to the busy rate on demand', async () => {
    let active = false;
    metrics = new ServerMetrics();
    metrics.startLagSampler(() => active);
    await sleep(450);
    expect(await samples(metrics)).toBe(0); // idle: the first sample is due at 1000 ms

    active = true;
    metrics.wake();
    await sleep(550);
    const busy = await samples(metrics);
    expect(busy).toBeGreaterThanOrEqual(3); // due at 100, 200, ... 500 ms (timers may fire late on a loaded machine)
    expect(busy).toBeLessThanOrEqual(6);

    active = false;
    await sleep(300); // the sample in flight is at the busy rate; the next one is a second away
    const settled = await samples(metrics);
    await sleep(600);
    expect(await samples(metrics)).toBe(settled);
  });

  it('wake() leaves a sampler already at the busy rate alone', async () => {
    metrics = new ServerMetrics();
    metrics.startLagSampler(() => true);
    for (let i = 0; i < 20; i++) {
      metrics.wake(); // would push the due time back each call if it rescheduled
      await sleep(25);
    }
    expect(await samples(metrics)).toBeGreaterThanOrEqual(3);
  });
});
