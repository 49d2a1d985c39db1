/**
 * `alert`: an alert rule fired on the session's smoothed labels (core/supervision/alert-engine.ts;
 * rules and their schema in docs/insight.md). Sent to the audio session's socket and published to
 * its subscribers (there with sessionId and seq), and in `end.summary.alerts`.
 */
import type { Label } from '../labels.js';

export interface AlertMessage {
  readonly type: 'alert';
  /** The rule's id. */
  readonly rule: string;
  /** The second on which the rule fired. */
  readonly second: number;
  /** Start of the audio of the earliest matching second in the rule's window. */
  readonly startMs: number;
  /** End of the second on which it fired. */
  readonly endMs: number;
  /** Rules with labels: the rule's most probable label; otherwise the smoothed label. */
  readonly label: Label;
  /** Rules with labels: their summed smoothed score; otherwise the smoothed label's score. */
  readonly score: number;
}

export interface SessionAlertMessage extends AlertMessage {
  readonly sessionId: string;
  readonly seq: number;
}
