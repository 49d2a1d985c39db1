/**
 * One subscriber of one or more live sessions, independent of its transport (WebSocket or SSE):
 * subscribe to each session first, then read its history, then forward history and live events
 * so that each event is delivered exactly once and in its session's order (the per-session `seq`
 * joins the two: live events at or below the last history seq are duplicates). Ends (1000) once
 * every watched session has ended.
 *
 * Never slows the audio: the bus calls `deliver` synchronously, the sink only queues bytes on its
 * socket, and a sink whose queue is over its limit says so; the subscriber is then dropped
 * (`subscriber_too_slow`) instead of buffering without bound.
 */
import { ProtocolError, type SubscriptionMessage } from '../../core/protocol/index.js';
import type { SessionBus, Subscription } from '../events/session-bus.js';
import type { SessionEvent, SessionInfo } from '../events/session-event.js';

/** A subscriber's transport. */
export interface SubscriberSink {
  /** Queues one message; false when the transport's send buffer is over its limit (the subscriber is too slow). */
  send(message: SubscriptionMessage): boolean;
  /** Ends the transport: normally (every session ended) or with an error. */
  close(error?: ProtocolError): void;
}

/** Retry hint after a bus outage: node-redis retries the connection within about this. */
const BUS_RETRY_MS = 2000;

export class Subscriber {
  private readonly subscriptions: Subscription[] = [];
  private readonly lastSeq = new Map<string, number>();
  private readonly open = new Set<string>();
  /** Live events that arrive while the history is being read. */
  private pending: SessionEvent[] | undefined = [];
  private done = false;

  private constructor(private readonly sink: SubscriberSink) {}

  /**
   * Subscribes `sink` to `sessions`. Resolves false (and subscribes to nothing) when none of them
   * is live any more.
   */
  static async start(bus: SessionBus, sessions: readonly SessionInfo[], sink: SubscriberSink, historySeconds: number, onDone?: (dropped: boolean) => void): Promise<Subscriber | undefined> {
    const subscriber = new Subscriber(sink);
    subscriber.onDone = onDone;
    const live: SessionInfo[] = [];
    let history: SessionEvent[];
    try {
      for (const info of sessions) {
        const sub = await bus.subscribe(
          info.sessionId,
          (e) => subscriber.deliver(e),
          (reason) => subscriber.unavailable(reason),
        );
        if (!sub) continue;
        subscriber.subscriptions.push(sub);
        subscriber.open.add(info.sessionId);
        live.push(info);
      }
      if (live.length === 0) return undefined;
      history = (await Promise.all(live.map((s) => bus.history(s.sessionId)))).flat();
    } catch (e) {
      // The bus cannot be reached: nothing of this subscriber stays subscribed.
      for (const s of subscriber.subscriptions) s.unsubscribe();
      throw e;
    }
    if (subscriber.done) return subscriber;
    if (!sink.send({ type: 'subscribed', sessions: live, history: history.length, historySeconds })) return subscriber.drop();
    const pending = subscriber.pending ?? [];
    subscriber.pending = undefined;
    for (const e of [...history, ...pending]) {
      subscriber.forward(e);
      if (subscriber.done) break;
    }
    return subscriber;
  }

  private onDone?: (dropped: boolean) => void;

  /** The transport closed: stop receiving. Idempotent. */
  stop(): void {
    if (this.done) return;
    this.done = true;
    for (const s of this.subscriptions) s.unsubscribe();
    this.onDone?.(false);
  }

  private deliver(event: SessionEvent): void {
    if (this.pending) this.pending.push(event);
    else this.forward(event);
  }

  private forward(event: SessionEvent): void {
    if (this.done) return;
    if (event.seq <= (this.lastSeq.get(event.sessionId) ?? 0)) return;
    this.lastSeq.set(event.sessionId, event.seq);
    if (!this.sink.send(event)) {
      this.drop();
      return;
    }
    if (event.type === 'end') {
      this.open.delete(event.sessionId);
      if (this.open.size === 0) {
        this.stop();
        this.sink.close();
      }
    }
  }

  /** The bus lost its connection while subscribed: events may be missed, so the subscriber is ended with bus_unavailable (it reconnects and resumes from history). */
  private unavailable(reason: string): void {
    if (this.done) return;
    this.done = true;
    for (const s of this.subscriptions) s.unsubscribe();
    this.onDone?.(false);
    this.sink.close(new ProtocolError('bus_unavailable', `${reason}; labels may have been missed: resubscribe later (live sessions keep being labelled)`, BUS_RETRY_MS));
  }

  private drop(): undefined {
    if (!this.done) {
      this.done = true;
      for (const s of this.subscriptions) s.unsubscribe();
      this.onDone?.(true);
      this.sink.close(new ProtocolError('subscriber_too_slow', 'subscriber did not read fast enough and was dropped; reconnect to resume from history'));
    }
    return undefined;
  }
}
