/**
 * The subscription endpoints: `GET /v1/sessions` (JSON list of live sessions) and
 * `GET /v1/sessions/:id/events` as WebSocket (upgrade) or Server-Sent Events (plain GET), where
 * `:id` is a sessionId or a key (every live session with that key, e.g. both tracks of a Twilio
 * call; `?track=inbound` narrows). Authorised by the read-only subscriber keys.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Request, Response } from 'express';
import type { WebSocket, WebSocketServer } from 'ws';
import { ProtocolError } from '../../core/protocol/index.js';
import type { SessionBus } from '../events/session-bus.js';
import type { SessionInfo } from '../events/session-event.js';
import type { Logger } from '../process/logger.js';
import type { ServerMetrics } from '../process/metrics.js';
import { SseSink } from './sse-sink.js';
import { Subscriber, type SubscriberSink } from './subscriber.js';
import type { SubscriberKeys } from './subscriber-keys.js';
import { WebSocketSink } from './ws-sink.js';

export interface SubscriptionsOptions {
  readonly bus: SessionBus;
  readonly keys: SubscriberKeys;
  readonly historySeconds: number;
  /** A subscriber whose unsent bytes pass this is dropped. */
  readonly maxBufferedBytes: number;
  /** Subscribers one session may have in this process. */
  readonly maxPerSession: number;
  /** Subscribers this process may hold. */
  readonly maxSubscribers: number;
  /** Base of the retry hint sent with too_many_subscribers (ms). */
  readonly retryAfterMs: number;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /** True while the server drains: new subscriptions are refused. */
  draining(): boolean;
}

/** Longest `?wait=` (s) for a session to appear, and how often the directory is asked meanwhile (ms). */
export const MAX_WAIT_S = 300;
const WAIT_POLL_MS = 250;

const HTTP_STATUS: Partial<Record<ProtocolError['code'], number>> = {
  unauthorized: 401,
  session_not_found: 404,
  shutting_down: 503,
  invalid_message: 400,
  too_many_subscribers: 429,
  bus_unavailable: 503,
};

export class Subscriptions {
  private readonly live = new Set<SubscriberSink>();
  /** sessionId -> this process's subscribers of it. */
  private readonly perSession = new Map<string, number>();

  constructor(private readonly options: SubscriptionsOptions) {}

  get count(): number {
    return this.live.size;
  }

  /** `GET /v1/sessions`. */
  async list(req: Request, res: Response): Promise<void> {
    if (!this.options.keys.allows(req)) {
      this.httpError(res, new ProtocolError('unauthorized', 'missing or unknown subscriber key'));
      return;
    }
    let sessions: SessionInfo[];
    try {
      sessions = await this.options.bus.sessions();
    } catch (e) {
      this.httpError(res, this.busUnavailable(e));
      return;
    }
    res.json({ sessions });
  }

  /** `GET /v1/sessions/:id/events` without upgrade: Server-Sent Events. */
  async sse(req: Request, res: Response, idOrKey: string): Promise<void> {
    const found = this.withinLimits(await this.resolve(req, idOrKey, () => res.destroyed || req.socket.destroyed));
    if (found instanceof ProtocolError) {
      this.httpError(res, found);
      return;
    }
    const sink = new SseSink(res as ServerResponse, this.options.maxBufferedBytes);
    await this.attach(sink, found, (stop) => res.on('close', stop), () => res.destroyed);
  }

