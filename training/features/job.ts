/**
 * One unit of feature work: decode a corpus file, optionally augment it, run core's feature
 * extractor. The only place training turns audio into features, and it calls core, the same code
 * the server runs.
 */
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import { extractFeatures } from '../../core/features/extract.js';
import { FrameFeatureComputer } from '../../core/features/frame-features.js';
import { applyAugment, type AugmentSpec } from '../augment/index.js';
import { trimSilence } from './trim.js';

export interface FeatureJob {
  readonly file: string;
  readonly augment: AugmentSpec | null;
}

export interface FeatureJobResult {
  readonly samples: number;
  readonly frames: number;
  readonly dim: number;
  readonly data: Float32Array;
}

const computer = new FrameFeatureComputer();

export async function runFeatureJob(job: FeatureJob): Promise<FeatureJobResult> {
  // Trimmed before augmentation: the copies then carry no padding either (noise is not added to it).
  let audio: Float32Array = trimSilence(await decodeAudioFile(job.file));
  if (job.augment) audio = applyAugment(audio, job.augment);
  const m = extractFeatures(audio, computer);
  return { samples: audio.length, frames: m.frames, dim: m.dim, data: m.data };
}
