/**
 * The emotion CNN on onnxruntime-node: loaded once, checked against its metadata, warmed with a
 * dummy batch so the first real label does not pay for graph initialisation, then scored in
 * batches of windows.
 */
import * as ort from 'onnxruntime-node';
import { featureDim } from '../features/config.js';
import type { Label } from '../labels.js';
import { type ModelMetadata, ModelLoadError, readModelFiles } from './metadata.js';
import { inputDim } from './window.js';

export interface EmotionModelOptions {
  /** onnxruntime intra-op threads (1 per process keeps the event loop's core free). */
  readonly threads?: number;
}

export class EmotionModel {
  readonly labels: readonly Label[];
  readonly windowFrames: number;
  readonly dim: number;

  private constructor(
    readonly metadata: ModelMetadata,
    private readonly session: ort.InferenceSession,
    readonly dir: string,
  ) {
    this.labels = metadata.labels;
    this.windowFrames = metadata.window.frames;
    // Values per frame of the model input (features, or features twice with both normalisations).
    this.dim = inputDim(metadata.normalization, featureDim(metadata.featureConfig));
  }

  static async load(dir: string, options: EmotionModelOptions = {}): Promise<EmotionModel> {
    const { metadata, onnxBytes } = await readModelFiles(dir);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(onnxBytes, {
        intraOpNumThreads: options.threads ?? 1,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
    } catch (e) {
      throw new ModelLoadError(`onnxruntime cannot load ${metadata.onnx.file}: ${(e as Error).message}`, dir);
    }
    const model = new EmotionModel(metadata, session, dir);
    try {
      // Warm-up doubles as a check that the graph's shapes match the metadata.
      const scores = await model.score(new Float32Array(model.windowFrames * model.dim), new Float32Array(model.windowFrames).fill(1), 1);
      if (scores.length !== model.labels.length || !scores.every(Number.isFinite)) throw new Error(`expected ${model.labels.length} finite scores, got ${scores.length}`);
    } catch (e) {
      throw new ModelLoadError(`warm-up inference failed: ${(e as Error).message}`, dir);
    }
    return model;
  }

  /**
   * Scores `count` windows laid out back to back in `features` (count x frames x dim) and `mask`
   * (count x frames). Returns count x labels probabilities, row-major.
   */
  async score(features: Float32Array, mask: Float32Array, count: number): Promise<Float32Array> {
    const T = this.windowFrames;
    const feeds = {
      features: new ort.Tensor('float32', features.subarray(0, count * T * this.dim), [count, T, this.dim]),
      mask: new ort.Tensor('float32', mask.subarray(0, count * T), [count, T]),
    };
    const out = await this.session.run(feeds);
    return out.scores.data as Float32Array;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