  /** `GET /v1/sessions/:id/events` with upgrade: WebSocket. Refusals are an error message and close code, as on /v1/stream. */
  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, wss: WebSocketServer, idOrKey: string): Promise<void> {
    // Access is decided before the upgrade; the session is looked up (and waited for) after it,
    // so a subscriber that waits for a call to start holds an open socket, not a pending handshake.
    const refusal = this.refusal(req);
    if (socket.destroyed) return;
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      ws.on('error', () => undefined);
      const sink = new WebSocketSink(ws, this.options.maxBufferedBytes);
      void (async () => {
        const found = refusal ?? this.withinLimits(await this.resolve(req, idOrKey, () => ws.readyState !== ws.OPEN));
        if (ws.readyState !== ws.OPEN) return;
        if (found instanceof ProtocolError) {
          this.refused(found);
          sink.close(found);
          return;
        }
        // The subscriber sends nothing; anything it sends is ignored.
        await this.attach(sink, found, (stop) => ws.on('close', stop), () => ws.readyState !== ws.OPEN);
      })();
    });
  }

  /** Closes every subscription (server drain). */
  closeAll(): void {
    for (const sink of [...this.live]) sink.close(new ProtocolError('shutting_down', 'server is shutting down'));
  }

  /** Why the request may not subscribe (draining, no subscriber key), if it may not. */
  private refusal(req: IncomingMessage): ProtocolError | undefined {
    if (this.options.draining()) return new ProtocolError('shutting_down', 'server is shutting down');
    if (!this.options.keys.allows(req)) return new ProtocolError('unauthorized', 'missing or unknown subscriber key');
    return undefined;
  }

  /**
   * The live sessions `:id` (and `?track=`) names. With `?wait=S` (seconds, at most MAX_WAIT_S) a
   * subscriber may come before the session, e.g. an agent desktop that knows the callSid before
   * Twilio's stream starts: the lookup is retried until a session appears, S passes, or the
   * subscriber leaves (`gone`).
   */
  private async resolve(req: IncomingMessage, idOrKey: string, gone: () => boolean): Promise<SessionInfo[] | ProtocolError> {
    const refusal = this.refusal(req);
    if (refusal) return refusal;
    const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const track = params.get('track');
    const waitText = params.get('wait');
    const wait = waitText === null ? 0 : Number(waitText);
    if (!Number.isFinite(wait) || wait < 0 || wait > MAX_WAIT_S) return new ProtocolError('invalid_message', `wait must be a number of seconds from 0 to ${MAX_WAIT_S}`);
    const deadline = Date.now() + wait * 1000;
    for (;;) {
      let found: SessionInfo[];
      try {
        found = await this.options.bus.find(idOrKey);
      } catch (e) {
        return this.busUnavailable(e);
      }
      const sessions = found.filter((s) => track === null || s.track === track);
      if (sessions.length > 0) return sessions;
      if (Date.now() >= deadline || gone() || this.options.draining()) break;
      await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
    }
    return new ProtocolError('session_not_found', `no live session with id or key ${JSON.stringify(idOrKey.slice(0, 128))}${track !== null ? ` and track ${JSON.stringify(track.slice(0, 32))}` : ''}`);
  }

  /**
   * The sessions found, or too_many_subscribers if one more subscriber of them would pass a limit.
   * Checked right before `attach` counts it, with no await between, so concurrent subscribers
   * cannot both take the last place.
   */
  private withinLimits(found: SessionInfo[] | ProtocolError): SessionInfo[] | ProtocolError {
    if (found instanceof ProtocolError) return found;
    const { maxSubscribers, maxPerSession } = this.options;
    const retry = Math.round(this.options.retryAfterMs * (1 + Math.random() * 0.5));
    if (this.live.size >= maxSubscribers) return new ProtocolError('too_many_subscribers', `this server holds its limit of ${maxSubscribers} subscribers; retry later or on another replica`, retry);
    const full = found.find((s) => (this.perSession.get(s.sessionId) ?? 0) >= maxPerSession);
    if (full) return new ProtocolError('too_many_subscribers', `session ${full.sessionId} has its limit of ${maxPerSession} subscribers on this server; retry later`, retry);
    return found;
  }

  private countSubscribers(sessions: readonly SessionInfo[], delta: 1 | -1): void {
    for (const { sessionId } of sessions) {
      const n = (this.perSession.get(sessionId) ?? 0) + delta;
      if (n > 0) this.perSession.set(sessionId, n);
      else this.perSession.delete(sessionId);
    }
  }

  private async attach(sink: SubscriberSink, sessions: SessionInfo[], onClose: (stop: () => void) => void, isClosed: () => boolean): Promise<void> {
    const { metrics, logger } = this.options;
    this.live.add(sink);
    this.countSubscribers(sessions, 1);
    metrics.subscribers.inc();
    let released = false;
    const release = (dropped: boolean): void => {
      if (released) return;
      released = true;
      this.live.delete(sink);
      this.countSubscribers(sessions, -1);
      metrics.subscribers.dec();
      if (dropped) {
        metrics.subscribersDropped.inc();
        logger.info({ sessions: sessions.map((s) => s.sessionId) }, 'subscriber too slow: dropped');
      }
    };
    let subscriber: Subscriber | undefined;
    let closed = false;
    onClose(() => {
      closed = true;
      subscriber?.stop();
      release(false);
    });
    try {
      subscriber = await Subscriber.start(this.options.bus, sessions, sink, this.options.historySeconds, release);
    } catch (e) {
      release(false);
      const error = this.busUnavailable(e);
      this.refused(error);
      sink.close(error);
      return;
    }
    if (!subscriber) {
      release(false);
      sink.close(new ProtocolError('session_not_found', 'the session ended'));
      return;
    }
    if (closed || isClosed()) subscriber.stop();
  }

  /** The bus (Redis) could not answer: a clear, retryable error instead of a failed request. */
  private busUnavailable(e: unknown): ProtocolError {
    this.options.logger.warn({ err: (e as Error).message }, 'session bus unavailable');
    return new ProtocolError('bus_unavailable', `the session bus (Redis) is unavailable (${(e as Error).message}); retry later`, Math.round(this.options.retryAfterMs * (1 + Math.random() * 0.5)));
  }

  private refused(error: ProtocolError): void {
    this.options.metrics.errors.inc({ code: error.code });
    this.options.logger.info({ code: error.code }, 'subscription refused');
  }

  private httpError(res: Response, error: ProtocolError): void {
    this.refused(error);
    res.status(HTTP_STATUS[error.code] ?? 400).json(error.toMessage());
  }
}
