/** `error`: why the server is ending the session. The close frame (with the matching code) follows. */
import type { ErrorCode } from './codes.js';

export interface ErrorMessage {
  readonly type: 'error';
  readonly code: ErrorCode;
  /** Human-readable detail; never contains audio. */
  readonly message: string;
  /**
   * With `overloaded`, `not_ready`, `key_session_limit` and `too_many_subscribers`: how long to wait before reconnecting (ms). Already
   * jittered by the server so refused clients do not come back all at once.
   */
  readonly retryAfterMs?: number;
}
