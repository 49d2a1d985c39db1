/**
 * Following live sessions (`GET /v1/sessions/:id/events`, docs/protocol.md "Subscriptions"): an
 * agent desktop, a supervisor wall or a voice assistant watching a caller's emotion. `:id` is a
 * sessionId or a key (a Twilio callSid, a `start.key`); `track` narrows a Twilio call to the
 * caller (`inbound`) or the agent (`outbound`). Over WebSocket (default) or Server-Sent Events
 * (fetch-based, so it runs in Node 20 and browsers and can send the token as a header).
 * No Node-only imports: this file runs in browsers.
 *
 *   const sub = await subscribe({ url: 'ws://HOST:8080', id: callSid, track: 'inbound', token });
 *   sub.on('emotion', (m) => show(m.label));
 *   sub.on('end', (m) => done(m.summary.label));
 */
import {
  type SessionAlertMessage,
  ERROR_CODES,
  type SessionInfo,
  type SessionEmotionMessage,
  type SessionEndMessage,
  type SubscribedMessage,
  type SubscriptionMessage,
  eventsPath,
  isErrorCode,
  parseSubscriptionMessage,
} from '../core/protocol/index.js';
import { Attempt } from './attempt.js';
import { type MessageHandlers, dispatch } from './dispatch.js';
import { UndertoneError } from './errors.js';
import { TypedEmitter } from './events.js';
import { type CloseInfo, type WebSocketFactory, closeText, connectionFailed, openSocket } from './socket.js';

export interface SubscribeOptions {
  /** The server: `ws://HOST:PORT`, `wss://...`, `http://...` or `https://...` (the path is added). */
  readonly url: string;
  /** A sessionId or a session key (e.g. a Twilio callSid). */
  readonly id: string;
  /** Only this track of a Twilio call: `inbound` (caller) or `outbound` (agent). */
  readonly track?: string;
  /** Subscriber key (read-only scope), when the server requires one. */
  readonly token?: string;
  /** Where the token goes: `header` (Authorization: Bearer; Node, or SSE anywhere) or `query` (?token=). */
  readonly tokenIn?: 'header' | 'query';
  /** `websocket` (default) or `sse` (Server-Sent Events over fetch). */
  readonly transport?: 'websocket' | 'sse';
  /** WebSocket implementation (the Node entry defaults to `ws`, the browser entry to the global one). */
  readonly webSocket?: WebSocketFactory;
  /**
   * Wait up to this long (s, at most 300) for a session with this id/key to start, instead of
   * failing with session_not_found at once: an agent desktop can subscribe to a callSid before the
   * call's stream reaches the server. Default 0.
   */
  readonly waitSeconds?: number;
  /** Time allowed to get `subscribed`, beyond `waitSeconds` (default 10 s). */
  readonly timeoutMs?: number;
}

export type SubscriptionEvents = {
  subscribed: (message: SubscribedMessage) => void;
  /** One label of a watched session (history first, then live), in that session's order. */
  emotion: (message: SessionEmotionMessage) => void;
  /** An alert rule fired on a watched session. */
  alert: (message: SessionAlertMessage) => void;
  /** A watched session ended. */
  end: (message: SessionEndMessage) => void;
  /** The server ended the subscription with an error (e.g. subscriber_too_slow), or the link broke. */
  error: (error: UndertoneError) => void;
  close: (info: CloseInfo) => void;
};

function endpoint(options: SubscribeOptions, scheme: 'ws' | 'http'): string {
  const base = new URL(options.url);
  const secure = base.protocol === 'wss:' || base.protocol === 'https:';
  const url = new URL(eventsPath(options.id), `${scheme}${secure ? 's' : ''}://${base.host}`);
  if (options.track) url.searchParams.set('track', options.track);
  if (options.waitSeconds) url.searchParams.set('wait', String(options.waitSeconds));
  if (options.token && options.tokenIn === 'query') url.searchParams.set('token', options.token);
  return url.toString();
}

function serverError(message: { code: string; message: string }, refused: boolean): UndertoneError {
  const code = isErrorCode(message.code) ? message.code : 'internal';
  return new UndertoneError(
    code,
    `server ${refused ? 'refused' : 'ended'} the subscription: ${code}: ${message.message}`,
    ERROR_CODES[code],
  );
}

export class Subscription extends TypedEmitter<SubscriptionEvents> {
  /** The sessions this subscription watches (from `subscribed`). */
  sessions: readonly SessionInfo[] = [];
  /** Resolves when the subscription is over (every session ended, an error, or `close()`). */
  readonly closed: Promise<CloseInfo>;
  private resolveClosed!: (info: CloseInfo) => void;
  private stop: () => void = () => undefined;
  private ended = 0;

