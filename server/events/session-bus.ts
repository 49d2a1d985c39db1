/**
 * The publish point of live sessions and the directory of them. Every Session (server/pipeline/session.ts) opens itself
 * here, publishes its `emotion` and `end` events, and subscribers (server/subscriptions) read the
 * directory, the recent history and the live events. The default implementation is in-process
 * (in-process-bus.ts); with REDIS_URL set it is Redis pub/sub, so a subscriber may be on another
 * replica than the audio. Publishing never waits: a slow bus or subscriber must not slow audio.
 */
import type { SessionEvent, SessionInfo } from './session-event.js';

export type SessionListener = (event: SessionEvent) => void;

export interface Subscription {
  /** Stops delivery to the listener; idempotent. */
  unsubscribe(): void;
}

export interface SessionBus {
  /** A session started: list it and start its history. */
  open(info: SessionInfo): void;
  /** Publishes one event to the session's subscribers and its history. An `end` event also removes the session from the directory. */
  publish(event: SessionEvent): void;
  /** Live sessions (every replica's, for a shared bus), oldest first. Rejects if the bus cannot be reached (as do find and history). */
  sessions(): Promise<SessionInfo[]>;
  /** The live sessions a subscriber's `:id` names: the session with that id, or every session with that key. */
  find(idOrKey: string): Promise<SessionInfo[]>;
  /** The session's recent events (at most the history window), in order. */
  history(sessionId: string): Promise<SessionEvent[]>;
  /**
   * Delivers the session's events published from now on, in order. Undefined when the session is
   * no longer live (it ended between `find` and this call). `onUnavailable` is called (once, then
   * nothing more is delivered) if the bus loses its connection while subscribed, so events may be
   * missed (Redis outage); an in-process bus never calls it. Rejects if the bus cannot be reached.
   */
  subscribe(sessionId: string, listener: SessionListener, onUnavailable?: (reason: string) => void): Promise<Subscription | undefined>;
  close(): Promise<void>;
}

/** Which sessions an `:id` names (by id, else by key or alias). */
export function matches(info: SessionInfo, idOrKey: string): boolean {
  return info.sessionId === idOrKey || info.key === idOrKey || (info.aliases?.includes(idOrKey) ?? false);
}
