/**
 * The session bus of a cluster worker when there is no Redis: the one directory, history and
 * fan-out live in the cluster primary (bus-hub.ts), and every worker reaches it over the cluster
 * IPC channel. So whichever worker a listing, a subscription or a Twilio call lands on, it sees
 * every worker's sessions, with the semantics of the in-process bus (same history window, same
 * `find`, labels in order, `end` removes the session).
 *
 * Order: a session's events go worker -> primary -> subscribing workers over two ordered IPC
 * channels, so they arrive in publication order. A subscription is registered here before the
 * primary is asked, and the primary answers before it forwards any later event, so nothing
 * published after `subscribe` resolves is missed (the subscriber joins history by `seq`).
 *
 * Publishes are batched: a worker sends the events of up to PUBLISH_BATCH_MS in one IPC message.
 * Every label of every session is published, so at 200 streams one message per event was 200
 * pipe writes, wake-ups of the primary and JSON envelopes a second (by `bench:profile --perf`,
 * the primary's 4.7 % of the server's CPU plus 1.9 % in the workers' sends; batched, the primary
 * went from 2.8-3.1 to 2.1-2.7 % of a core at 200 streams: docs/benchmarks.md).
 * Any other message flushes the batch first, so the order on the channel is still the order of
 * the calls; subscribers on any worker see a label at most PUBLISH_BATCH_MS later (the audio
 * session's own socket is not delayed: its labels do not go through the bus).
 */
import type { SessionBus, SessionListener, Subscription } from './session-bus.js';
import type { SessionEvent, SessionInfo } from './session-event.js';

/** A question a worker asks the primary's bus. */
export type BusQuery =
  | { readonly q: 'sessions' }
  | { readonly q: 'find'; readonly idOrKey: string }
  | { readonly q: 'history'; readonly sessionId: string }
  | { readonly q: 'subscribe'; readonly sessionId: string; readonly sub: number };

/** Worker -> primary. */
export type BusToPrimary =
  | { readonly t: 'undertone:bus-open'; readonly info: SessionInfo }
  | { readonly t: 'undertone:bus-publish'; readonly events: readonly SessionEvent[] }
  | { readonly t: 'undertone:bus-query'; readonly id: number; readonly query: BusQuery }
  | { readonly t: 'undertone:bus-unsubscribe'; readonly sub: number };

/** Primary -> worker: a query's answer (by the query's id), or an event for one of its subscriptions. */
export type BusToWorker =
  | { readonly t: 'undertone:bus-answer'; readonly id: number; readonly result: unknown }
  | { readonly t: 'undertone:bus-event'; readonly sub: number; readonly event: SessionEvent };

/** The worker's side of the IPC channel. */
export interface PrimaryChannel {
  /**
   * Sends without waiting (dropped when the primary is gone); `sent`, if given, is called once the
   * message has been handed to the channel (or dropped), so a worker about to exit can wait for it.
   */
  send(message: BusToPrimary, sent?: () => void): void;
  /** Sends a query and resolves with the primary's answer (rejects if it does not answer in time). */
  ask(message: Extract<BusToPrimary, { t: 'undertone:bus-query' }>): Promise<unknown>;
  /** A fresh id for a query. */
  nextId(): number;
}

/** How long a worker gathers published events before sending them to the primary as one message. */
export const PUBLISH_BATCH_MS = 25;

export class ClusterBus implements SessionBus {
  private readonly listeners = new Map<number, SessionListener>();
  private nextSub = 0;
  private batch: SessionEvent[] = [];
  private flushTimer: NodeJS.Timeout | undefined;

  /** @param batchMs publishes are gathered this long (0: each is sent at once). */
  constructor(
    private readonly primary: PrimaryChannel,
    private readonly batchMs = PUBLISH_BATCH_MS,
  ) {}

  open(info: SessionInfo): void {
    this.send({ t: 'undertone:bus-open', info });
  }

  publish(event: SessionEvent): void {
    this.batch.push(event);
    if (this.batchMs === 0) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), this.batchMs);
  }

  /** Sends the gathered events now (before any other message, and on close). */
  flush(sent?: () => void): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.batch.length === 0) {
      sent?.();
      return;
    }
    const events = this.batch;
    this.batch = [];
    this.primary.send({ t: 'undertone:bus-publish', events }, sent);
  }

  async sessions(): Promise<SessionInfo[]> {
    return (await this.query({ q: 'sessions' })) as SessionInfo[];
  }

  async find(idOrKey: string): Promise<SessionInfo[]> {
    return (await this.query({ q: 'find', idOrKey })) as SessionInfo[];
  }

  async history(sessionId: string): Promise<SessionEvent[]> {
    return (await this.query({ q: 'history', sessionId })) as SessionEvent[];
  }

  async subscribe(sessionId: string, listener: SessionListener): Promise<Subscription | undefined> {
    const sub = this.nextSub++;
    this.listeners.set(sub, listener);
    let live: boolean;
    try {
      live = (await this.query({ q: 'subscribe', sessionId, sub })) === true;
    } catch (e) {
      this.listeners.delete(sub);
      throw e;
    }
    if (!live) {
      this.listeners.delete(sub);
      return undefined;
    }
    return {
      unsubscribe: () => {
        if (!this.listeners.delete(sub)) return;
        this.send({ t: 'undertone:bus-unsubscribe', sub });
      },
    };
  }

  /** An event the primary forwards for one of this worker's subscriptions. */
  deliver(message: Extract<BusToWorker, { t: 'undertone:bus-event' }>): void {
    const listener = this.listeners.get(message.sub);
    if (!listener) return;
    try {
      listener(message.event);
    } catch {
      this.listeners.delete(message.sub);
      this.send({ t: 'undertone:bus-unsubscribe', sub: message.sub });
    }
    if (message.event.type === 'end') this.listeners.delete(message.sub);
  }

  /** Ends the subscriptions and resolves once the last gathered events are on the channel (the worker exits next). */
  async close(): Promise<void> {
    for (const sub of this.listeners.keys()) this.send({ t: 'undertone:bus-unsubscribe', sub });
    this.listeners.clear();
    await new Promise<void>((resolve) => this.flush(resolve));
  }

  private query(query: BusQuery): Promise<unknown> {
    this.flush();
    return this.primary.ask({ t: 'undertone:bus-query', id: this.primary.nextId(), query });
  }

  /** Every message but a publish: the gathered events go first, so the channel keeps call order. */
  private send(message: Exclude<BusToPrimary, { t: 'undertone:bus-publish' | 'undertone:bus-query' }>): void {
    this.flush();
    this.primary.send(message);
  }
}
