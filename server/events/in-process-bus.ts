/**
 * The session bus of one process: a map of live sessions, each with its subscribers and its last
 * `historySize` events (one emotion per second of stream time, so N events = the last N seconds).
 * Listeners are called synchronously, in publication order; a listener that throws is removed
 * (it is the subscriber's job to bound its own buffer, see server/subscriptions).
 */
import type { SessionBus, SessionListener, Subscription } from './session-bus.js';
import { matches } from './session-bus.js';
import type { SessionEvent, SessionInfo } from './session-event.js';

interface Entry {
  readonly info: SessionInfo;
  readonly history: SessionEvent[];
  readonly listeners: Set<SessionListener>;
}

export class InProcessBus implements SessionBus {
  private readonly live = new Map<string, Entry>();

  /** @param historySize emotion events kept per session for late subscribers (seconds of stream time). */
  constructor(private readonly historySize: number) {}

  open(info: SessionInfo): void {
    this.live.set(info.sessionId, { info, history: [], listeners: new Set() });
  }

  publish(event: SessionEvent): void {
    const entry = this.live.get(event.sessionId);
    if (!entry) return;
    entry.history.push(event);
    if (entry.history.length > this.historySize) entry.history.splice(0, entry.history.length - this.historySize);
    for (const listener of [...entry.listeners]) {
      try {
        listener(event);
      } catch {
        entry.listeners.delete(listener);
      }
    }
    if (event.type === 'end') {
      entry.listeners.clear();
      this.live.delete(event.sessionId);
    }
  }

  async sessions(): Promise<SessionInfo[]> {
    return [...this.live.values()].map((e) => e.info);
  }

  async find(idOrKey: string): Promise<SessionInfo[]> {
    return [...this.live.values()].map((e) => e.info).filter((info) => matches(info, idOrKey));
  }

  async history(sessionId: string): Promise<SessionEvent[]> {
    return [...(this.live.get(sessionId)?.history ?? [])];
  }

  async subscribe(sessionId: string, listener: SessionListener): Promise<Subscription | undefined> {
    const entry = this.live.get(sessionId);
    if (!entry) return undefined;
    entry.listeners.add(listener);
    return { unsubscribe: () => entry.listeners.delete(listener) };
  }

  async close(): Promise<void> {
    this.live.clear();
  }
}
