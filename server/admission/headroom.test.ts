/**
 * The headroom gate with explicit clocks (no server, no timers): admits while the window's p95
 * label latency is within the target, refuses over it (limit `latency`, the measure in the
 * reason), admits again once the late labels leave the window; predicts the busy share with one
 * more real-time stream from the cost per audio second, counting sessions not yet streaming
 * (limit `utilization`); holds a cold process to PACE_FLOOR sessions; target 0 turns it off.
 */
import { describe, expect, it } from 'vitest';
import { HeadroomGate, PACE_FLOOR, RecentLatency } from './headroom.js';
import { RecentUtilization } from './utilization.js';

function observeMany(latency: RecentLatency, ms: number, count: number, at: number): void {
  for (let i = 0; i < count; i++) latency.observe(ms, at);
}

describe('RecentLatency', () => {
  it('gives the quantile of the last window only, and nothing below the minimum sample count', () => {
    const latency = new RecentLatency(1000);
    observeMany(latency, 10, 4, 0);
    expect(latency.quantile(0.95, 100)).toBeUndefined();
    observeMany(latency, 200, 1, 500);
    expect(latency.quantile(0.95, 600)).toBe(200);
    expect(latency.quantile(0.5, 600)).toBe(10);
    // At 1200 the samples of t=0 have left the window; the one of t=500 alone is too few.
    expect(latency.quantile(0.95, 1200)).toBeUndefined();
  });
});

describe('HeadroomGate', () => {
  it('admits under the target, refuses above it, admits again once the window has only on-time labels', () => {
    const latency = new RecentLatency(1000);
    const gate = new HeadroomGate({ labels: latency, loopLag: new RecentLatency(1000) }, { targetMs: 50 });
    expect(gate.check(0, 0)).toBeUndefined();
    observeMany(latency, 12, 100, 0);
    expect(gate.check(10, 10)).toBeUndefined();
    // 10 % of the labels late: p95 is late.
    observeMany(latency, 180, 15, 200);
    const refusal = gate.check(10, 300);
    expect(refusal).toMatchObject({ limit: 'latency', reason: expect.stringContaining('label latency p95 180 ms') });
    expect(refusal!.reason).toContain('target 50 ms');
    observeMany(latency, 12, 100, 1100);
    expect(gate.check(10, 1250)).toBeUndefined();
  });

  it(`admits at most ${PACE_FLOOR} sessions while too little audio flows to measure what a stream costs`, () => {
    const utilization = new RecentUtilization(() => 0, 1000);
    const gate = new HeadroomGate({ labels: new RecentLatency(1000), loopLag: new RecentLatency(1000), utilization }, { targetMs: 50, maxUtilization: 0.8 });
    expect(gate.check(PACE_FLOOR - 1, 0)).toBeUndefined();
    expect(gate.check(PACE_FLOOR, 0)).toMatchObject({ limit: 'pace' });
    // Their audio flows (real time: 1 s a second each): the cost is measured and there is room.
    utilization.observe(0.2, PACE_FLOOR, 100);
    expect(gate.check(PACE_FLOOR, 200)).toBeUndefined();
  });

  it('predicts the busy share with one more real-time stream, counting every session not yet streaming', () => {
    const utilization = new RecentUtilization(() => 0, 1000);
    const gate = new HeadroomGate({ labels: new RecentLatency(1000), loopLag: new RecentLatency(1000), utilization }, { targetMs: 50, maxUtilization: 0.8 });
    // 100 sessions at real time keep the process 40 % busy: 0.4 % per stream, room for 100 more.
    utilization.observe(0.4, 100, 0);
    expect(gate.check(100, 10)).toBeUndefined();
    expect(gate.check(199, 10)).toBeUndefined();
    // 100 admitted whose audio does not flow yet already fill the room.
    expect(gate.check(200, 10)).toMatchObject({ limit: 'utilization', reason: expect.stringContaining('with 100 sessions not yet streaming and one more it would reach 80 %') });
    // A neighbour takes the machine: the same streams now show 70 % busy, so fewer fit.
    utilization.observe(0.7, 100, 1500);
    expect(gate.check(100, 1600)).toBeUndefined();
    expect(gate.check(114, 1600)).toMatchObject({ limit: 'utilization' });
  });

  it('adds the median event-loop lag (a busy loop reads every message late), ignoring a lone spike', () => {
    const labels = new RecentLatency(1000);
    const loopLag = new RecentLatency(1000);
    const gate = new HeadroomGate({ labels, loopLag }, { targetMs: 50 });
    observeMany(labels, 20, 50, 0);
    // One 400 ms pause among on-time samples: the median is on time.
    observeMany(loopLag, 1, 9, 0);
    loopLag.observe(400, 0);
    expect(gate.check(5, 10)).toBeUndefined();
    // A loop late most of the time: 20 + 40 > 50.
    observeMany(loopLag, 40, 20, 100);
    expect(gate.check(5, 110)).toMatchObject({ limit: 'latency', reason: expect.stringContaining('event-loop lag median 40 ms') });
  });

  it('is off with target 0', () => {
    const latency = new RecentLatency(1000);
    observeMany(latency, 5000, 100, 0);
    const gate = new HeadroomGate({ labels: latency, loopLag: latency }, { targetMs: 0 });
    for (let i = 0; i < 1000; i++) {
      expect(gate.check(i, 1)).toBeUndefined();
    }
  });
});
