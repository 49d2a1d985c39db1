/** Inference throughput of the shipped model at given batch sizes, in one thread (onnxruntime, 1 intra-op thread as the server runs it). */
import { performance } from 'node:perf_hooks';
import type { EmotionModel } from '../../core/model/emotion-model.js';

export interface BatchTiming {
  readonly batch: number;
  readonly msPerCall: number;
  readonly usPerWindow: number;
  readonly windowsPerSecond: number;
}

/** Times `model.score` on real-shaped input for each batch size: a few warm-up calls, then ~`windows` windows' worth of calls. */
export async function timeBatches(model: EmotionModel, batches: readonly number[], windows = 400, input?: Float32Array): Promise<BatchTiming[]> {
  const T = model.windowFrames;
  const D = model.dim;
  const out: BatchTiming[] = [];
  for (const batch of batches) {
    const f = new Float32Array(batch * T * D);
    // Real normalised windows when given (repeated to fill the batch), else unit noise.
    for (let i = 0; i < f.length; i++) f[i] = input ? input[i % input.length] : Math.random() * 2 - 1;
    const m = new Float32Array(batch * T).fill(1);
    for (let i = 0; i < 3; i++) await model.score(f, m, batch);
    const reps = Math.max(5, Math.round(windows / batch));
    const t = performance.now();
    for (let i = 0; i < reps; i++) await model.score(f, m, batch);
    const msPerCall = (performance.now() - t) / reps;
    out.push({ batch, msPerCall, usPerWindow: (msPerCall * 1000) / batch, windowsPerSecond: (1000 * batch) / msPerCall });
  }
  return out;
}
