/**
 * The flow-limit parts with no network: the speed allowance arithmetic (rateWaitMs), the read gate
 * that pauses a socket for several independent reasons, and SpeedHold under fake timers. The
 * same limits against a real server and real clients: stream-connection.flow-limits.test.ts and
 * twilio/twilio-call.flow-limits.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FlowLimits, ReadGate, SpeedHold, rateWaitMs } from './flow-limits.js';

const limits: FlowLimits = { burstSeconds: 2, maxSpeed: 4, maxBufferedBytes: 65536, maxSendBufferBytes: 65536 };

describe('rateWaitMs', () => {
  it('is 0 within the burst plus maxSpeed x the wall time, and the time to catch up beyond it', () => {
    expect(rateWaitMs(limits, 2000, 0)).toBe(0);
    expect(rateWaitMs(limits, 6000, 1000)).toBe(0);
    // 10 s of audio after 1 s: allowed 2 s + 4 x 1 s = 6 s, 4 s ahead at 4x = 1 s.
    expect(rateWaitMs(limits, 10_000, 1000)).toBe(1000);
  });

  it('never holds when maxSpeed is 0 (unlimited)', () => {
    expect(rateWaitMs({ ...limits, maxSpeed: 0 }, 1e9, 0)).toBe(0);
  });
});

describe('ReadGate', () => {
  it('pauses on the first reason, resumes only when no reason is left, and tells the socket only on a change', () => {
    const applied: boolean[] = [];
    const gate = new ReadGate((paused) => applied.push(paused));
    gate.set('inference', true);
    gate.set('rate', true);
    gate.set('inference', true);
    expect(gate.paused).toBe(true);
    gate.set('inference', false);
    expect(gate.paused).toBe(true);
    expect(gate.has('rate')).toBe(true);
    gate.set('rate', false);
    expect(gate.paused).toBe(false);
    expect(applied).toEqual([true, false]);
  });
});

describe('SpeedHold', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds the gate for the time to catch up, resolves `held` and calls onRelease when it ends', async () => {
    const gate = new ReadGate(() => undefined);
    const onRelease = vi.fn();
    const hold = new SpeedHold(limits, gate, onRelease);
    hold.check(6000, 1000);
    expect(hold.held).toBeUndefined();
    hold.check(10_000, 1000);
    const held = hold.held;
    expect(held).toBeDefined();
    expect(gate.has('rate')).toBe(true);
    // A second check while held starts no second hold.
    hold.check(20_000, 1000);
    await vi.advanceTimersByTimeAsync(999);
    expect(gate.has('rate')).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    await held;
    expect(gate.paused).toBe(false);
    expect(hold.held).toBeUndefined();
    expect(onRelease).toHaveBeenCalledTimes(1);
  });

  it('release() ends a hold at once (the connection is closing) and is idempotent', () => {
    const gate = new ReadGate(() => undefined);
    const onRelease = vi.fn();
    const hold = new SpeedHold(limits, gate, onRelease);
    hold.check(10_000, 0);
    hold.release();
    hold.release();
    expect(gate.paused).toBe(false);
    expect(onRelease).toHaveBeenCalledTimes(1);
  });
});
