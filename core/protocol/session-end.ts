/**
 * `end` on a subscription: a watched session is over (every one of its `emotion` messages came
 * before). The subscription closes (1000) once every session it watches has ended.
 */
import type { EndMessage, EndReason } from './end.js';

/**
 * The stream protocol's end reasons, plus a client that went away without `stop`, a session that
 * failed, and `lost`: the process serving the session died (no more labels will come; sent by
 * the bus on its behalf, so `seconds` and `summary` count what was published before).
 */
export type SessionEndReason = EndReason | 'client_closed' | 'error' | 'lost';

export interface SessionEndMessage extends Omit<EndMessage, 'reason'> {
  readonly reason: SessionEndReason;
  readonly sessionId: string;
  readonly seq: number;
}
