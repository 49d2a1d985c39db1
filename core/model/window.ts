/**
 * The model's input window and the schedule of windows over a stream.
 *
 * A label is due at every whole second of audio (sample k * 16000) and, when a stream ends, at its
 * last sample if frames were completed after the last whole second. Each label's window is the
 * `frames` newest feature frames complete at that point, left-padded when the stream is shorter
 * than the window. `undertone predict`, evaluation, training and the live server all take their
 * windows from this module, so they see the same windows.
 */
import { FEATURE_CONFIG, type FeatureConfig, framesCompleteAt, rmsIndex } from '../features/config.js';
import type { FeatureHistory } from '../features/history.js';

export interface WindowSpec {
  /** Feature frames per window (100 frames = 1 s at a 10 ms hop). */
  readonly frames: number;
  /** Seconds of audio between labels. */
  readonly hopSeconds: 1;
}

export interface SessionNormalization {
  /** Pseudo-frames of the global prior (mean 0, variance 1 of z) the session statistics start from. */
  readonly priorFrames: number;
  /** 'both': each frame is [z, session-normalised z]; 'session': the session-normalised z alone. */
  readonly layout: 'both' | 'session';
}

export interface Normalization {
  /** Global normalisation z = (x - mean) / std, from the training originals. */
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /** Per-session running normalisation on top of z (core/model/session-stats.ts); absent = none. */
  readonly session?: SessionNormalization;
}

/** Values per frame of the model input: the features, twice when both normalisations are fed. */
export function inputDim(norm: Normalization, featureDim: number): number {
  return norm.session?.layout === 'both' ? 2 * featureDim : featureDim;
}

/** Session mean and std of z at a label point (SessionStats after refresh()). */
export interface SessionMoments {
  readonly mean: ArrayLike<number>;
  readonly std: ArrayLike<number>;
}

export interface VoicingGate {
  readonly method: 'energy';
  /** A frame is voiced when its RMS exceeds this (dBFS). */
  readonly thresholdDb: number;
  /** A second is voiced when at least this many of its frames are. */
  readonly minVoicedFrames: number;
}

/**
 * -60 dBFS and 20 frames (0.2 s) a second, measured on the corpora: at -50 dBFS, 45 of 1440
 * RAVDESS files (the quiet actors) had no voiced second at all; at -60 none has, while digital
 * silence (-100) and the corpora's pauses stay unvoiced (RAVDESS: 52% of seconds voiced).
 */
export const DEFAULT_VOICING: VoicingGate = { method: 'energy', thresholdDb: -60, minVoicedFrames: 20 };

/** One label's place in the stream. */
export interface LabelPoint {
  /** 1-based index of the second this label closes (the partial last second counts too). */
  readonly second: number;
  /** Sample (16 kHz) at which the label is due. */
  readonly endSample: number;
  /** Frames complete at endSample: the window is [frameEnd - frames, frameEnd). */
  readonly frameEnd: number;
  /** First frame completed after the previous label: this second's own frames are [frameStart, frameEnd). */
  readonly frameStart: number;
}

/** Label points of a finished signal of `samples` samples. */
export function labelPoints(samples: number, config: FeatureConfig = FEATURE_CONFIG): LabelPoint[] {
  const points: LabelPoint[] = [];
  const perSecond = config.sampleRate;
  let prevFrames = 0;
  let k = 1;
  for (; k * perSecond <= samples; k++) {
    const frameEnd = framesCompleteAt(k * perSecond, config);
    points.push({ second: k, endSample: k * perSecond, frameEnd, frameStart: prevFrames });
    prevFrames = frameEnd;
  }
  const finalPoint = finalLabelPoint(samples, k, prevFrames, config);
  if (finalPoint) points.push(finalPoint);
  return points;
}

