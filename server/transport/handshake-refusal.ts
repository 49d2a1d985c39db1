/**
 * A refusal sent instead of the WebSocket handshake: an HTTP response on the raw upgrade socket,
 * then the socket is closed. No 101, no frames, no close handshake: the cheapest way to turn a
 * connection away (used for unknown paths, bad Twilio signatures and, with
 * `--overload-refusal http`, for overloaded and not_ready).
 *
 * The body, when there is an error, is the same JSON `error` message a client would otherwise read
 * after the handshake (docs/protocol.md), so a client that can read the response (Node's `ws`:
 * `unexpected-response`) gets the code and `retryAfterMs`; `Retry-After` carries the hint in
 * whole seconds (RFC 9110 section 10.2.3) for proxies and generic HTTP clients.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ProtocolError } from '../../core/protocol/index.js';

export function refuseHandshake(socket: Duplex, status: number, error?: ProtocolError): void {
  const body = error ? JSON.stringify(error.toMessage()) : '';
  const headers = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`];
  if (error) headers.push('Content-Type: application/json');
  if (error?.retryAfterMs !== undefined) headers.push(`Retry-After: ${Math.max(1, Math.ceil(error.retryAfterMs / 1000))}`);
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}
