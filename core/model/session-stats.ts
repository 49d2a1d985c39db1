/**
 * Per-session running normalisation: statistics of the globally normalised features z over the
 * voiced frames a session has produced so far, shrunk towards the global prior (mean 0, variance
 * 1) by `priorFrames` pseudo-frames. A live session hears one speaker (one Twilio track, one
 * microphone) for minutes, so these statistics come to describe that speaker and channel, and the
 * session-normalised input says how this second differs from them. Causal and O(new frames): each
 * frame is added once, when it is computed. training/fit/normalise.py holds the same formulas.
 *
 *   m = sum(z) / (n0 + n),   v = (n0 + sum(z^2)) / (n0 + n) - m^2,   s = sqrt(max(v, VAR_FLOOR))
 */
import { FEATURE_CONFIG, type FeatureConfig, rmsIndex } from '../features/config.js';
import type { FeatureHistory } from '../features/history.js';
import type { Normalization, SessionNormalization, VoicingGate } from './window.js';

export const SESSION_VAR_FLOOR = 1e-4;

export class SessionStats {
  private readonly sum: Float64Array;
  private readonly sumSq: Float64Array;
  private count = 0;
  /** Session mean and std of z as of the last call to refresh(). */
  readonly mean: Float64Array;
  readonly std: Float64Array;

  constructor(
    private readonly norm: Normalization & { readonly session: SessionNormalization },
    private readonly gateDb: number,
    private readonly rmsIndex: number,
  ) {
    const dim = norm.mean.length;
    this.sum = new Float64Array(dim);
    this.sumSq = new Float64Array(dim);
    this.mean = new Float64Array(dim);
    this.std = new Float64Array(dim).fill(1);
  }

  /** The statistics a model's normalisation asks for, gated by its voicing threshold; undefined without session normalisation. */
  static forModel(normalization: Normalization, voicing: VoicingGate, config: FeatureConfig = FEATURE_CONFIG): SessionStats | undefined {
    const { session } = normalization;
    return session ? new SessionStats({ ...normalization, session }, voicing.thresholdDb, rmsIndex(config)) : undefined;
  }

  /** Voiced frames counted so far. */
  get frames(): number {
    return this.count;
  }

  /** Adds frames [from, to) of the history whose RMS passes the voicing threshold. */
  addFrames(history: FeatureHistory, from: number, to: number): void {
    const { mean, std } = this.norm;
    const values = history.values;
    for (let f = Math.max(from, history.start); f < to; f++) {
      const at = history.rowOffset(f);
      if (!(values[at + this.rmsIndex] > this.gateDb)) continue;
      for (let d = 0; d < this.sum.length; d++) {
        // Rounded to float32 as the model input's z is (and as fit.py sums it).
        const z = Math.fround((values[at + d] - mean[d]) / std[d]);
        this.sum[d] += z;
        this.sumSq[d] += z * z;
      }
      this.count++;
    }
  }

  /** Recomputes mean and std from the frames added so far. */
  refresh(): this {
    const total = this.norm.session.priorFrames + this.count;
    for (let d = 0; d < this.sum.length; d++) {
      const m = this.sum[d] / total;
      const v = (this.norm.session.priorFrames + this.sumSq[d]) / total - m * m;
      this.mean[d] = m;
      this.std[d] = Math.sqrt(Math.max(v, SESSION_VAR_FLOOR));
    }
    return this;
  }
}
