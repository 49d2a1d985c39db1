import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReadGate } from './flow-limits.js';
import { COALESCE_GUARD_MS, type CoalesceOptions, coalescePauseMs, nextLabelMs, ReadCoalescer } from './read-coalescer.js';

const OPTIONS: CoalesceOptions = { maxPauseMs: 250, guardMs: COALESCE_GUARD_MS };

describe('coalescePauseMs', () => {
  it('pauses until a guard before the client sends the next label\'s audio, at most maxPauseMs', () => {
    expect(nextLabelMs(0)).toBe(1000);
    expect(nextLabelMs(1000)).toBe(2000);
    expect(coalescePauseMs(OPTIONS, 100, 100)).toBe(250);
    expect(coalescePauseMs(OPTIONS, 800, 800)).toBe(160);
    // Messages kept by the kernel: the read stands at 300, the client has sent up to 800.
    expect(coalescePauseMs(OPTIONS, 300, 800)).toBe(160);
    // 10 ms before the guard: not worth a timer.
    expect(coalescePauseMs(OPTIONS, 950, 950)).toBe(0);
    // The client has sent the label's last audio already (it waits in the kernel): read on.
    expect(coalescePauseMs(OPTIONS, 900, 1020)).toBe(0);
    expect(coalescePauseMs({ ...OPTIONS, maxPauseMs: 0 }, 100, 100)).toBe(0);
  });
});

/**
 * A client sending `messageMs` of audio every `messageMs / speed` of wall time (each message
 * holds the audio up to `messageMs` after its send time, as a real-time client's do), read the
 * way node reads a socket whose stream high-water mark is tiny: while reading runs, a message is
 * handed over as it arrives; when the gate pauses, the next read still happens into node's buffer
 * (whatever the kernel holds then) and then reading stops; on resume node hands over its buffer at
 * once and reads the kernel in the next turn. Returns the reads that handed messages over and, for
 * every whole second of audio, how long the message that completed it waited.
 */
async function simulate(options: CoalesceOptions, { seconds, messageMs = 20, speed = 1, stallAt }: { seconds: number; messageMs?: number; speed?: number; stallAt?: number }) {
  type Message = { audioMs: number; sentAt: number };
  let paused = false;
  let readAfterPause = false;
  let readQueued = false;
  const kernel: Message[] = [];
  const nodeBuffer: Message[] = [];
  const start = Date.now();
  const reads: number[] = [];
  const labelWaits: number[] = [];
  const gate = new ReadGate((p) => {
    paused = p;
    if (p) {
      readAfterPause = false;
      return;
    }
    handOver(nodeBuffer.splice(0));
    queueRead();
  });
  const coalescer = new ReadCoalescer(options, gate, () => Date.now());
  function handOver(messages: Message[]): void {
    if (messages.length === 0) return;
    reads.push(Date.now() - start);
    for (const m of messages) {
      if (m.audioMs % 1000 === 0) labelWaits.push(Date.now() - m.sentAt);
      coalescer.audio(m.audioMs);
    }
  }
  function queueRead(): void {
    if (readQueued || kernel.length === 0) return;
    readQueued = true;
    setTimeout(() => {
      readQueued = false;
      if (!paused) return handOver(kernel.splice(0));
      if (!readAfterPause) {
        readAfterPause = true;
        nodeBuffer.push(...kernel.splice(0));
      }
    }, 0);
  }
  const total = (seconds * 1000) / messageMs;
  for (let k = 0; k < total; k++) {
    // A stall: the client sends nothing for 300 ms, then what it owes at once.
    const at = stallAt !== undefined && k * messageMs >= stallAt && k * messageMs < stallAt + 300 ? stallAt + 300 : k * messageMs;
    setTimeout(() => {
      kernel.push({ audioMs: (k + 1) * messageMs, sentAt: Date.now() });
      queueRead();
    }, at / speed);
  }
  await vi.advanceTimersByTimeAsync((seconds * 1000) / speed + 1000);
  return { reads, labelWaits, coalescer };
}

/** A coalescer that has heard 3 s of a real-time client's 20 ms messages (so it has a schedule and is pausing). */
async function pausedAfterThreeSeconds(): Promise<{ c: ReadCoalescer; paused: () => boolean }> {
  let paused = false;
  const c = new ReadCoalescer(OPTIONS, new ReadGate((p) => (paused = p)), () => Date.now());
  for (let t = 0; t <= 3000; t += 20) {
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
    // The first 2-3 s learn the schedule (every message read); after that a handful of reads a second, not 50.
    const perSecond = reads.filter((t) => t >= 3000 && t < 10_000).length / 7;
    expect(perSecond).toBeGreaterThanOrEqual(3);
    expect(perSecond).toBeLessThanOrEqual(10);
    expect(reads.filter((t) => t < 1000).length).toBe(50);
    expect(labelWaits).toHaveLength(10);
    // 0-1 ms: the simulated read turn.
    expect(Math.max(...labelWaits)).toBeLessThanOrEqual(1);
  });

  it('a client that stalls 300 ms and then catches up: the label it completes waits no longer than the guard', async () => {
    const { labelWaits } = await simulate(OPTIONS, { seconds: 10, stallAt: 5500 });
    expect(labelWaits).toHaveLength(10);
    expect(Math.max(...labelWaits)).toBeLessThanOrEqual(COALESCE_GUARD_MS);
  });

  it('reads every message as it comes when off, or from a client 1.5x or 5x faster than real time', async () => {
    expect((await simulate({ ...OPTIONS, maxPauseMs: 0 }, { seconds: 5 })).reads).toHaveLength(250);
    expect((await simulate(OPTIONS, { seconds: 5, speed: 5 })).reads).toHaveLength(250);
    const faster = await simulate(OPTIONS, { seconds: 6, speed: 1.5 });
    expect(Math.max(...faster.labelWaits)).toBeLessThanOrEqual(1);
  });

  it('never pauses longer than maxPauseMs, and release() resumes at once', async () => {
    const { reads, coalescer } = await simulate({ ...OPTIONS, maxPauseMs: 100 }, { seconds: 6 });
    const gaps = reads.slice(1).map((t, i) => t - reads[i]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(100 + 20);
    const { c, paused } = await pausedAfterThreeSeconds();
    expect(paused()).toBe(true);
    c.release();
    expect(paused()).toBe(false);
    c.release();
    expect(paused()).toBe(false);
    expect(coalescer.pausing).toBe(false);
  });

  it('stop() resumes reading for good: no pause after it', async () => {
    const { c, paused } = await pausedAfterThreeSeconds();
    expect(paused()).toBe(true);
    const stopped = c.stop();
    expect(paused()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopped;
    for (let t = 3020; t <= 4000; t += 20) {
      vi.setSystemTime(new Date(t));
      c.audio(t + 20);
      await Promise.resolve();
      expect(paused()).toBe(false);
    }
  });
});
