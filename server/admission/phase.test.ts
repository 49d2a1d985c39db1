import { describe, expect, it } from 'vitest';
import { PHASE_BUCKETS, PHASE_FREE, PHASE_SLACK, PhaseSpread } from './phase.js';

describe('PhaseSpread', () => {
  it('takes light load in any slot: PHASE_FREE sessions at one instant are never refused', () => {
    const phase = new PhaseSpread();
    for (let i = 0; i < PHASE_FREE; i++) {
      expect(phase.check(5_020)).toBeUndefined();
      phase.take(5_020);
    }
    expect(phase.check(5_020)).toMatchObject({ limit: 'phase' });
    // Another slot of the same second still has room.
    expect(phase.check(5_120)).toBeUndefined();
  });

  it('gives a refused session a wait that lands it in the emptiest slot, within one second', () => {
    const phase = new PhaseSpread();
    for (let i = 0; i < PHASE_FREE; i++) phase.take(40); // slot 0 full
    for (let slot = 1; slot < PHASE_BUCKETS; slot++) if (slot !== 7) for (let i = 0; i < 3; i++) phase.take(slot * 100 + 10);
    for (let k = 0; k < 50; k++) {
      const now = 10_000 + 50; // slot 0 of a later second
      const refusal = phase.check(now)!;
      expect(refusal.waitMs).toBeGreaterThan(0);
      expect(refusal.waitMs).toBeLessThanOrEqual(1000);
      const landing = (now + refusal.waitMs) % 1000;
      expect(Math.floor(landing / 100)).toBe(7); // the empty slot
    }
  });

  it('gives a slot back when its session ends, once', () => {
    const phase = new PhaseSpread();
    const leave = Array.from({ length: PHASE_FREE }, () => phase.take(0));
    expect(phase.check(0)).toBeDefined();
    leave[0]();
    leave[0]();
    expect(phase.spread()[0]).toBe(PHASE_FREE - 1);
    expect(phase.check(0)).toBeUndefined();
  });

  it('turns a burst of 400 clients that follow the retry hint into sessions spread evenly over the second', () => {
    const phase = new PhaseSpread();
    // Every client arrives at t = 0; a refused one comes back after its hint plus a 5-25 ms handshake.
    let pending = Array.from({ length: 400 }, () => 0);
    let rounds = 0;
    let lastAdmission = 0;
    while (pending.length > 0 && rounds < 50) {
      rounds++;
      const next: number[] = [];
      for (const t of pending.sort((a, b) => a - b)) {
        const refusal = phase.check(t);
        if (refusal) next.push(t + refusal.waitMs + 5 + Math.random() * 20);
        else {
          phase.take(t);
          lastAdmission = Math.max(lastAdmission, t);
        }
      }
      pending = next;
    }
    expect(pending).toEqual([]);
    const spread = phase.spread();
    expect(spread.reduce((a, b) => a + b, 0)).toBe(400);
    // No slot above its share by more than the slack (without spreading: all 400 in slot 0).
    expect(Math.max(...spread)).toBeLessThanOrEqual(Math.ceil((PHASE_SLACK * 400) / PHASE_BUCKETS));
    expect(Math.min(...spread)).toBeGreaterThanOrEqual(Math.floor((400 / PHASE_BUCKETS) * (2 - PHASE_SLACK)) - 1);
    // And it costs them seconds, not minutes.
    expect(lastAdmission).toBeLessThan(5_000);
  });
});
