/** `ready`: the server accepted `start`; binary audio may follow. */
import type { Label } from '../labels.js';
import type { Band } from './start.js';

export interface ReadyMessage {
  readonly type: 'ready';
  /** Server-chosen id of this session (appears in the server's logs). */
  readonly sessionId: string;
  /** The client's `key` from `start`, when it sent one. */
  readonly key?: string;
  /** The model chosen for this stream (wideband or narrowband: start.band, else the stream's encoding and rate). */
  readonly model: {
    readonly name: string;
    readonly version: string;
    /** Which of the server's models this is; with no narrowband model loaded, always `wideband`. */
    readonly band: Band;
    /** The labels `emotion` messages can carry, in the model's score order. */
    readonly labels: readonly Label[];
  };
  /** Length of audio each label looks at (ms), ending at the label's second. */
  readonly windowMs: number;
  /** The session's limits. */
  readonly limits: {
    /** Largest message the server accepts (bytes); larger ones end the session with 1009. */
    readonly maxMessageBytes: number;
    /** Session ends (`end`, close 1000) after this long without any message. */
    readonly idleTimeoutMs: number;
  };
}
