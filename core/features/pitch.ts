/**
 * Pitch (F0) and periodicity of one analysis frame, from the power spectrum the MFCCs already
 * computed: one inverse FFT gives the autocorrelation of the Hann-windowed frame, and dividing it
 * by the window's own autocorrelation gives the signal's (Boersma 1993, "Accurate short-term
 * analysis of the fundamental frequency and the harmonics-to-noise ratio of a sampled sound",
 * the method of Praat's pitch analysis). The best peak in the lag range, with Praat's octave cost,
 * is the F0 candidate; its height is the periodicity (1 for a pure periodic frame, ~0 for noise).
 *
 * Why: MFCCs of 40 mel bands hardly resolve the harmonics below 500 Hz, so a 1-D CNN over them
 * sees pitch level and movement only vaguely, while pitch is the cue of arousal that carries best
 * across speakers and languages (with per-session normalisation it becomes the speaker's pitch
 * relative to their own). One extra 512-point inverse FFT and a scan of ~170 lags per frame.
 *
 * Stateless (one frame in, two numbers out), so the whole-file and incremental extractors agree
 * by construction.
 */
import type { FeatureConfig } from './config.js';

/** Lowest and highest F0 searched. With a 25 ms frame, lags beyond half the frame rest on too little overlap. */
export const PITCH_MIN_HZ = 80;
export const PITCH_MAX_HZ = 500;
/**
 * Octave cost: a candidate one octave lower must be this much stronger to win. Praat uses 0.01 with
 * a window of three periods; dividing by the Hann window's autocorrelation over our 25 ms frame
 * overstates far lags, so 0.05 (on 14 corpus clips against a 40 ms time-domain tracker, pitch.test.ts:
 * 94.0 % of frames within 5 %, against 92.8 % at 0.01 and 93.8 % at 0.1).
 */
const OCTAVE_COST = 0.05;
/** Pitch feature in semitones relative to this (a mid voice), so gating towards 0 is gating towards the middle. */
const REFERENCE_HZ = 150;
/**
 * Periodicity below VOICING_FLOOR counts as unvoiced (pitch feature 0); between it and
 * VOICING_FULL the pitch fades in linearly. A ramp, not a threshold, so that a frame near the
 * boundary moves the feature a little when the audio changes a little (16-bit rounding, codecs).
 */
const VOICING_FLOOR = 0.3;
const VOICING_FULL = 0.6;

export interface PitchFrame {
  /** F0 in Hz of the best candidate (0 when there is none). */
  f0: number;
  /** Height of the normalised autocorrelation at that candidate, in [0, 1]. */
  periodicity: number;
}

export class PitchEstimator {
  readonly minLag: number;
  readonly maxLag: number;
  /**
   * 1 / (r_w(lag) / r_w(0)): the reciprocal of the window's normalised autocorrelation, computed the
   * same way as the frame's (same FFT size). Reciprocals so that the scan multiplies: it runs for
   * ~170 lags of every frame of every stream.
   */
  private readonly inverseWindowAcf: Float64Array;

  /**
   * @param windowAutocorrelation r_w(lag) of the analysis window for lags 0 .. maxLag + 1, from the
   *   same inverse transform the frames go through (so the division cancels its circular aliasing).
   */
  constructor(
    readonly config: Pick<FeatureConfig, 'sampleRate' | 'frameLength'>,
    windowAutocorrelation: Float64Array,
  ) {
    this.minLag = Math.floor(config.sampleRate / PITCH_MAX_HZ);
    this.maxLag = Math.min(Math.ceil(config.sampleRate / PITCH_MIN_HZ), config.frameLength >> 1);
    // estimate() reads one lag past maxLag (the right neighbour of the last peak candidate).
    if (windowAutocorrelation.length < this.requiredLags) throw new RangeError(`window autocorrelation needs ${this.requiredLags} lags`);
    this.inverseWindowAcf = new Float64Array(this.requiredLags);
    for (let lag = 0; lag < this.requiredLags; lag++) this.inverseWindowAcf[lag] = windowAutocorrelation[0] / windowAutocorrelation[lag];
  }

  /** Lags the caller must provide to estimate(): 0 .. requiredLags - 1. */
  get requiredLags(): number {
    return this.maxLag + 2;
  }

  /**
   * The F0 candidate of a frame from the autocorrelation of its windowed samples (lags 0 ..
   * requiredLags - 1, any scale). Writes into `into` and returns it.
   */
  estimate(acf: Float64Array, into: PitchFrame): PitchFrame {
    into.f0 = 0;
    into.periodicity = 0;
    const r0 = acf[0];
    if (!(r0 > 0)) return into;
    const { minLag, maxLag, inverseWindowAcf: w } = this;
    const sr = this.config.sampleRate;
    const inverseR0 = 1 / r0;
    let bestStrength = Number.NEGATIVE_INFINITY;
    // The normalised value (acf / r0 / window's) at lag - 1, lag and lag + 1, slid along.
    let prev = acf[minLag - 1] * inverseR0 * w[minLag - 1];
    let cur = acf[minLag] * inverseR0 * w[minLag];
    for (let lag = minLag; lag <= maxLag; lag++) {
      const next = acf[lag + 1] * inverseR0 * w[lag + 1];
      if (cur > 0 && cur >= prev && cur >= next) {
        // Parabolic interpolation of the peak's position and height.
        const denom = prev - 2 * cur + next;
        const shift = denom < 0 ? (0.5 * (prev - next)) / denom : 0;
        const height = Math.min(1, cur - 0.25 * (prev - next) * shift);
        const exactLag = lag + shift;
        const strength = height - OCTAVE_COST * Math.log2((PITCH_MIN_HZ * exactLag) / sr);
        if (strength > bestStrength) {
          bestStrength = strength;
          into.f0 = sr / exactLag;
          into.periodicity = height;
        }
      }
      prev = cur;
      cur = next;
    }
    return into;
  }
}

/** The pitch feature: semitones from REFERENCE_HZ, faded to 0 as periodicity falls to VOICING_FLOOR. */
export function pitchFeature(frame: PitchFrame): number {
  if (frame.f0 <= 0) return 0;
  const gate = Math.min(1, Math.max(0, (frame.periodicity - VOICING_FLOOR) / (VOICING_FULL - VOICING_FLOOR)));
  return gate === 0 ? 0 : gate * 12 * Math.log2(frame.f0 / REFERENCE_HZ);
}
