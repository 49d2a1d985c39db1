/**
 * The thin typed socket under a stream session and a subscription: a WebSocket with the browser's
 * API (the global one, or `ws` in Node) whose text messages arrive parsed into the protocol's
 * types (others are ignored) and whose close says whether it had opened and what the WebSocket
 * reported. What a message or a close means is the caller's (session.ts, subscribe.ts).
 * No Node-only imports: this file runs in browsers.
 */
import { UndertoneError } from './errors.js';

/**
 * An event handler of WebSocketLike. Its parameter is `never` so that both the DOM's WebSocket
 * (Event, MessageEvent, CloseEvent) and `ws` (its own event classes) are assignable; openSocket
 * installs handlers that read only the fields it needs.
 */
type SocketEventHandler = (event: never) => void;

/** The part of the WebSocket API the SDK uses (the browser's `WebSocket` and `ws` both have it). */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  binaryType: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: SocketEventHandler | null;
  onmessage: SocketEventHandler | null;
  onclose: SocketEventHandler | null;
  onerror: SocketEventHandler | null;
}

/** Opens a WebSocket. `headers` is only passed when the token goes in a header (Node), `protocols` when it goes in a subprotocol. */
export type WebSocketFactory = (url: string, headers?: Record<string, string>, protocols?: string[]) => WebSocketLike;

/** `readyState` of an open socket. */
export const OPEN = 1;

export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** How a socket ended: its close code and reason, whether it had opened, and the last error the WebSocket reported (e.g. ECONNREFUSED). */
export interface SocketEnd extends CloseInfo {
  readonly opened: boolean;
  readonly error: string;
}

export interface SocketSpec<M> {
  /** The WebSocket implementation; undefined when the runtime has none (Node 20's browser entry). */
  readonly factory: WebSocketFactory | undefined;
  /** Where to connect (with the token when it goes in the query). */
  readonly url: string;
  /** The URL as errors name it. */
  readonly name: string;
  readonly headers?: Record<string, string>;
  readonly protocols?: string[];
  /** Reads a text message; a message it throws on is ignored (forward compatible). Binary messages are ignored. */
  readonly parse: (text: string) => M;
  readonly onOpen?: (socket: WebSocketLike) => void;
  readonly onMessage: (message: M) => void;
  readonly onClose: (end: SocketEnd) => void;
}

/**
 * Opens a socket and wires its events to `spec`. Throws UndertoneError connection_failed when there
 * is no WebSocket implementation or it throws (e.g. a malformed URL).
 */
export function openSocket<M>(spec: SocketSpec<M>): WebSocketLike {
  if (!spec.factory) {
    throw new UndertoneError(
      'connection_failed',
      'no WebSocket implementation: pass `webSocket`, or import the Node entry (client-sdk/node.js)',
    );
  }
  let socket: WebSocketLike;
  try {
    socket = spec.factory(spec.url, spec.headers, spec.protocols);
  } catch (e) {
    throw new UndertoneError('connection_failed', `cannot connect to ${spec.name}: ${(e as Error).message}`);
  }
  let opened = false;
  let error = '';
  socket.binaryType = 'arraybuffer';
  socket.onopen = () => {
    opened = true;
    spec.onOpen?.(socket);
  };
  socket.onerror = (ev: { message?: string; error?: Error }) => {
    error = ev?.message ?? ev?.error?.message ?? '';
  };
  socket.onmessage = (ev: { data: unknown }) => {
    if (typeof ev.data !== 'string') return;
    let message: M;
    try {
      message = spec.parse(ev.data);
    } catch {
      return;
    }
    spec.onMessage(message);
  };
  socket.onclose = (ev: { code: number; reason?: string }) => spec.onClose({ code: ev.code, reason: ev.reason ?? '', opened, error });
  return socket;
}

/** `1006` or `1008 unauthorized`: a close as error messages show it. */
export function closeText(info: CloseInfo): string {
  return `${info.code}${info.reason ? ` ${info.reason}` : ''}`;
}

/** The error of a socket that closed without ever opening. */
export function connectionFailed(name: string, end: SocketEnd): UndertoneError {
  return new UndertoneError(
    'connection_failed',
    `cannot connect to ${name}${end.error ? `: ${end.error}` : ''} (is the server running?)`,
    end.code,
  );
}

/**
 * The subprotocols that carry an API key (docs/protocol.md): `undertone.v1`, which the server
 * echoes, and `undertone.bearer.` + base64url of the key's UTF-8 bytes.
 */
export function keyProtocols(token: string): string[] {
  const bytes = new TextEncoder().encode(token);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  const b64 = btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return ['undertone.v1', `undertone.bearer.${b64}`];
}
