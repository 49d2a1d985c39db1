/**
 * Incremental feature extraction for live streams: push chunks of 16 kHz samples of any size and
 * get back only the frames they complete. It keeps just the samples the next frame still needs
 * (under one frame length), so the cost per push is proportional to the new audio.
 */
import { FEATURE_CONFIG } from './config.js';
import { FrameFeatureComputer } from './frame-features.js';
import type { FeatureMatrix } from './extract.js';

export class IncrementalExtractor {
  private pending: Float32Array;
  private pendingLength = 0;
  /** pushView's frames, reused (grown when a push completes more frames than ever before). */
  private out = new Float32Array(0);
  /** Frames emitted so far (the index of the next frame). */
  framesEmitted = 0;
  /** Samples pushed so far. */
  samplesSeen = 0;

  constructor(readonly computer: FrameFeatureComputer = FrameFeatureComputer.shared(FEATURE_CONFIG)) {
    this.pending = new Float32Array(computer.config.frameLength * 2);
  }

  get dim(): number {
    return this.computer.dim;
  }

  push(chunk: Float32Array): FeatureMatrix {
    const m = this.pushView(chunk);
    return { data: m.data.slice(), frames: m.frames, dim: m.dim };
  }

  /**
   * As push, but the frames are a view of the extractor's own buffer, overwritten by the next
   * call: for a caller that copies them on at once (StreamAnalyzer appends them to its history),
   * so a live stream's message costs no allocation here.
   */
  pushView(chunk: Float32Array): FeatureMatrix {
    const { frameLength, hopLength } = this.computer.config;
    this.samplesSeen += chunk.length;
    const available = this.pendingLength + chunk.length;
    const frames = available >= frameLength ? Math.floor((available - frameLength) / hopLength) + 1 : 0;
    if (available > this.pending.length) {
      const grown = new Float32Array(Math.max(available, this.pending.length * 2));
      grown.set(this.pending.subarray(0, this.pendingLength));
      this.pending = grown;
    }
    this.pending.set(chunk, this.pendingLength);
    this.pendingLength = available;
    if (this.out.length < frames * this.dim) this.out = new Float32Array(Math.max(frames * this.dim, 2 * this.out.length));
    const data = this.out.subarray(0, frames * this.dim);
    for (let f = 0; f < frames; f++) this.computer.compute(this.pending, f * hopLength, data, f * this.dim);
    if (frames > 0) {
      const consumed = frames * hopLength;
      this.pending.copyWithin(0, consumed, this.pendingLength);
      this.pendingLength -= consumed;
    }
    this.framesEmitted += frames;
    return { data, frames, dim: this.dim };
  }
}
