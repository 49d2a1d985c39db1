/** The server side's one exception for protocol failures: it carries the `error` message to send and the close code to close with. */
import { type CloseCode, ERROR_CODES, type ErrorCode } from './codes.js';
import type { ErrorMessage } from './error.js';

/** A protocol-level failure of one session: becomes an `error` message and its close code. */
export class ProtocolError extends Error {
  readonly closeCode: CloseCode;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProtocolError';
    this.closeCode = ERROR_CODES[code];
  }

  toMessage(): ErrorMessage {
    return {
      type: 'error',
      code: this.code,
      message: this.message,
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
    };
  }
}
