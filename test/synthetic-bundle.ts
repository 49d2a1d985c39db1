/**
 * Small synthetic feature bundles (the format training/dataset.ts writes and training/fit reads)
 * for tests of the fit itself: features chosen by the test, one voiced label window per clip at
 * its end, global normalisation of mean 0 and std 1 (the RMS feature at -20 dB, always voiced).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const LABELS = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'];
/** 40 MFCCs, ZCR, RMS: the last value of a frame is its RMS in dB, which the voicing gate reads. */
export const DIM = 42;
export const FRAMES = 120;

export interface SyntheticClip {
  readonly source: string;
  readonly corpus: string;
  readonly speaker: string;
  /** Index into LABELS. */
  readonly label: number;
  readonly part: 'train' | 'validation';
}

/**
 * Writes the bundle into `dir` and returns it. `feature(k, d)` gives feature d of every frame of
 * clip k (called once per frame, so it may draw noise); the RMS feature is always -20 dB.
 */
export function writeSyntheticBundle(dir: string, clips: readonly SyntheticClip[], feature: (clip: number, dim: number) => number): string {
  const features = new Float32Array(clips.length * FRAMES * DIM);
  for (let k = 0; k < clips.length; k++) {
    for (let f = 0; f < FRAMES; f++) {
      for (let d = 0; d < DIM; d++) features[(k * FRAMES + f) * DIM + d] = d === DIM - 1 ? -20 : feature(k, d);
    }
  }
  const index = clips.map((c, k) => ({ id: k, ...c, augment: null, offset: k * FRAMES, frames: FRAMES, ends: [FRAMES], voiced: [true] }));
  const mean = Array.from({ length: DIM }, (_, d) => (d === DIM - 1 ? -20 : 0));
  const std = Array.from({ length: DIM }, () => 1);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'features.f32'), Buffer.from(features.buffer));
  writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({ dim: DIM, windowFrames: FRAMES, labels: LABELS, voicing: { thresholdDb: -50 }, normalization: { mean, std }, clips: index }),
  );
  return dir;
}
