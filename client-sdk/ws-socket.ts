/**
 * The Node WebSocket factory: `ws`, without compression (audio does not compress and it costs
 * CPU), and able to read a refusal the server sends instead of the handshake.
 *
 * A server with `--overload-refusal http` answers an upgrade it turns away (overloaded, not_ready)
 * with HTTP 503 + Retry-After and the protocol's JSON `error` as the body (docs/protocol.md). A
 * browser's WebSocket cannot see that response; `ws` can (`unexpected-response`), so here the body
 * is handed to the socket's `onmessage` exactly as the same error would arrive after a handshake,
 * then the socket reports a failed connection (`onerror` with the status, `onclose` 1006). The
 * session therefore fails with the server's code and `retryAfterMs`, and its reconnection honours
 * the hint, whichever way the server refuses. Any other non-101 response ends the same way, with
 * no message.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import type { WebSocketFactory, WebSocketLike } from './socket.js';

/** Larger bodies are not a protocol error message; they are not read further. */
const MAX_REFUSAL_BODY = 64 * 1024;

export const wsFactory: WebSocketFactory = (url, headers, protocols) => {
  const ws = new WebSocket(url, protocols ?? [], { headers, perMessageDeflate: false });
  ws.on('unexpected-response', (_req: ClientRequest, res: IncomingMessage) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REFUSAL_BODY) chunks.push(chunk);
    });
    const fail = (): void =>
      failHandshake(ws, res.statusCode ?? 0, size <= MAX_REFUSAL_BODY && isJson(res) ? Buffer.concat(chunks).toString('utf8') : undefined);
    res.on('end', fail);
    res.on('error', fail);
  });
  return ws as unknown as WebSocketLike;
};

function isJson(res: IncomingMessage): boolean {
  return /^application\/json\b/i.test(res.headers['content-type'] ?? '');
}

/** Ends a socket whose upgrade got `status`: the body (when it is JSON) as a message, then the error and close a browser would report. */
function failHandshake(ws: WebSocket, status: number, body: string | undefined): void {
  const socket = ws as unknown as WebSocketLike & {
    onmessage: ((ev: { data: string }) => void) | null;
    onerror: ((ev: { message: string }) => void) | null;
    onclose: ((ev: { code: number; reason: string }) => void) | null;
  };
  const { onmessage, onerror, onclose } = socket;
  if (onclose === null && onerror === null && onmessage === null) return; // already ended
  socket.onmessage = socket.onerror = socket.onclose = null;
  ws.on('error', () => undefined);
  ws.terminate(); // releases the request; its own error and close go nowhere now
  if (body !== undefined) onmessage?.({ data: body });
  onerror?.({ message: `Unexpected server response: ${status}` });
  onclose?.({ code: 1006, reason: '' });
}
