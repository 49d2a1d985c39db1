/**
 * How a live audio connection (a /v1/stream StreamConnection or a TwilioCall) turns a failure into a
 * protocol error and closes its socket: the same mapping, logging and close for every transport.
 */
import { WebSocket } from 'ws';
import { AudioInputError } from '../../core/errors.js';
import { type CloseCode, ProtocolError } from '../../core/protocol/index.js';
import type { Logger } from '../process/logger.js';

/** Close reasons are at most 123 bytes of UTF-8. */
export function closeReason(text: string): string {
  let reason = text;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  return reason;
}

/**
 * The protocol error a failure becomes: itself, `invalid_audio` for audio the decoder refused,
 * else `internal` (logged with its stack: a bug). Refusals of bad input are logged at info.
 */
export function protocolErrorOf(e: unknown, log: Logger): ProtocolError {
  let error: ProtocolError;
  if (e instanceof ProtocolError) error = e;
  else if (e instanceof AudioInputError) error = new ProtocolError('invalid_audio', e.message);
  else {
    error = new ProtocolError('internal', 'internal server error');
    log.error({ err: e instanceof Error ? { message: e.message, stack: e.stack } : String(e) }, 'session failed');
  }
  if (error.code !== 'internal') log.info({ code: error.code, reason: error.message }, 'session refused input');
  return error;
}

/** Closes the socket with `code` and `reason` unless it is closing already. */
export function closeSocket(ws: { readonly readyState: number; close(code: number, reason: string): void }, code: CloseCode, reason: string): void {
  if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, closeReason(reason));
}
