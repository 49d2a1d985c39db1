/**
 * Reads a real-time client's socket a few times a second instead of at every message (issue 15).
 *
 * Why: a client streaming 20 ms messages costs the server a wake-up, a read() and a trip through
 * libuv, node's stream and ws's receiver 50 times per stream-second; at 200 streams that
 * per-message path (kernel, node/libuv, ws) was ~30 % of the server's CPU (docs/benchmarks.md,
 * "Every thread"), while a label is due only once per second of audio. So between labels the
 * socket is not read: after a message, if the session's next label is more than a guard away at
 * the client's pace, reading pauses (the `coalesce` reason of the connection's ReadGate) until a
 * guard before that label's audio is expected; the kernel keeps the messages meanwhile and the
 * next read takes them all at once. From the guard on, messages are read as they come, so the
 * message that completes a second is handled when it arrives and the label is not later.
 *
 * Only a client near real time is paced this way (measured over the last 1-2 s of wall time): one
 * sending a file faster is read at once (its labels are due faster than any pause), and one that
 * has just started has no pace yet. A pause never lasts more than `maxPauseMs`, which bounds what
 * a message outside the audio (stop, a close frame, a keepalive) waits, and what a client that
 * stalled and then bursts loses on the label it completes during a pause.
 */
import { performance } from 'node:perf_hooks';
import type { ReadGate } from './flow-limits.js';

export interface CoalesceOptions {
  /** Longest pause of reading, ms; 0 = never pause (every message is read as it comes). */
  readonly maxPauseMs: number;
  /** Reading resumes this long (ms of wall time) before the next label's audio is expected. */
  readonly guardMs: number;
}

/**
 * The server's guard: reading resumes 40 ms before the next label's audio is expected. Covers a
 * resampler's delay (the label needs its output to reach the second), a Twilio call's two tracks
 * a message apart, and timer and scheduling jitter of client and server.
 */
export const COALESCE_GUARD_MS = 40;

/**
 * The sockets' stream high-water mark (bytes) when coalescing: a paused socket stops reading once
 * its buffer holds this much, i.e. after one read (server/process/server.ts).
 */
export const COALESCE_SOCKET_HIGH_WATER_MARK = 1;

/** Resuming earlier than the guard, and pauses shorter than this, gain too little to be worth a timer. */
const MIN_PAUSE_MS = 20;
/**
 * Paces between these (x real time) count as a client near real time. Wide, because the pauses
 * themselves make the measured pace jitter: messages kept by the kernel arrive in one read.
 */
const REAL_TIME_PACE = { min: 0.5, max: 2 } as const;
/** The pace is measured over at least this much wall time (and at most twice it). */
const PACE_WINDOW_MS = 1000;

/** Audio stream time (ms) of the next label after `audioMs`: labels come at every whole second of audio. */
export function nextLabelMs(audioMs: number): number {
  return (Math.floor(audioMs / 1000) + 1) * 1000;
}

/**
 * How long (ms) to stop reading after a message that brought the stream to `audioMs`, at `pace`
 * x real time; 0 = keep reading.
 */
export function coalescePauseMs(options: CoalesceOptions, audioMs: number, pace: number | undefined): number {
  if (options.maxPauseMs <= 0 || pace === undefined || pace < REAL_TIME_PACE.min || pace > REAL_TIME_PACE.max) return 0;
  // Never assume a client slower than real time: a pace measured low (a read that took several
  // kept messages at once) would otherwise stretch the pause past the label's audio.
  const untilLabel = (nextLabelMs(audioMs) - audioMs) / Math.max(pace, 1) - options.guardMs;
  const pause = Math.min(untilLabel, options.maxPauseMs);
  return pause >= MIN_PAUSE_MS ? pause : 0;
}

export class ReadCoalescer {
  private timer?: NodeJS.Timeout;
  /** Stream time of the latest message, and whether a decision on it is queued. */
  private latestAudioMs = 0;
  private deciding = false;
  private stopped = false;
  /** Two anchors (wall ms, audio ms), PACE_WINDOW_MS apart at least: the pace is measured from the older. */
  private older?: { wall: number; audio: number };
  private newer?: { wall: number; audio: number };

  constructor(
    private readonly options: CoalesceOptions,
    private readonly gate: ReadGate,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** True while reading is paused by this coalescer. */
  get pausing(): boolean {
    return this.timer !== undefined;
  }

  /**
   * A message brought the stream to `audioMs` of stream time. The decision waits for the end of
   * the current read (a microtask): one read hands over every message the kernel kept, and the
   * pause must follow the last of them, not the first (which would overshoot the next label).
   */
  audio(audioMs: number): void {
    if (this.options.maxPauseMs <= 0 || this.stopped) return;
    this.latestAudioMs = audioMs;
    if (this.deciding) return;
    this.deciding = true;
    queueMicrotask(() => this.decide());
  }

  /** Pause reading if the next label is far enough away from the latest message, else read on. */
  private decide(): void {
    this.deciding = false;
    if (this.stopped) return;
    const audioMs = this.latestAudioMs;
    const pause = coalescePauseMs(this.options, audioMs, this.pace(this.now(), audioMs));
    if (pause <= 0) return this.release();
    clearTimeout(this.timer);
    this.gate.set('coalesce', true);
    this.timer = setTimeout(() => this.release(), pause);
  }

  /** Reading resumes now (the pause ran out, or the connection is ending); idempotent. */
  release(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.gate.set('coalesce', false);
  }

  /**
   * Reading resumes for good, and whatever the kernel kept is read: resolves after the next poll
   * phase of the event loop (resume() starts reading on the next tick; the kept bytes are read in
   * the poll phase that lies between this check phase's immediate and the next one's). A server-
   * initiated end (drain) waits for it, so audio the client sent before it is labelled too.
   */
  stop(): Promise<void> {
    this.stopped = true;
    const wasPausing = this.pausing;
    this.release();
    return wasPausing ? new Promise((resolve) => setImmediate(() => setImmediate(resolve))) : Promise.resolve();
  }

  /** Audio per wall time over the last 1-2 s; undefined until a full window has passed. */
  private pace(wall: number, audio: number): number | undefined {
    if (!this.newer) {
      this.older = this.newer = { wall, audio };
      return undefined;
    }
    if (wall - this.newer.wall >= PACE_WINDOW_MS) {
      this.older = this.newer;
      this.newer = { wall, audio };
    }
    const from = this.older!;
    const span = wall - from.wall;
    return span >= PACE_WINDOW_MS ? (audio - from.audio) / span : undefined;
  }
}
