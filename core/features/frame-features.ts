/**
 * Features of one analysis frame: MFCC from a Hann-windowed 512-point FFT (PFFFT, power-spectrum.ts), HTK mel filterbank,
 * natural log and orthonormal DCT-II; then the config's extras: zero-crossing rate, pitch and periodicity
 * (pitch.ts, from the same power spectrum) and RMS in dBFS.
 *
 * Every buffer is allocated once in the constructor: a live server computes 100 frames per second
 * per stream, and per-frame garbage (meyda makes ~50 KB a frame) shows up as GC pauses in label
 * latency. This is the only place the feature math lives; the whole-file and incremental
 * extractors both call compute().
 */
import { PowerSpectrum } from './power-spectrum.js';
import { FEATURE_CONFIG, type FeatureConfig, featureDim } from './config.js';
import { PitchEstimator, type PitchFrame, pitchFeature } from './pitch.js';

function hzToMel(hz: number): number {
  return 2595 * Math.log10(1 + hz / 700);
}
function melToHz(mel: number): number {
  return 700 * (10 ** (mel / 2595) - 1);
}

/** Triangular HTK mel filters over the FFT bins, as sparse [firstBin, weights] rows. */
export function melFilterbank(config: FeatureConfig): { start: number; weights: Float64Array }[] {
  const bins = config.fftSize / 2 + 1;
  const binHz = (k: number) => (k * config.sampleRate) / config.fftSize;
  const mMin = hzToMel(config.fMin);
  const mMax = hzToMel(config.fMax);
  const edges: number[] = [];
  for (let i = 0; i < config.melBands + 2; i++) edges.push(melToHz(mMin + ((mMax - mMin) * i) / (config.melBands + 1)));
  const filters: { start: number; weights: Float64Array }[] = [];
  for (let m = 0; m < config.melBands; m++) {
    const [lo, mid, hi] = [edges[m], edges[m + 1], edges[m + 2]];
    const w: number[] = [];
    let start = -1;
    for (let k = 0; k < bins; k++) {
      const f = binHz(k);
      const v = f <= lo || f >= hi ? 0 : f <= mid ? (f - lo) / (mid - lo) : (hi - f) / (hi - mid);
      if (v > 0) {
        if (start < 0) start = k;
        w[k - start] = v;
      } else if (start >= 0 && w.length > 0) break;
    }
    filters.push({ start: Math.max(start, 0), weights: Float64Array.from(w, (x) => x ?? 0) });
  }
  return filters;
}

/** Orthonormal DCT-II matrix, rows = coefficients. */
export function dctMatrix(n: number, keep: number): Float64Array {
  const m = new Float64Array(keep * n);
  for (let k = 0; k < keep; k++) {
    const scale = k === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n);
    for (let i = 0; i < n; i++) m[k * n + i] = scale * Math.cos((Math.PI * k * (i + 0.5)) / n);
  }
  return m;
}

/** One computer per config, shared by every stream of the process (see FrameFeatureComputer.shared). */
const sharedComputers = new WeakMap<FeatureConfig, FrameFeatureComputer>();

export class FrameFeatureComputer {
  /**
   * The process's computer for `config`. compute() runs to completion synchronously and keeps no
   * state between frames, so one instance serves every session: its tables (window, mel weights,
   * DCT: 20 KB) stay in the CPU caches instead of one copy per session (200 sessions = 4 MB,
   * beyond L2) being fetched for every frame.
   */
  static shared(config: FeatureConfig = FEATURE_CONFIG): FrameFeatureComputer {
    let computer = sharedComputers.get(config);
    if (!computer) sharedComputers.set(config, (computer = new FrameFeatureComputer(config)));
    return computer;
  }

