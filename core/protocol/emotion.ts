/**
 * `emotion`: the label of one second of stream time, sent every second of audio received (and
 * once more for the partial last second at the end). Fields are core/predict.ts's TimelineEntry,
 * so they equal `undertone predict --json` on the same audio.
 */
import type { Label } from '../labels.js';

export type Scores = Partial<Record<Label, number>>;

export interface EmotionMessage {
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
}