  private constructor() {
    super();
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /**
   * Opens the subscription; resolves after `subscribed`, rejects with UndertoneError (session_not_found, unauthorized,
   * connection_failed, timeout). One connection attempt (attempt.ts) over a WebSocket (socket.ts) or SSE; each message goes
   * to the handler of its type (dispatch.ts).
   */
  static open(options: SubscribeOptions): Promise<Subscription> {
    const sub = new Subscription();
    const timeoutMs = (options.timeoutMs ?? 10_000) + (options.waitSeconds ?? 0) * 1000;
    const attempt = new Attempt<Subscription>(
      timeoutMs,
      () => new UndertoneError('timeout', `no subscribed message within ${timeoutMs} ms`),
      () => sub.stop(),
    );
    const handlers: MessageHandlers<SubscriptionMessage> = {
      subscribed: (m) => {
        sub.sessions = m.sessions;
        attempt.succeed(sub);
        sub.emit('subscribed', m);
      },
      emotion: (m) => sub.emit('emotion', m),
      alert: (m) => sub.emit('alert', m),
      end: (m) => {
        sub.ended++;
        sub.emit('end', m);
      },
      error: (m) => {
        if (!attempt.settled) attempt.fail(serverError(m, true));
        else sub.emit('error', serverError(m, false));
      },
    };
    const onMessage = (m: SubscriptionMessage): void => dispatch(m, handlers);
    const onClose = (info: CloseInfo, failure?: UndertoneError): void => {
      if (!attempt.settled) {
        const early = new UndertoneError(
          'connection_failed',
          `subscription closed before subscribed (${info.code} ${info.reason})`,
          info.code,
        );
        attempt.fail(failure ?? early);
      } else if (sub.ended < sub.sessions.length && info.code !== 1000 && failure) {
        sub.emit('error', failure);
      }
      sub.emit('close', info);
      sub.resolveClosed(info);
    };
    try {
      sub.stop =
        (options.transport ?? 'websocket') === 'sse' ? openSse(options, onMessage, onClose) : openWebSocket(options, onMessage, onClose);
    } catch (e) {
      attempt.fail(e instanceof UndertoneError ? e : new UndertoneError('connection_failed', (e as Error).message));
    }
    return attempt.result;
  }

  /** Stops following (the server is told by the closing connection). */
  close(): void {
    this.stop();
  }
}

function openWebSocket(
  options: SubscribeOptions,
  onMessage: (m: SubscriptionMessage) => void,
  onClose: (info: CloseInfo, failure?: UndertoneError) => void,
): () => void {
  const url = endpoint(options, 'ws');
  const socket = openSocket({
    factory: options.webSocket,
    url,
    name: url,
    headers: options.token && options.tokenIn !== 'query' ? { Authorization: `Bearer ${options.token}` } : undefined,
    parse: parseSubscriptionMessage,
    onMessage,
    onClose: (end) => {
      const info: CloseInfo = { code: end.code, reason: end.reason };
      const failure = end.opened
        ? new UndertoneError('connection_lost', `subscription closed (${closeText(info)})`, info.code)
        : connectionFailed(url, end);
      onClose(info, failure);
    },
  });
  return () => socket.close(1000, 'unsubscribed');
}

function openSse(
  options: SubscribeOptions,
  onMessage: (m: SubscriptionMessage) => void,
  onClose: (info: CloseInfo, failure?: UndertoneError) => void,
): () => void {
  const abort = new AbortController();
  const url = endpoint(options, 'http');
  const headers: Record<string, string> = { Accept: 'text/event-stream' };
  if (options.token && options.tokenIn !== 'query') headers.Authorization = `Bearer ${options.token}`;
  void (async () => {
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: abort.signal });
    } catch (e) {
      onClose({ code: 1006, reason: '' }, new UndertoneError('connection_failed', `cannot connect to ${url}: ${(e as Error).message}`));
      return;
    }
    if (res.status !== 200 || !res.body) {
      let error: UndertoneError;
      try {
        error = serverError((await res.json()) as { code: string; message: string }, true);
      } catch {
        error = new UndertoneError('connection_failed', `${url} answered HTTP ${res.status}`);
      }
      onClose({ code: res.status, reason: error.code }, error);
      return;
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n');
          if (!data) continue; // a comment (keepalive)
          try {
            onMessage(parseSubscriptionMessage(data));
          } catch {
            // ignore
          }
        }
      }
      onClose({ code: 1000, reason: 'end of stream' });
    } catch (e) {
      onClose(
        { code: 1006, reason: '' },
        abort.signal.aborted ? undefined : new UndertoneError('connection_lost', `subscription stream broke: ${(e as Error).message}`),
      );
    }
  })();
  return () => abort.abort();
}
