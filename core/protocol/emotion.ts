/**
 * `emotion`: the label of one second of stream time, sent every second of audio received (and
 * once more for the partial last second at the end). Fields are core/predict.ts's TimelineEntry,
 * so they equal `undertone predict --json` on the same audio.
 */
import type { Label } from '../labels.js';

export type Scores = Partial<Record<Label, number>>;

/** A point of the circumplex of affect, each axis in [-1, 1] (core/supervision/affect.ts). */
export interface Affect {
  /** Pleasure (+1) to displeasure (-1). */
  readonly valence: number;
  /** Activated (+1) to deactivated (-1). */
  readonly arousal: number;
}

/** The session's smoothed view of a voiced second (core/supervision/smoothing.ts). */
export interface SmoothedEmotion extends Affect {
  /** The label shown: changes only when another leads it by the smoothing's switchMargin and switchRatio. */
  readonly label: Label;
  /** Filtered probability of every model label. */
  readonly scores: Scores;
}

/**
 * The settled view of an earlier voiced second (core/supervision/settling.ts): its label decided
 * with `settleSeconds` of hindsight, never revised. Rides on the message of the second at which it
 * was decided (voiced or not); the last seconds of a session are settled into `end.summary` only.
 */
export interface SettledEmotion extends SmoothedEmotion {
  /** The second it describes (earlier than the message's own). */
  readonly second: number;
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * Voiced seconds also carry `arousal` and `valence` of the raw scores, and `smoothed` from the
 * session's smoother (docs/insight.md).
 */
export interface EmotionMessage extends Partial<Affect> {
  readonly type: 'emotion';
  /** 1-based: second k covers stream time up to k s (the last one may end earlier). */
  readonly second: number;
  /** Start of the audio the window covers (ms from the start of the stream; windowMs before endMs, clamped at 0). */
  readonly startMs: number;
  /** End of the window: stream time at which the label was due. */
  readonly endMs: number;
  /** false: the second held no speech (energy gate); no label or scores are sent. */
  readonly voiced: boolean;
  /** Present only when voiced: the most probable label. */
  readonly label?: Label;
  /** Present only when voiced: probability of every model label (they sum to 1). */
  readonly scores?: Scores;
  /** Present only when voiced. */
  readonly smoothed?: SmoothedEmotion;
  /** Present when an earlier voiced second was settled at this one. */
  readonly settled?: SettledEmotion;
}
