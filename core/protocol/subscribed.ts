/**
 * `subscribed`: the first message of a subscription. Names the sessions the `:id` matched; the
 * `history` messages that follow are their recent past (up to `historySeconds` labels each), then
 * live messages as they happen.
 */
import type { SessionInfo } from './session-info.js';

export interface SubscribedMessage {
  readonly type: 'subscribed';
  readonly sessions: readonly SessionInfo[];
  /** Number of `emotion`/`end` messages replayed from history right after this one. */
  readonly history: number;
  /** The server's history window (labels per session, one per second of stream time). */
  readonly historySeconds: number;
}
