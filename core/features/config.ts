/**
 * The feature configuration: every number that changes what a feature vector means. A model
 * records the hash of the config it was trained with; serving refuses a model whose hash differs
 * from this code's (see core/model/metadata.ts), which is how training/serving skew is caught.
 */
import { createHash } from 'node:crypto';
import { MODEL_SAMPLE_RATE } from '../audio/resample.js';

/**
 * Per-frame values after the MFCCs. rms_db stays last: the training side (training/fit/bundle.py)
 * reads the voicing level from the last column.
 */
export type FrameExtra = 'zcr' | 'pitch_st' | 'periodicity' | 'rms_db';

export interface FeatureConfig {
  /** Bump when the computation changes in a way the numbers below do not describe. */
  readonly version: number;
  readonly sampleRate: number;
  /** Samples per analysis frame (25 ms). */
  readonly frameLength: number;
  /** Samples between frame starts (10 ms). */
  readonly hopLength: number;
  readonly fftSize: number;
  readonly window: 'hann-periodic';
  readonly melBands: number;
  readonly fMin: number;
  readonly fMax: number;
  readonly melScale: 'htk';
  /** Floor applied to mel energies before the natural log. */
  readonly logFloor: number;
  /** MFCC coefficients kept from the orthonormal DCT-II of the log-mel energies. */
  readonly mfccCount: number;
  /**
   * Per-frame extras appended after the MFCCs, in this order: zero-crossing rate; pitch in
   * semitones from 150 Hz faded to 0 where the frame is not periodic, and the periodicity itself
   * (pitch.ts); RMS in dBFS.
   */
  readonly extras: readonly FrameExtra[];
  /** Floor of the frame RMS in dBFS (digital silence maps here instead of -Infinity). */
  readonly rmsFloorDb: number;
}

export const FEATURE_CONFIG: FeatureConfig = Object.freeze({
  version: 2,
  sampleRate: MODEL_SAMPLE_RATE,
  frameLength: 400,
  hopLength: 160,
  fftSize: 512,
  window: 'hann-periodic',
  melBands: 40,
  fMin: 0,
  fMax: 8000,
  melScale: 'htk',
  logFloor: 1e-10,
  mfccCount: 40,
  extras: Object.freeze(['zcr', 'pitch_st', 'periodicity', 'rms_db'] as const),
  rmsFloorDb: -100,
});

/** Values per frame: MFCCs then the extras. */
export function featureDim(config: FeatureConfig = FEATURE_CONFIG): number {
  return config.mfccCount + config.extras.length;
}

/** Index of the RMS (dBFS) value within a frame, used by the voicing gate. */
export function rmsIndex(config: FeatureConfig = FEATURE_CONFIG): number {
  return config.mfccCount + config.extras.indexOf('rms_db');
}

/** Stable hash of a config: keys sorted, so property order never changes it. */
export function featureConfigHash(config: FeatureConfig = FEATURE_CONFIG): string {
  const canonical = JSON.stringify(config, Object.keys(config).sort());
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** Frames whose last sample lies within the first `samples` samples. */
export function framesCompleteAt(samples: number, config: FeatureConfig = FEATURE_CONFIG): number {
  if (samples < config.frameLength) return 0;
  return Math.floor((samples - config.frameLength) / config.hopLength) + 1;
}
