import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReadGate } from './flow-limits.js';
import { COALESCE_GUARD_MS, type CoalesceOptions, coalescePauseMs, nextLabelMs, ReadCoalescer } from './read-coalescer.js';

const OPTIONS: CoalesceOptions = { maxPauseMs: 250, guardMs: COALESCE_GUARD_MS };

describe('coalescePauseMs', () => {
  it('pauses until a guard before the next label, at most maxPauseMs', () => {
    expect(nextLabelMs(0)).toBe(1000);
    expect(nextLabelMs(1000)).toBe(2000);
    expect(coalescePauseMs(OPTIONS, 100, 1)).toBe(250);
    expect(coalescePauseMs(OPTIONS, 800, 1)).toBe(160);
    // 10 ms before the guard: not worth a timer.
    expect(coalescePauseMs(OPTIONS, 950, 1)).toBe(0);
  });

  it('reads a client that is not near real time, has no pace yet, or when off', () => {
    expect(coalescePauseMs(OPTIONS, 100, undefined)).toBe(0);
    expect(coalescePauseMs(OPTIONS, 100, 3)).toBe(0);
    expect(coalescePauseMs(OPTIONS, 100, 0.3)).toBe(0);
    expect(coalescePauseMs({ ...OPTIONS, maxPauseMs: 0 }, 100, 1)).toBe(0);
  });

  it('never assumes a client slower than real time, and shortens the pause for a faster one', () => {
    expect(coalescePauseMs(OPTIONS, 800, 0.6)).toBe(coalescePauseMs(OPTIONS, 800, 1));
    expect(coalescePauseMs(OPTIONS, 700, 1.5)).toBeCloseTo(300 / 1.5 - COALESCE_GUARD_MS, 9);
  });
});

/**
 * A client sending `messageMs` of audio every `messageMs` of wall time at `speed` x real time,
 * read through a ReadGate the coalescer drives: while the gate is paused its messages wait (as in
 * the kernel) and the next read takes them all. Returns the reads and, for every whole second of
 * audio, how long the message that completed it waited before it was read.
 */
async function simulate(options: CoalesceOptions, { seconds, messageMs = 20, speed = 1 }: { seconds: number; messageMs?: number; speed?: number }) {
  let paused = false;
  const gate = new ReadGate((p) => {
    paused = p;
    if (!p) read();
  });
  const coalescer = new ReadCoalescer(options, gate, () => Date.now());
  const start = Date.now();
  const waiting: { audioMs: number; sentAt: number }[] = [];
  const reads: number[] = [];
  const labelWaits: number[] = [];
  function read(): void {
    if (paused || waiting.length === 0) return;
    reads.push(Date.now() - start);
    for (const m of waiting.splice(0)) {
      if (m.audioMs % 1000 === 0) labelWaits.push(Date.now() - m.sentAt);
      coalescer.audio(m.audioMs);
    }
  }
  const total = (seconds * 1000) / messageMs;
  for (let k = 1; k <= total; k++) {
    setTimeout(
      () => {
        waiting.push({ audioMs: k * messageMs, sentAt: Date.now() });
        read();
      },
      (k * messageMs) / speed,
    );
  }
  await vi.advanceTimersByTimeAsync((seconds * 1000) / speed + 1000);
  return { reads, labelWaits, coalescer };
}

/** A coalescer that has heard 2 s of a real-time client's 20 ms messages (so it has a pace and is pausing). */
async function pausedAfterTwoSeconds(): Promise<{ c: ReadCoalescer; paused: () => boolean }> {
  let paused = false;
  const c = new ReadCoalescer(OPTIONS, new ReadGate((p) => (paused = p)), () => Date.now());
  for (let t = 0; t <= 2000; t += 20) {
    vi.setSystemTime(new Date(t));
    c.audio(t + 20);
    await Promise.resolve();
  }
  return { c, paused: () => paused };
}

describe('ReadCoalescer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads a real-time client of 20 ms messages a few times a second, and the message that completes a second as it comes', async () => {
    const { reads, labelWaits } = await simulate(OPTIONS, { seconds: 10 });
    // The first 1-2 s measure the pace (every message read); after that about 6 reads a second, not 50.
    const late = reads.filter((t) => t >= 3000 && t < 10_000).length / 7;
    expect(late).toBeGreaterThanOrEqual(4);
    expect(late).toBeLessThanOrEqual(8);
    expect(reads.filter((t) => t <= 1000).length).toBe(50);
    expect(labelWaits).toHaveLength(10);
    expect(Math.max(...labelWaits)).toBe(0);
  });

  it('reads every message as it comes when off, or from a client 5x faster than real time', async () => {
    expect((await simulate({ ...OPTIONS, maxPauseMs: 0 }, { seconds: 5 })).reads).toHaveLength(250);
    expect((await simulate(OPTIONS, { seconds: 5, speed: 5 })).reads).toHaveLength(250);
  });

  it('never pauses longer than maxPauseMs, and release() resumes at once', async () => {
    const { reads, coalescer } = await simulate({ ...OPTIONS, maxPauseMs: 100 }, { seconds: 6 });
    const gaps = reads.slice(1).map((t, i) => t - reads[i]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(100 + 20);
    const { c, paused } = await pausedAfterTwoSeconds();
    expect(paused()).toBe(true);
    c.release();
    expect(paused()).toBe(false);
    c.release();
    expect(paused()).toBe(false);
    expect(coalescer.pausing).toBe(false);
  });

  it('stop() resumes reading for good: no pause after it', async () => {
    const { c, paused } = await pausedAfterTwoSeconds();
    expect(paused()).toBe(true);
    const stopped = c.stop();
    expect(paused()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopped;
    for (let t = 2020; t <= 3000; t += 20) {
      vi.setSystemTime(new Date(t));
      c.audio(t + 20);
      await Promise.resolve();
      expect(paused()).toBe(false);
    }
  });
});
