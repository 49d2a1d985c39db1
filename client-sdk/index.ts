/**
 * Undertone client SDK, browser entry (also works in any runtime with a global `WebSocket`).
 * Node 20 has no global WebSocket: import `client-sdk/node.js` there (it defaults to `ws`).
 *
 *   const session = await connect({ url, encoding: 'pcm_f32le', sampleRate: 48000, channels: 1 });
 *   session.on('emotion', (m) => console.log(m.second, m.voiced ? m.label : 'silence'));
 *   await session.sendPcm(float32Samples);
 *   const end = await session.stop(); // end.summary.label
 */
import { type ConnectOptions, Session } from './session.js';
import type { WebSocketFactory, WebSocketLike } from './socket.js';
import { type SubscribeOptions, Subscription } from './subscribe.js';

export { Session, pcmBytes } from './session.js';
export type { ConnectOptions, ReconnectInfo, SessionEvents } from './session.js';
export type { CloseInfo, WebSocketFactory, WebSocketLike } from './socket.js';
export { UndertoneError, type ClientErrorCode } from './errors.js';
export { Subscription, type SubscribeOptions, type SubscriptionEvents } from './subscribe.js';
export { TypedEmitter } from './events.js';
export type { BackpressureOptions } from './backpressure.js';
export { DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_MAX_QUEUED_BYTES, DEFAULT_SEND_TIMEOUT_MS } from './backpressure.js';
export type { ReconnectOptions } from './reconnect.js';
export type {
  Affect,
  AlertMessage,
  CallSummary,
  ClientMessage,
  EmotionMessage,
  Encoding,
  EndMessage,
  ErrorCode,
  ErrorMessage,
  ReadyMessage,
  Scores,
  ServerMessage,
  SettledEmotion,
  SmoothedEmotion,
  SessionAlertMessage,
  SessionEmotionMessage,
  SessionEndMessage,
  SessionEndReason,
  SessionInfo,
  Band,
  StartMessage,
  StartOptions,
  SubscribedMessage,
  SubscriptionMessage,
  SummarySegment,
} from '../core/protocol/index.js';

/** The global WebSocket as a factory (browsers, Deno, Node 22+). Headers cannot be set: the token goes in the query or a subprotocol. */
export function globalWebSocketFactory(): WebSocketFactory | undefined {
  const WS = (globalThis as { WebSocket?: new (url: string, protocols?: string[]) => unknown }).WebSocket;
  if (!WS) return undefined;
  return (url, _headers, protocols) => (protocols ? new WS(url, protocols) : new WS(url)) as WebSocketLike;
}

/**
 * Opens a session: resolves after the server's `ready`; rejects with UndertoneError (connection_failed,
 * a server refusal code, timeout).
 */
export function connect(options: ConnectOptions): Promise<Session> {
  return Session.connect({ ...options, webSocket: options.webSocket ?? globalWebSocketFactory(), tokenIn: options.tokenIn ?? 'query' });
}

/**
 * Follows a live session's emotion (by sessionId or key): resolves after `subscribed`; rejects with
 * UndertoneError. Browsers: the token goes in the query.
 */
export function subscribe(options: SubscribeOptions): Promise<Subscription> {
  return Subscription.open({ ...options, webSocket: options.webSocket ?? globalWebSocketFactory(), tokenIn: options.tokenIn ?? 'query' });
}