/** The flush label at the end of a stream, if the partial last second completed any frame. */
export function finalLabelPoint(
  samples: number,
  second: number,
  prevFrames: number,
  config: FeatureConfig = FEATURE_CONFIG,
): LabelPoint | undefined {
  const frameEnd = framesCompleteAt(samples, config);
  if (frameEnd <= prevFrames || samples % config.sampleRate === 0) return undefined;
  return { second, endSample: samples, frameEnd, frameStart: prevFrames };
}

/** Whether the frames a label point adds contain speech, by the energy gate. */
export function isVoiced(history: FeatureHistory, point: LabelPoint, gate: VoicingGate, config: FeatureConfig = FEATURE_CONFIG): boolean {
  const ri = rmsIndex(config);
  const values = history.values;
  let voiced = 0;
  for (let f = Math.max(point.frameStart, history.start); f < point.frameEnd; f++) {
    if (values[history.rowOffset(f) + ri] > gate.thresholdDb && ++voiced >= gate.minVoicedFrames) return true;
  }
  return false;
}

/**
 * Writes one model input window: normalised frames [frameEnd - spec.frames, frameEnd) into
 * `features` (spec.frames x inputDim, starting at window `offset`) and 1/0 into `mask` for
 * real/padded frames. Padding is on the left and is zero in normalised space. With session
 * normalisation, `session` holds the session's moments at this label point; every frame of the
 * window is normalised with them.
 */
export function writeWindow(
  history: FeatureHistory,
  frameEnd: number,
  spec: WindowSpec,
  norm: Normalization,
  features: Float32Array,
  mask: Float32Array,
  offset: number,
  session?: SessionMoments,
): void {
  const dim = history.dim;
  const width = inputDim(norm, dim);
  if (norm.session && !session) throw new Error('writeWindow: session normalisation needs the session moments');
  const sessionAt = norm.session?.layout === 'both' ? dim : 0;
  const T = spec.frames;
  const base = offset * T * width;
  const maskBase = offset * T;
  const first = frameEnd - T;
  const values = history.values;
  for (let t = 0; t < T; t++) {
    const f = first + t;
    const o = base + t * width;
    if (f < 0 || f < history.start) {
      features.fill(0, o, o + width);
      mask[maskBase + t] = 0;
      continue;
    }
    const at = history.rowOffset(f);
    for (let d = 0; d < dim; d++) {
      const z = (values[at + d] - norm.mean[d]) / norm.std[d];
      if (session) features[o + sessionAt + d] = (Math.fround(z) - session.mean[d]) / session.std[d];
      if (!norm.session || sessionAt > 0) features[o + d] = z;
    }
    mask[maskBase + t] = 1;
  }
}

/**
 * Recycled model-input buffers (a window of 300 frames x 84 values is 100 KB): the live server
 * cuts one per voiced second per stream and the inference scheduler copies it into its batch, so
 * without reuse it allocates ~13 MB a second of buffers at 200 streams, which V8 frees only in
 * full (mark-compact) collections. `takeWindowBuffer` hands out a recycled buffer of the length
 * when there is one; `recycleWindowBuffer` takes one back once nothing reads it any more (the
 * scheduler, after the copy). A buffer nobody gives back is simply collected.
 */
const freeBuffers = new Map<number, Float32Array[]>();
/** Buffers kept per length: the windows in flight at once (a few batches' worth). */
const KEEP_PER_LENGTH = 64;

/** A buffer of `length` values, contents undefined (writeWindow overwrites every value). */
export function takeWindowBuffer(length: number): Float32Array {
  return freeBuffers.get(length)?.pop() ?? new Float32Array(length);
}

/** Gives a buffer from takeWindowBuffer back for reuse; the caller must not read or write it afterwards. */
export function recycleWindowBuffer(buffer: Float32Array): void {
  if (buffer.length === 0) return;
  let free = freeBuffers.get(buffer.length);
  if (!free) freeBuffers.set(buffer.length, (free = []));
  if (free.length < KEEP_PER_LENGTH) free.push(buffer);
}
