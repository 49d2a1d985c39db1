/** The one error type the SDK reports: a protocol error code from the server, or a client-side one. */
import type { ErrorCode } from '../core/protocol/index.js';

/**
 * Client-side codes:
 * - `connection_failed`: the WebSocket could not be opened (server down, wrong URL, refused upgrade).
 * - `connection_lost`: the connection closed without `end` or `error`.
 * - `backpressure`: audio could not be handed to the socket within `sendTimeoutMs`, or more than
 *   `maxQueuedBytes` of audio was waiting (the caller is not awaiting `sendPcm`/`sendOpus`).
 * - `timeout`: no `ready` (or no `end` after `stop`) in time.
 * - `invalid_state`: a call the session's state does not allow (audio after `stop`, ...).
 * - `invalid_audio_input`: audio the SDK cannot send as the session's encoding.
 */
export type ClientErrorCode =
  | 'connection_failed'
  | 'connection_lost'
  | 'backpressure'
  | 'timeout'
  | 'invalid_state'
  | 'invalid_audio_input';

export class UndertoneError extends Error {
  override readonly name = 'UndertoneError';

  constructor(
    /** A server error code (docs/protocol.md) or one of the client-side codes. */
    readonly code: ErrorCode | ClientErrorCode,
    message: string,
    /** The WebSocket close code, when the connection closed. */
    readonly closeCode?: number,
    /** With overloaded / not_ready / key_session_limit / too_many_subscribers / bus_unavailable: the server's hint of how long to wait before retrying (ms). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** True for errors worth retrying with backoff (server busy, loading, restarting, a limit that frees up, the session bus down, or the link broke). */
  get retryable(): boolean {
    return [
      'overloaded',
      'not_ready',
      'shutting_down',
      'key_session_limit',
      'too_many_subscribers',
      'bus_unavailable',
      'connection_failed',
      'connection_lost',
    ].includes(this.code);
  }
}
