/**
 * The baseline engine (`--engine naive`), kept in the server so the load benchmark can compare
 * against it under the same load in the same run: what a straightforward implementation does.
 * Every second it recomputes the features of the whole model window from the raw samples (the
 * whole-signal extractor over the last window of audio), and it scores each session's window
 * on its own, one onnxruntime call of batch 1, with no batching across sessions.
 *
 * It cuts the same windows at the same points as StreamAnalyzer (same frames, same voicing gate,
 * same normalisation), so its labels equal the batched engine's; a test checks this on corpus
 * audio. Only the cost differs: ~3x the frames computed per second, and one call per window.
 */
import { performance } from 'node:perf_hooks';
import { FEATURE_CONFIG, type FeatureConfig, framesCompleteAt } from '../../core/features/config.js';
import { extractFeatures } from '../../core/features/extract.js';
import { FrameFeatureComputer } from '../../core/features/frame-features.js';
import { FeatureHistory } from '../../core/features/history.js';
import type { ModelMetadata } from '../../core/model/metadata.js';
import { SessionStats } from '../../core/model/session-stats.js';
import { type LabelPoint, finalLabelPoint, inputDim, isVoiced, writeWindow } from '../../core/model/window.js';
import type { DueWindow } from '../../core/stream-analyzer.js';
import type { Band } from '../../core/protocol/index.js';
import type { ServerMetrics } from '../process/metrics.js';
import type { InferenceModel } from '../inference/inference-model.js';
import type { WindowScores } from '../inference/scheduler.js';

/** Raw samples of one session; the last `keep` of them stay addressable by absolute index. */
class SampleBuffer {
  private data: Float32Array;
  /** Absolute index of data[0]. */
  private first = 0;
  private length = 0;

  constructor(private readonly keep: number) {
    this.data = new Float32Array(keep * 2);
  }

  get end(): number {
    return this.first + this.length;
  }

  append(chunk: Float32Array): void {
    if (this.length + chunk.length > this.data.length) {
      // Drop all but the newest `keep` samples (moved to the front), grow if a chunk is huge.
      const held = Math.min(this.length, this.keep);
      const drop = this.length - held;
      if (held + chunk.length > this.data.length) {
        const grown = new Float32Array((held + chunk.length) * 2);
        grown.set(this.data.subarray(drop, this.length));
        this.data = grown;
      } else this.data.copyWithin(0, drop, this.length);
      this.first += drop;
      this.length = held;
    }
    this.data.set(chunk, this.length);
    this.length += chunk.length;
  }

  /** Samples [from, to) (absolute); they must still be held. */
  range(from: number, to: number): Float32Array {
    if (from < this.first || to > this.end) throw new RangeError(`samples ${from}..${to} not held (have ${this.first}..${this.end})`);
    return this.data.subarray(from - this.first, to - this.first);
  }
}

export class NaiveAnalyzer {
  private readonly config: FeatureConfig;
  private readonly computer: FrameFeatureComputer;
  private readonly samples: SampleBuffer;
  /** Session normalisation: fed each recomputed frame once (the frames new since the last label). */
  private readonly stats: SessionStats | undefined;
  private nextSecond = 1;
  private lastFrameEnd = 0;
  private finished = false;

  constructor(private readonly metadata: Pick<ModelMetadata, 'window' | 'normalization' | 'voicing'>, config: FeatureConfig = FEATURE_CONFIG) {
    this.config = config;
    this.computer = FrameFeatureComputer.shared(config);
    // The window's samples plus one second: a chunk may carry the stream past the label point.
    this.samples = new SampleBuffer((metadata.window.frames - 1) * config.hopLength + config.frameLength + config.sampleRate);
    this.stats = SessionStats.forModel(metadata.normalization, metadata.voicing, config);
  }

  push(samples: Float32Array): DueWindow[] {
    if (this.finished) throw new Error('NaiveAnalyzer: push after finish');
    const due: DueWindow[] = [];
    const perSecond = this.config.sampleRate;
    let offset = 0;
    while (offset < samples.length) {
      const boundary = this.nextSecond * perSecond;
      const take = Math.min(samples.length - offset, boundary - this.samples.end);
      this.samples.append(samples.subarray(offset, offset + take));
      offset += take;
      if (this.samples.end === boundary) {
        const frameEnd = framesCompleteAt(boundary, this.config);
        due.push(this.cut({ second: this.nextSecond, endSample: boundary, frameEnd, frameStart: this.lastFrameEnd }));
      }
    }
    return due;
  }

  finish(): DueWindow[] {
    if (this.finished) return [];
    this.finished = true;
    const point = finalLabelPoint(this.samples.end, this.nextSecond, this.lastFrameEnd, this.config);
    return point ? [this.cut(point)] : [];
  }

  /** Recomputes the window's features from its samples, then gates and normalises as StreamAnalyzer does. */
  private cut(point: LabelPoint): DueWindow {
    this.nextSecond = point.second + 1;
    this.lastFrameEnd = point.frameEnd;
    const { frameLength, hopLength } = this.config;
    const T = this.metadata.window.frames;
    const firstFrame = Math.max(0, point.frameEnd - T);
    const frames = point.frameEnd - firstFrame;
    const audio = frames > 0 ? this.samples.range(firstFrame * hopLength, (point.frameEnd - 1) * hopLength + frameLength) : new Float32Array(0);
    const matrix = extractFeatures(audio, this.computer);
    // The recomputed frames, renumbered from 0: shift the label point the same way.
    const history = new FeatureHistory(matrix.dim, Infinity, Math.max(1, matrix.frames));
    history.append(matrix.data, matrix.frames);
    const local: LabelPoint = { ...point, frameEnd: point.frameEnd - firstFrame, frameStart: Math.max(0, point.frameStart - firstFrame) };
    this.stats?.addFrames(history, local.frameStart, local.frameEnd);
    const voiced = isVoiced(history, local, this.metadata.voicing, this.config);
    if (!voiced) return { point, voiced, features: new Float32Array(0), mask: new Float32Array(0) };
    const features = new Float32Array(T * inputDim(this.metadata.normalization, matrix.dim));
    const mask = new Float32Array(T);
    writeWindow(history, local.frameEnd, this.metadata.window, this.metadata.normalization, features, mask, 0, this.stats?.refresh());
    return { point, voiced, features, mask };
  }
}

/** One window, one onnxruntime call (batch 1), recorded in the same metrics as the scheduler's batches. */
export async function naiveScore(model: Pick<InferenceModel, 'score'>, due: DueWindow, metrics?: ServerMetrics, band: Band = 'wideband'): Promise<WindowScores> {
  const t0 = performance.now();
  const scores = await model.score(due.features, due.mask, 1);
  metrics?.inferenceDuration.observe({ band }, (performance.now() - t0) / 1000);
  metrics?.batchSize.observe({ band }, 1);
  return { scores, row: 0 };
}
