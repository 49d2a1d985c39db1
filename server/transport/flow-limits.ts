/**
 * Per-session bounds on what a client can make the server hold (docs/protocol.md, "Flow
 * control"):
 *  - speed: a client may run ahead of real time by a burst of `burstSeconds` of audio, then at
 *    most `maxSpeed` x real time; beyond that the server stops reading its socket (TCP
 *    backpressure) until the allowance catches up. Stream time is what counts, so a client that
 *    paces itself at real time never meets the limit.
 *  - inbound: audio read from the socket but not yet decoded is at most `maxBufferedBytes`
 *    (reading pauses above it).
 *  - outbound: a client that does not read its socket is closed once the server's unsent data
 *    for it (ws.bufferedAmount) passes `maxSendBufferBytes` (slow_consumer, 1008).
 */

export interface FlowLimits {
  /** Seconds of audio a client may send ahead of real time before being held to maxSpeed. */
  readonly burstSeconds: number;
  /** Sustained rate after the burst, x real time; 0 = unlimited. */
  readonly maxSpeed: number;
  /** Audio bytes read but not yet handled, above which reading pauses. */
  readonly maxBufferedBytes: number;
  /** Unsent outgoing bytes above which the session is closed (slow_consumer). */
  readonly maxSendBufferBytes: number;
}

/**
 * The speed allowance: how long to wait (ms) before reading more, given the stream time received
 * (`audioMs`) and the wall time since start (`elapsedMs`); 0 when within the allowance.
 */
export function rateWaitMs(limits: FlowLimits, audioMs: number, elapsedMs: number): number {
  if (limits.maxSpeed <= 0) return 0;
  const allowedMs = limits.burstSeconds * 1000 + limits.maxSpeed * elapsedMs;
  return audioMs > allowedMs ? (audioMs - allowedMs) / limits.maxSpeed : 0;
}

import { WebSocket } from 'ws';

/** ws's readyState values (WebSocket.OPEN, WebSocket.CLOSING), for code that sees a socket through a narrow interface. */
export const SOCKET_OPEN: number = WebSocket.OPEN;
export const SOCKET_CLOSING: number = WebSocket.CLOSING;

/** Why a session's socket is not being read; reading resumes when no reason is left. */
export type PauseReason = 'inference' | 'rate' | 'buffer' | 'coalesce';

/** Pause/resume of one socket for several independent reasons. */
export class ReadGate {
  private readonly reasons = new Set<PauseReason>();

  constructor(private readonly apply: (paused: boolean) => void) {}

  get paused(): boolean {
    return this.reasons.size > 0;
  }

  set(reason: PauseReason, on: boolean): void {
    const before = this.paused;
    if (on) this.reasons.add(reason);
    else this.reasons.delete(reason);
    if (this.paused !== before) this.apply(this.paused);
  }

  has(reason: PauseReason): boolean {
    return this.reasons.has(reason);
  }
}


/** The ReadGate of a WebSocket: paused = the socket is not read (TCP backpressure on the client). */
export function socketReadGate(ws: { readonly readyState: number; pause(): void; resume(): void }): ReadGate {
  return new ReadGate((paused) => {
    if (ws.readyState !== SOCKET_OPEN) return;
    if (paused) ws.pause();
    else ws.resume();
  });
}

/**
 * The speed allowance applied to one connection: when the audio received runs ahead of it, the
 * gate's `rate` reason pauses reading until the allowance catches up. `held` lets a transport
 * make the messages ws had already read wait too, so audio is decoded no faster than allowed.
 */
export class SpeedHold {
  private timer?: NodeJS.Timeout;
  private endHold?: () => void;
  /** Resolves when the current hold ends; undefined when not held. */
  held?: Promise<void>;

  /** `onRelease` runs after reading resumes (restart the idle timer, handle held messages). */
  constructor(
    private readonly limits: FlowLimits,
    private readonly gate: ReadGate,
    private readonly onRelease: () => void,
  ) {}

  /** Starts a hold when `audioMs` of stream time after `elapsedMs` of wall time is beyond the allowance. */
  check(audioMs: number, elapsedMs: number): void {
    if (this.held) return;
    const wait = rateWaitMs(this.limits, audioMs, elapsedMs);
    if (wait <= 0) return;
    this.gate.set('rate', true);
    this.held = new Promise((resolve) => (this.endHold = resolve));
    this.timer = setTimeout(() => this.release(), Math.ceil(wait));
  }

  /** Ends the hold (its timer ran out, or the connection is closing); idempotent. */
  release(): void {
    if (!this.held) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.held = undefined;
    this.endHold?.();
    this.endHold = undefined;
    this.gate.set('rate', false);
    this.onRelease();
  }
}
