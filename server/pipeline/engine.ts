/**
 * How a session turns audio into scored windows: an engine makes each session's analyzer and
 * scores the voiced windows it cuts. The server runs one engine for all its sessions, chosen by
 * `--engine` (UNDERTONE_ENGINE):
 *   - `batched` (default): incremental features (StreamAnalyzer) and cross-session batched
 *     inference (InferenceScheduler);
 *   - `naive`: the baseline the load benchmark compares against (naive-engine.ts).
 * Both give the same labels; they differ only in what they cost per stream.
 */
import type { EngineName } from '../process/config.js';
import type { ModelMetadata } from '../../core/model/metadata.js';
import { analyzerFor } from '../../core/predict.js';
import type { DueWindow } from '../../core/stream-analyzer.js';
import type { Band } from '../../core/protocol/index.js';
import type { ServerMetrics } from '../process/metrics.js';
import { NaiveAnalyzer, naiveScore } from './naive-engine.js';
import type { InferenceModel } from '../inference/inference-model.js';
import type { InferenceScheduler, WindowScores } from '../inference/scheduler.js';

export { ENGINE_NAMES, type EngineName } from '../process/config.js';

/** A session's audio -> due windows (StreamAnalyzer is one). */
export interface WindowAnalyzer {
  /** Pushes 16 kHz mono samples; returns the windows of every whole second they complete. */
  push(samples: Float32Array): DueWindow[];
  /** End of stream: the window of the partial last second, if any. */
  finish(): DueWindow[];
}

export interface LabelEngine {
  readonly name: EngineName;
  /** A new session's analyzer. */
  createAnalyzer(): WindowAnalyzer;
  /** Scores one voiced window. */
  score(due: DueWindow): Promise<WindowScores>;
}

export interface EngineParts {
  readonly metadata: ModelMetadata;
  readonly model: InferenceModel;
  readonly scheduler: InferenceScheduler;
  readonly metrics: ServerMetrics;
  /** The model's band (its metrics' label). */
  readonly band?: Band;
}

export function createEngine(name: EngineName, parts: EngineParts): LabelEngine {
  const { metadata, model, scheduler, metrics, band } = parts;
  switch (name) {
    case 'batched':
      return {
        name,
        createAnalyzer: () => analyzerFor(metadata),
        score: (due) => scheduler.submit(due.features, due.mask),
      };
    case 'naive':
      return {
        name,
        createAnalyzer: () => new NaiveAnalyzer(metadata),
        score: (due) => naiveScore(model, due, metrics, band),
      };
  }
}
