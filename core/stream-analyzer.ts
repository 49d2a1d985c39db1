/**
 * Turns a stream of 16 kHz samples into the model windows due for labelling: incremental features,
 * a bounded feature history, the per-second label schedule and the voicing gate. The live server
 * runs one per session; `undertone predict` and evaluation run one per file (one push, then
 * finish()). Sharing this class is what makes the server's labels equal predict's.
 */
import { FEATURE_CONFIG, type FeatureConfig } from './features/config.js';
import { FrameFeatureComputer } from './features/frame-features.js';
import { IncrementalExtractor } from './features/incremental.js';
import { FeatureHistory } from './features/history.js';
import {
  type LabelPoint,
  type Normalization,
  type VoicingGate,
  type WindowSpec,
  finalLabelPoint,
  inputDim,
  isVoiced,
  takeWindowBuffer,
  writeWindow,
} from './model/window.js';
import { SessionStats } from './model/session-stats.js';

export interface AnalyzerSettings {
  readonly window: WindowSpec;
  readonly normalization: Normalization;
  readonly voicing: VoicingGate;
}

/** A label that is due: its place, whether it is speech, and (if speech) its model input. */
export interface DueWindow {
  readonly point: LabelPoint;
  readonly voiced: boolean;
  /**
   * window.frames x input dim normalised features; empty when unvoiced (no inference needed). The
   * buffers may be recycled (core/model/window.ts) once the window is scored: read them only
   * until then.
   */
  readonly features: Float32Array;
  /** window.frames values, 1 for real frames and 0 for padding; empty when unvoiced. */
  readonly mask: Float32Array;
}

export class StreamAnalyzer {
  private readonly extractor: IncrementalExtractor;
  private readonly history: FeatureHistory;
  private readonly config: FeatureConfig;
  /** Running statistics of the session's voiced frames, when the model is session-normalised. */
  private readonly stats: SessionStats | undefined;
  private samples = 0;
  private nextSecond = 1;
  private lastFrameEnd = 0;
  private finished = false;

  constructor(readonly settings: AnalyzerSettings, computer: FrameFeatureComputer = FrameFeatureComputer.shared(FEATURE_CONFIG)) {
    this.config = computer.config;
    this.extractor = new IncrementalExtractor(computer);
    // The window plus one second of frames: enough for the window of the label being cut.
    this.history = new FeatureHistory(computer.dim, settings.window.frames + this.config.sampleRate / this.config.hopLength + 4);
    this.stats = SessionStats.forModel(settings.normalization, settings.voicing, this.config);
  }

  /** Samples pushed so far. */
  get sampleCount(): number {
    return this.samples;
  }

  /** Labels cut so far. */
  get labelCount(): number {
    return this.nextSecond - 1;
  }

  /** Pushes samples; returns the windows of every whole second they complete, in order. */
  push(samples: Float32Array): DueWindow[] {
    if (this.finished) throw new Error('StreamAnalyzer: push after finish');
    const due: DueWindow[] = [];
    const perSecond = this.config.sampleRate;
    let offset = 0;
    while (offset < samples.length) {
      // Feed up to the next whole second, so the window is cut while its frames are still held.
      const boundary = this.nextSecond * perSecond;
      const take = Math.min(samples.length - offset, boundary - this.samples);
      this.feed(take === samples.length ? samples : samples.subarray(offset, offset + take));
      offset += take;
      if (this.samples === boundary) {
        const frameEnd = this.history.end;
        due.push(this.cut({ second: this.nextSecond, endSample: boundary, frameEnd, frameStart: this.lastFrameEnd }));
      }
    }
    return due;
  }

  /** Ends the stream: the window of the partial last second, if it completed any frame. */
  finish(): DueWindow[] {
    if (this.finished) return [];
    this.finished = true;
    const point = finalLabelPoint(this.samples, this.nextSecond, this.lastFrameEnd, this.config);
    return point ? [this.cut(point)] : [];
  }

  private feed(chunk: Float32Array): void {
    if (chunk.length === 0) return;
    const frames = this.extractor.pushView(chunk);
    const before = this.history.end;
    this.history.append(frames.data, frames.frames);
    this.stats?.addFrames(this.history, before, this.history.end);
    this.samples += chunk.length;
  }

  private cut(point: LabelPoint): DueWindow {
    this.nextSecond = point.second + 1;
    this.lastFrameEnd = point.frameEnd;
    const voiced = isVoiced(this.history, point, this.settings.voicing, this.config);
    if (!voiced) return { point, voiced, features: new Float32Array(0), mask: new Float32Array(0) };
    const { window, normalization } = this.settings;
    // Recycled buffers (the scheduler gives them back after copying them into its batch).
    const features = takeWindowBuffer(window.frames * inputDim(normalization, this.history.dim));
    const mask = takeWindowBuffer(window.frames);
    writeWindow(this.history, point.frameEnd, window, normalization, features, mask, 0, this.stats?.refresh());
    return { point, voiced, features, mask };
  }
}
