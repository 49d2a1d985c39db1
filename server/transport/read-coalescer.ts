/**
 * Reads a real-time client's socket a few times a second instead of at every message (issue 15).
 *
 * Why: a client streaming 20 ms messages costs the server a wake-up, a read() and a trip through
 * libuv, node's stream and ws's receiver 50 times per stream-second; at 200 streams that
 * per-message path (kernel, node/libuv, ws) was ~30 % of the server's CPU (docs/benchmarks.md,
 * "Every thread"), while a label is due only once per second of audio. So between labels the
 * socket is not read: after a message, if the client will send the audio that completes the next
 * label more than a guard from now (by its real-time schedule), reading pauses (the `coalesce`
 * reason of the connection's ReadGate) until a guard before that; the kernel keeps the messages
 * meanwhile and the next read takes them all at once. From the guard on, messages are read as they
 * come, so the message that completes a second is handled when it arrives and the label is not
 * later.
 *
 * Only a client at about real time is read this way (its schedule measured over two whole 1 s
 * windows of wall time): one sending a file faster is read at once (its labels are due faster
 * than any pause), and one that has just started has no schedule yet. A pause never lasts more
 * than `maxPauseMs`, which bounds what a message outside the audio (stop, a close frame, a
 * keepalive) waits, and what a client that stalled and then bursts loses on the label it completes
 * during a pause.
 *
 * Off by default (`--read-coalesce-ms 0`): at 200 loopback streams it cut read() calls 6.7x but
 * not the server's CPU per stream-second (docs/benchmarks.md, "Read coalescing").
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
/** The client's schedule is measured over windows of this much wall time (the last two count). */
const SCHEDULE_WINDOW_MS = 1000;
/**
 * The schedules of two windows must agree within this: a client ahead of real time moves earlier
 * (a file sent at 1.1x, 100 ms a second) and is read as it comes; a window whose messages were all
 * kept by the kernel looks later than it is, and reading goes on until a message read as it comes
 * shows the schedule again.
 */
const MAX_DRIFT_PER_WINDOW_MS = 50;

/** Audio stream time (ms) of the next label after `audioMs`: labels come at every whole second of audio. */
export function nextLabelMs(audioMs: number): number {
  return (Math.floor(audioMs / 1000) + 1) * 1000;
}

/**
 * How long (ms) to stop reading, given the stream time read so far (`audioMs`) and where the
 * client's real-time schedule says its sending stands now (`clientAudioMs`, ms of audio sent); 0 =
 * keep reading. Reading resumes a guard before the client sends the audio that completes the next
 * label; if it has sent that already (it waits in the kernel), reading goes on now.
 */
export function coalescePauseMs(options: CoalesceOptions, audioMs: number, clientAudioMs: number): number {
  if (options.maxPauseMs <= 0) return 0;
  const pause = Math.min(nextLabelMs(audioMs) - clientAudioMs - options.guardMs, options.maxPauseMs);
  return pause >= MIN_PAUSE_MS ? pause : 0;
}

export class ReadCoalescer {
  private timer?: NodeJS.Timeout;
  /** Stream time of the latest message, and whether a decision on it is queued. */
  private latestAudioMs = 0;
  private deciding = false;
  private stopped = false;
  /**
   * The client's schedule: the least (arrival wall ms - audio ms at the end of the message) seen in
   * the current window and in each of the two before it (the older one only tells drift). A
   * message read as it comes gives the client's own offset; one the kernel kept arrived later than
   * sent, so its value is larger and the least is the schedule. (Deciding from the latest message
   * instead would lag: after a pause node hands over first the one message it read as the pause
   * began, and a pause decided from it overshoots.)
   */
  private windowStart = Number.NEGATIVE_INFINITY;
  private current = Number.POSITIVE_INFINITY;
  private previous = Number.POSITIVE_INFINITY;
  private older = Number.POSITIVE_INFINITY;

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
   * pause follows the last of them.
   */
  audio(audioMs: number): void {
    if (this.options.maxPauseMs <= 0 || this.stopped) return;
    this.latestAudioMs = audioMs;
    this.note(this.now(), audioMs);
    if (this.deciding) return;
    this.deciding = true;
    queueMicrotask(() => this.decide());
  }

  /** Pause reading until a guard before the client sends the next label's last audio, or read on. */
  private decide(): void {
    this.deciding = false;
    if (this.stopped) return;
    const wall = this.now();
    const offset = this.schedule();
    const pause = offset === undefined ? 0 : coalescePauseMs(this.options, this.latestAudioMs, wall - offset);
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

  private note(wall: number, audioMs: number): void {
    if (wall - this.windowStart >= SCHEDULE_WINDOW_MS) {
      this.older = this.previous;
      this.previous = this.current;
      this.current = Number.POSITIVE_INFINITY;
      this.windowStart = wall;
    }
    this.current = Math.min(this.current, wall - audioMs);
  }

  /**
   * The client's offset (wall ms at which it sends the audio ending at 0 ms): the least of the
   * previous and the current window; undefined until two whole windows have passed, or while
   * those two whole windows disagree (compared whole: within a window that has only begun, a
   * client ahead of real time still looks like the end of the one before).
   */
  private schedule(): number | undefined {
    if (!Number.isFinite(this.older) || !Number.isFinite(this.previous) || Math.abs(this.older - this.previous) > MAX_DRIFT_PER_WINDOW_MS) return undefined;
    return Math.min(this.previous, this.current);
  }
}
