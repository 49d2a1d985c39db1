/**
 * `end` on a subscription: a watched session is over (every one of its `emotion` messages came
 * before). The subscription closes (1000) once every session it watches has ended.
 */
import type { EndMessage, EndReason } from './end.js';

/** The stream protocol's end reasons, plus a client that went away without `stop` and a session that failed. */
export type SessionEndReason = EndReason | 'client_closed' | 'error';

export interface SessionEndMessage extends Omit<EndMessage, 'reason'> {
  readonly reason: SessionEndReason;
  readonly sessionId: string;
  readonly seq: number;
}
