/** `end`: the session is over; every `emotion` message has been sent. The close frame follows. */
import type { Label } from '../labels.js';
import type { Scores } from './emotion.js';

/** Why the session ended: the client's `stop`, the idle timeout, or the server shutting down. */
export type EndReason = 'stop' | 'idle_timeout' | 'shutdown';

export interface EndMessage {
  readonly type: 'end';
  /** Number of `emotion` messages sent (the last partial second included). */
  readonly seconds: number;
  readonly reason: EndReason;
  readonly summary: {
    /** Argmax of the mean of the voiced seconds' scores; null when no second was voiced. */
    readonly label: Label | null;
    readonly scores: Scores | null;
    readonly voicedSeconds: number;
    /** Audio received, in ms of stream time. */
    readonly durationMs: number;
  };
}
