/** `end`: the session is over; every `emotion` message has been sent. The close frame follows. */
import type { Label } from '../labels.js';
import type { AlertMessage } from './alert.js';
import type { Scores } from './emotion.js';

/** Why the session ended: the client's `stop`, the idle timeout, or the server shutting down. */
export type EndReason = 'stop' | 'idle_timeout' | 'shutdown';

export interface EndMessage {
  readonly type: 'end';
  /** Number of `emotion` messages sent (the last partial second included). */
  readonly seconds: number;
  readonly reason: EndReason;
  /** The pooled label, plus the call summary of the settled timeline (core/supervision/summary.ts). */
  readonly summary: CallSummary & {
    /** Argmax of the mean of the voiced seconds' scores; null when no second was voiced. */
    readonly label: Label | null;
    readonly scores: Scores | null;
    readonly voicedSeconds: number;
    /** Audio received, in ms of stream time. */
    readonly durationMs: number;
  };
}

export interface SummarySegment {
  readonly label: Label;
  readonly startMs: number;
  readonly endMs: number;
}

/** What a supervisor reads after the call (docs/insight.md, "Call summary"). */
export interface CallSummary {
  /** Runs of one settled label over voiced speech (emotion.settled, the last seconds settled at the end); short pauses inside a run are bridged. */
  readonly segments: readonly SummarySegment[];
  /** Fraction of the voiced seconds whose settled label is each label (labels never chosen are absent). */
  readonly voicedShare: Partial<Record<Label, number>>;
  /** Highest smoothed arousal of the call and the second it came; null when nothing was voiced. */
  readonly peakArousal: { readonly value: number; readonly second: number; readonly endMs: number } | null;
  /** Alerts in firing order (at most 500 in full), without their type tag. */
  readonly alerts: readonly Omit<AlertMessage, 'type'>[];
  /** Alerts per rule over the whole call (exact). */
  readonly alertCounts: Readonly<Record<string, number>>;
}
