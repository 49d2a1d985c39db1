/** Train/serve parity check shared by the shipped-model test and the tiny training test. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { decodeAudioFile } from '../core/audio/decode-file.js';
import { EmotionModel } from '../core/model/emotion-model.js';
import { labelPoints } from '../core/model/window.js';
import { predictSamples } from '../core/predict.js';
import { TRIM_ID, trimSilence } from '../training/features/trim.js';

export interface ParityFile {
  labels: string[];
  /** How training prepared the corpus clip before features (training/features/trim.ts); absent = as decoded. */
  prepare?: string;
  windows: { source: string; frameEnd: number; scores: number[] }[];
}

/** Largest |PyTorch - onnxruntime| over every window of a model dir's parity.json. */
export async function parityError(modelDir: string, corpora: string): Promise<{ maxDiff: number; windows: number }> {
  const parity = JSON.parse(readFileSync(path.join(modelDir, 'parity.json'), 'utf8')) as ParityFile;
  const model = await EmotionModel.load(modelDir);
  expect(parity.labels).toEqual(model.labels);
  if (parity.prepare !== undefined) expect(parity.prepare, 'corpus preparation this build can reproduce').toBe(TRIM_ID);
  let maxDiff = 0;
  let windows = 0;
  for (const source of new Set(parity.windows.map((w) => w.source))) {
    const decoded = await decodeAudioFile(path.join(corpora, source));
    const samples = parity.prepare ? trimSilence(decoded) : decoded;
    const points = labelPoints(samples.length);
    const prediction = await predictSamples(model, samples);
    for (const w of parity.windows.filter((x) => x.source === source)) {
      const i = points.findIndex((p) => p.frameEnd === w.frameEnd);
      expect(i, `label point ending at frame ${w.frameEnd} of ${source}`).toBeGreaterThanOrEqual(0);
      const entry = prediction.timeline[i];
      expect(entry.voiced, `${source} second ${entry.second} voiced`).toBe(true);
      model.labels.forEach((l, j) => {
        maxDiff = Math.max(maxDiff, Math.abs(entry.scores![l]! - w.scores[j]));
      });
      windows++;
    }
  }
  await model.release();
  return { maxDiff, windows };
}

