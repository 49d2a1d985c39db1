/**
 * A loaded model as the server scores with it: core's EmotionModel on the event-loop thread, or a
 * ModelThread (--inference-thread, inference-thread.ts) running one on a worker thread. The
 * scheduler and the naive engine need only `score` and the window shape; the server also reads
 * the metadata and releases the model at drain.
 */
import type { ModelMetadata } from '../../core/model/metadata.js';

export interface InferenceModel {
  readonly metadata: ModelMetadata;
  readonly windowFrames: number;
  readonly dim: number;
  /** count x labels probabilities for count windows laid out back to back. */
  score(features: Float32Array, mask: Float32Array, count: number): Promise<Float32Array>;
  release(): Promise<void>;
}
