/**
 * Whole-signal feature extraction: every complete frame of a 16 kHz signal, row-major
 * (frames x dim). Training, evaluation and `undertone predict` use this; the live server uses
 * IncrementalExtractor, which must give the same rows (a property test checks it).
 */
import { FEATURE_CONFIG, type FeatureConfig, framesCompleteAt } from './config.js';
import { FrameFeatureComputer } from './frame-features.js';

export interface FeatureMatrix {
  /** frames x dim values, row-major. */
  readonly data: Float32Array;
  readonly frames: number;
  readonly dim: number;
}

export function extractFeatures(
  samples: Float32Array,
  computer: FrameFeatureComputer = FrameFeatureComputer.shared(FEATURE_CONFIG),
): FeatureMatrix {
  const config: FeatureConfig = computer.config;
  const frames = framesCompleteAt(samples.length, config);
  const data = new Float32Array(frames * computer.dim);
  for (let f = 0; f < frames; f++) computer.compute(samples, f * config.hopLength, data, f * computer.dim);
  return { data, frames, dim: computer.dim };
}