  readonly dim: number;
  private readonly spectrum: PowerSpectrum;
  private readonly window: Float64Array;
  private readonly power: Float64Array;
  private readonly logMel: Float64Array;
  /** The mel filters flattened: filter m weighs bins [melStart[m], melEnd[m]) with the next melEnd[m] - melStart[m] values of melWeights. */
  private readonly melStart: Int32Array;
  private readonly melEnd: Int32Array;
  private readonly melWeights: Float64Array;
  /**
   * The DCT by its symmetry: row k is symmetric about the middle for even k and antisymmetric for
   * odd k, so c_k = sum over the first half of dctHalf[k][i] * (x_i +/- x_{n-1-i}) (+ the middle
   * column for odd n): half the multiplications. `folded` holds the sums then the differences.
   */
  private readonly dctHalf: Float64Array;
  private readonly dctMiddle: Float64Array;
  private readonly folded: Float64Array;
  /** Output offsets of the extras within a frame (-1: not in this config). */
  private readonly zcrAt: number;
  private readonly pitchAt: number;
  private readonly periodicityAt: number;
  private readonly rmsAt: number;
  private readonly pitch: PitchEstimator | undefined;
  private readonly acf: Float64Array;
  private readonly pitchFrame: PitchFrame = { f0: 0, periodicity: 0 };

