/**
 * Bounded, ordered hand-off of audio messages to a WebSocket. Two bounds keep memory flat:
 * - the socket's own buffer: a message is sent only when `bufferedAmount` + its size stays within
 *   `maxBufferedBytes` (or the buffer is empty), polled because browsers have no drain event;
 * - the SDK's queue: at most `maxQueuedBytes` wait to be sent; a send beyond that is refused at
 *   once with `backpressure` (the caller is producing faster than it awaits).
 * A message that cannot be sent within `sendTimeoutMs` fails with `backpressure`, and so does
 * everything queued behind it (sending them would leave a hole in the audio).
 */
import { UndertoneError } from './errors.js';

export interface BackpressureOptions {
  /** Most bytes the socket may hold unsent before the SDK waits (default 512 KiB). */
  readonly maxBufferedBytes?: number;
  /** Most bytes of audio the SDK itself queues behind the socket (default 2 MiB). */
  readonly maxQueuedBytes?: number;
  /** How long one message may wait for room before failing (default 10 s). */
  readonly sendTimeoutMs?: number;
}

export const DEFAULT_MAX_BUFFERED_BYTES = 512 * 1024;
export const DEFAULT_MAX_QUEUED_BYTES = 2 * 1024 * 1024;
export const DEFAULT_SEND_TIMEOUT_MS = 10_000;
const POLL_MS = 5;

/** Where queued messages go: the current socket, or undefined while there is none (reconnecting). */
export interface Link {
  readonly bufferedAmount: number;
  send(bytes: Uint8Array): void;
}

interface Pending {
  readonly bytes: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

export class SendQueue {
  private readonly pending: Pending[] = [];
  private queued = 0;
  private pumping = false;
  private failure: Error | undefined;
  private idleWaiters: (() => void)[] = [];
  readonly maxBufferedBytes: number;
  readonly maxQueuedBytes: number;
  readonly sendTimeoutMs: number;
  /** Largest `bufferedAmount` seen right after a send (for tests and diagnostics). */
  peakBufferedBytes = 0;

  /** `onFail` hears the queue's own failures (a send timeout, a throwing socket), not those passed to fail(). */
  constructor(
    private readonly link: () => Link | undefined,
    options: BackpressureOptions = {},
    private readonly onFail?: (error: Error) => void,
  ) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    this.sendTimeoutMs = options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  }

  /** Bytes waiting in the SDK (not yet handed to the socket). */
  get queuedBytes(): number {
    return this.queued;
  }

  /**
   * Queues messages (sent in order); resolves when the last is handed to the socket. Refuses the
   * whole batch, sending none of it, when it would take the queue past `maxQueuedBytes`.
   */
  push(messages: readonly Uint8Array[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const total = messages.reduce((s, m) => s + m.byteLength, 0);
    if (this.queued > 0 && this.queued + total > this.maxQueuedBytes) {
      return Promise.reject(
        new UndertoneError(
          'backpressure',
          `audio queue full: ${this.queued} bytes already waiting (limit ${this.maxQueuedBytes}); await sendPcm/sendOpus before sending more`,
        ),
      );
    }
    this.queued += total;
    const done = messages.map((bytes) => new Promise<void>((resolve, reject) => this.pending.push({ bytes, resolve, reject })));
    void this.pump();
    return Promise.all(done).then(() => undefined);
  }

  /** Resolves when everything queued has been handed to the socket (or has failed). */
  idle(): Promise<void> {
    if (this.pending.length === 0 && !this.pumping) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Fails everything queued, and every later push, with `error`. */
  fail(error: Error): void {
    this.failure ??= error;
    for (const p of this.pending.splice(0)) p.reject(error);
    this.queued = 0;
    this.notifyIdle();
  }

  private failInternally(error: Error): void {
    const first = !this.failure;
    this.fail(error);
    if (first) this.onFail?.(error);
  }

  private notifyIdle(): void {
    if (this.pending.length > 0 || this.pumping) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.pending.length > 0) {
        const head = this.pending[0];
        const deadline = Date.now() + this.sendTimeoutMs;
        let link = this.link();
        while (!link || (link.bufferedAmount > 0 && link.bufferedAmount + head.bytes.byteLength > this.maxBufferedBytes)) {
          if (this.failure) return;
          if (Date.now() >= deadline) {
            this.failInternally(
              new UndertoneError(
                'backpressure',
                link
                  ? `the connection did not take audio for ${this.sendTimeoutMs} ms (${link.bufferedAmount} bytes unsent, limit ${this.maxBufferedBytes}): link too slow or server not reading`
                  : `no connection to send audio on for ${this.sendTimeoutMs} ms`,
              ),
            );
            return;
          }
          await new Promise((r) => setTimeout(r, POLL_MS));
          link = this.link();
        }
        if (this.failure) return;
        this.pending.shift();
        this.queued -= head.bytes.byteLength;
        try {
          link.send(head.bytes);
        } catch (e) {
          head.reject(e as Error);
          this.failInternally(e as Error);
          return;
        }
        this.peakBufferedBytes = Math.max(this.peakBufferedBytes, link.bufferedAmount);
        head.resolve();
      }
    } finally {
      this.pumping = false;
      this.notifyIdle();
    }
  }
}
