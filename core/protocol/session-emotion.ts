/**
 * `emotion` on a subscription (`GET /v1/sessions/:id/events`): a watched session's `emotion`
 * message, plus which session it belongs to and its place in that session's sequence.
 */
import type { EmotionMessage } from './emotion.js';

export interface SessionEmotionMessage extends EmotionMessage {
  readonly sessionId: string;
  /** 1, 2, 3, ... per session, in order; the `end` takes the next number. Lets a client drop a duplicate after reconnecting. */
  readonly seq: number;
}