  constructor(readonly config: FeatureConfig = FEATURE_CONFIG) {
    this.dim = featureDim(config);
    this.spectrum = new PowerSpectrum(config.fftSize);
    this.window = new Float64Array(config.frameLength);
    for (let i = 0; i < config.frameLength; i++) this.window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / config.frameLength);
    this.power = new Float64Array(config.fftSize / 2 + 1);
    this.logMel = new Float64Array(config.melBands);
    const filters = melFilterbank(config);
    this.melStart = Int32Array.from(filters, (f) => f.start);
    this.melEnd = Int32Array.from(filters, (f) => f.start + f.weights.length);
    this.melWeights = new Float64Array(filters.reduce((n, f) => n + f.weights.length, 0));
    filters.reduce((at, f) => (this.melWeights.set(f.weights, at), at + f.weights.length), 0);
    const dct = dctMatrix(config.melBands, config.mfccCount);
    const n = config.melBands;
    const half = n >> 1;
    this.dctHalf = new Float64Array(config.mfccCount * half);
    this.dctMiddle = new Float64Array(config.mfccCount);
    for (let k = 0; k < config.mfccCount; k++) {
      for (let i = 0; i < half; i++) this.dctHalf[k * half + i] = dct[k * n + i];
      if (n % 2 === 1) this.dctMiddle[k] = dct[k * n + half];
    }
    this.folded = new Float64Array(2 * half);
    const at = (extra: FeatureConfig['extras'][number]) => (config.extras.includes(extra) ? config.mfccCount + config.extras.indexOf(extra) : -1);
    this.zcrAt = at('zcr');
    this.pitchAt = at('pitch_st');
    this.periodicityAt = at('periodicity');
    this.rmsAt = at('rms_db');
    if (this.pitchAt >= 0 || this.periodicityAt >= 0) {
      // The window's autocorrelation through the same transform as every frame's.
      const heap = this.spectrum.heap;
      heap.fill(0, this.spectrum.inputAt, this.spectrum.inputAt + config.fftSize);
      heap.set(this.window, this.spectrum.inputAt);
      this.spectrum.into(this.power);
      const lags = (config.frameLength >> 1) + 2;
      const windowAcf = new Float64Array(lags);
      this.spectrum.autocorrelationInto(this.power, windowAcf);
      this.pitch = new PitchEstimator(config, windowAcf);
      this.acf = new Float64Array(this.pitch.requiredLags);
    } else {
      this.acf = new Float64Array(0);
    }
  }

  /**
   * Computes the features of samples[offset .. offset + frameLength) into out[outOffset ..
   * outOffset + dim). The caller guarantees the samples exist.
   */
  compute(samples: Float32Array, offset: number, out: Float32Array, outOffset: number): void {
    const { frameLength, melBands, logFloor, rmsFloorDb } = this.config;
    const { spectrum, window, power } = this;
    // The windowed frame goes straight into the FFT's input, zero-padded to fftSize.
    const heap = spectrum.heap;
    const at = spectrum.inputAt;
    let sumSq = 0;
    let crossings = 0;
    let prev = samples[offset];
    for (let i = 0; i < frameLength; i++) {
      const x = samples[offset + i];
      sumSq += x * x;
      if ((x >= 0) !== (prev >= 0)) crossings++;
      prev = x;
      heap[at + i] = x * window[i];
    }
    heap.fill(0, at + frameLength, at + spectrum.size);
    spectrum.into(power);
    const { melStart, melEnd, melWeights, logMel } = this;
    for (let m = 0, w = 0; m < melBands; m++) {
      let e = 0;
      for (let k = melStart[m]; k < melEnd[m]; k++) e += melWeights[w++] * power[k];
      logMel[m] = Math.log(e > logFloor ? e : logFloor);
    }
    this.dctInto(out, outOffset);
    if (this.zcrAt >= 0) out[outOffset + this.zcrAt] = crossings / (frameLength - 1);
    if (this.pitch) {
      spectrum.autocorrelationInto(power, this.acf);
      const p = this.pitch.estimate(this.acf, this.pitchFrame);
      if (this.pitchAt >= 0) out[outOffset + this.pitchAt] = pitchFeature(p);
      if (this.periodicityAt >= 0) out[outOffset + this.periodicityAt] = p.periodicity;
    }
    if (this.rmsAt >= 0) {
      const rms = Math.sqrt(sumSq / frameLength);
      const db = rms > 0 ? 20 * Math.log10(rms) : rmsFloorDb;
      out[outOffset + this.rmsAt] = db > rmsFloorDb ? db : rmsFloorDb;
    }
  }

  /**
   * MFCC k = row k of the DCT matrix . log-mel, folded by the rows' symmetry (see dctHalf) and
   * four rows at a time: one sum per row is a chain of dependent additions (latency-bound, 2.2 us
   * of a frame's 8 before); four independent chains of half the length fill the pipeline.
   */
  private dctInto(out: Float32Array, outOffset: number): void {
    const { melBands: n, mfccCount } = this.config;
    const { dctHalf, dctMiddle, folded, logMel } = this;
    const half = n >> 1;
    for (let i = 0; i < half; i++) {
      const a = logMel[i];
      const b = logMel[n - 1 - i];
      folded[i] = a + b;
      folded[half + i] = a - b;
    }
    // The middle log-mel of an odd count enters even rows only (odd rows are 0 there).
    const middle = n % 2 === 1 ? logMel[half] : 0;
    let k = 0;
    for (; k + 4 <= mfccCount; k += 4) {
      // k is a multiple of 4: rows k, k + 2 are even (sums), k + 1, k + 3 odd (differences).
      const r0 = k * half;
      const r1 = r0 + half;
      const r2 = r1 + half;
      const r3 = r2 + half;
      let c0 = middle * dctMiddle[k];
      let c1 = 0;
      let c2 = middle * dctMiddle[k + 2];
      let c3 = 0;
      for (let i = 0; i < half; i++) {
        const sum = folded[i];
        const diff = folded[half + i];
        c0 += dctHalf[r0 + i] * sum;
        c1 += dctHalf[r1 + i] * diff;
        c2 += dctHalf[r2 + i] * sum;
        c3 += dctHalf[r3 + i] * diff;
      }
      out[outOffset + k] = c0;
      out[outOffset + k + 1] = c1;
      out[outOffset + k + 2] = c2;
      out[outOffset + k + 3] = c3;
    }
    for (; k < mfccCount; k++) {
      const odd = k % 2 === 1;
      let c = odd ? 0 : middle * dctMiddle[k];
      for (let i = 0, row = k * half; i < half; i++) c += dctHalf[row + i] * folded[odd ? half + i : i];
      out[outOffset + k] = c;
    }
  }
}
