/**
 * Streaming rational-ratio resampler (polyphase windowed sinc, Kaiser window) to the model rate.
 *
 * Why our own and not libsamplerate-js: measured in bench/resample, libsamplerate's WASM sinc
 * converters run 27-104x real time on 48 kHz input, which would cost more CPU per live stream
 * than everything else in the pipeline together; this polyphase filter precomputes one tap set
 * per output phase and runs several hundred times real time. libsamplerate stays in the tests as
 * the reference our output is compared with.
 *
 * The output is exactly independent of how the input is chunked (each output sample is the same
 * sum over the same taps in the same order), which is what makes a live stream give the same
 * features as the whole file. The filter is zero-phase: output sample n sits at input time
 * n * inRate / outRate, so it looks `lookahead` input samples into the future; flush() pads the
 * end with zeros to emit the tail.
 */
import { AudioInputError } from '../errors.js';
import { concatFloat32 } from './concat.js';

export const MODEL_SAMPLE_RATE = 16000;

export interface ResamplerOptions {
  /** Zero crossings of the sinc on each side: more means a sharper cutoff and more work. */
  zeroCrossings?: number;
  /** Cutoff as a fraction of the lower Nyquist frequency. */
  rolloff?: number;
  /** Kaiser window beta (8.6 is about 80 dB of stopband attenuation). */
  kaiserBeta?: number;
}

export const MIN_INPUT_RATE = 4000;
export const MAX_INPUT_RATE = 192000;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (power series), for the Kaiser window. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

export class StreamingResampler {
  /** Output samples per `down` input samples: outRate / inRate = up / down. */
  readonly up: number;
  readonly down: number;
  /** Input samples needed after an output's position before it can be computed. */
  readonly lookahead: number;
  private readonly taps: number;
  /** taps * up coefficients; phase p's taps start at p * taps. */
  private readonly coefficients: Float32Array;
  private buffer: Float32Array;
  /** Absolute input index of buffer[0] (negative at the start: the implicit zeros before t=0). */
  private bufferStart: number;
  private bufferLength: number;
  /** Absolute input samples received. */
  private inputCount = 0;
  /** Absolute index of the next output sample. */
  private nextOutput = 0;
  private flushed = false;

  constructor(readonly inRate: number, readonly outRate: number = MODEL_SAMPLE_RATE, options: ResamplerOptions = {}) {
    for (const [name, rate] of [['input', inRate], ['output', outRate]] as const) {
      if (!Number.isInteger(rate) || rate < MIN_INPUT_RATE || rate > MAX_INPUT_RATE) {
        throw new AudioInputError(`unsupported ${name} sample rate ${rate} (expected an integer from ${MIN_INPUT_RATE} to ${MAX_INPUT_RATE} Hz)`);
      }
    }
    const g = gcd(inRate, outRate);
    this.up = outRate / g;
    this.down = inRate / g;
    const zeroCrossings = options.zeroCrossings ?? 12;
    const rolloff = options.rolloff ?? 0.92;
    const beta = options.kaiserBeta ?? 8.6;
    // Cutoff in cycles per input sample (0.5 = input Nyquist).
    const cutoff = (rolloff * 0.5 * Math.min(inRate, outRate)) / inRate;
    const halfWidth = zeroCrossings / (2 * cutoff); // in input samples
    const d = this.isIdentity ? 0 : Math.ceil(halfWidth);
    this.lookahead = d;
    this.taps = 2 * d;
    this.coefficients = new Float32Array(this.taps * this.up);
    const i0Beta = besselI0(beta);
    for (let p = 0; p < this.up; p++) {
      // Output at input time base + p/up uses inputs base + k - d + 1 for k in [0, taps).
      let sum = 0;
      const row = new Float64Array(this.taps);
      for (let k = 0; k < this.taps; k++) {
        const tau = p / this.up - (k - d + 1); // distance from output time to the input sample
        if (Math.abs(tau) >= halfWidth) continue;
        const x = 2 * cutoff * tau;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const r = tau / halfWidth;
        const w = besselI0(beta * Math.sqrt(1 - r * r)) / i0Beta;
        row[k] = sinc * w;
        sum += row[k];
      }
      // Unit DC gain for every phase, so a constant stays constant.
      for (let k = 0; k < this.taps; k++) this.coefficients[p * this.taps + k] = row[k] / sum;
    }
    this.bufferStart = -d;
    this.bufferLength = d; // d implicit zeros before the first input sample
    this.buffer = new Float32Array(Math.max(1024, d * 4));
  }

  get isIdentity(): boolean {
    return this.inRate === this.outRate;
  }

  /**
   * Resamples `input`, returning every output sample that is now computable. At the identity rate
   * that is `input` itself (no copy: the live path passes each message's samples straight on).
   */
  push(input: Float32Array): Float32Array {
    if (this.flushed) throw new Error('StreamingResampler: push after flush');
    if (this.isIdentity) {
      this.inputCount += input.length;
      return input;
    }
    this.append(input);
    this.inputCount += input.length;
    return this.produce(Infinity);
  }

  /** Emits the tail (the outputs that needed input past the end), then refuses further input. */
  flush(): Float32Array {
    if (this.flushed || this.isIdentity) {
      this.flushed = true;
      return new Float32Array(0);
    }
    this.flushed = true;
    const realCount = this.inputCount;
    this.append(new Float32Array(this.lookahead + 1));
    this.inputCount += this.lookahead + 1;
    // Outputs whose time lies inside the real input: n * down / up < realCount.
    const limit = Math.ceil((realCount * this.up) / this.down);
    return this.produce(limit);
  }

  private append(input: Float32Array): void {
    const needed = this.bufferLength + input.length;
    if (needed > this.buffer.length) {
      const grown = new Float32Array(Math.max(needed, this.buffer.length * 2));
      grown.set(this.buffer.subarray(0, this.bufferLength));
      this.buffer = grown;
    }
    this.buffer.set(input, this.bufferLength);
    this.bufferLength += input.length;
  }

  private produce(limit: number): Float32Array {
    const { up, down, taps, coefficients, lookahead } = this;
    // Output n needs inputs up to floor(n*down/up) + lookahead.
    const lastInput = this.inputCount - 1;
    let count = Math.floor(((lastInput - lookahead + 1) * up - 1) / down) + 1 - this.nextOutput;
    if (this.nextOutput + count > limit) count = limit - this.nextOutput;
    if (count <= 0) return new Float32Array(0);
    const out = new Float32Array(count);
    const buf = this.buffer;
    let n = this.nextOutput;
    // The dot product in four interleaved sums: one running sum is a chain of dependent additions
    // (latency-bound: 28 taps at 8 kHz in, 80 at 48 kHz, for every output sample); four
    // independent chains keep the pipeline full. Each output is still the same sums over the same
    // taps in the same order whatever the chunking.
    const quads = taps - (taps % 4);
    for (let i = 0; i < count; i++, n++) {
      const num = n * down;
      const base = Math.floor(num / up);
      const phase = num - base * up;
      const c0 = phase * taps;
      const b0 = base - lookahead + 1 - this.bufferStart;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let k = 0;
      for (; k < quads; k += 4) {
        a0 += coefficients[c0 + k] * buf[b0 + k];
        a1 += coefficients[c0 + k + 1] * buf[b0 + k + 1];
        a2 += coefficients[c0 + k + 2] * buf[b0 + k + 2];
        a3 += coefficients[c0 + k + 3] * buf[b0 + k + 3];
      }
      for (; k < taps; k++) a0 += coefficients[c0 + k] * buf[b0 + k];
      out[i] = a0 + a1 + (a2 + a3);
    }
    this.nextOutput = n;
    // Drop input no future output can reach.
    const nextBase = Math.floor((n * down) / up);
    const keepFrom = nextBase - lookahead + 1 - this.bufferStart;
    if (keepFrom > 0) {
      this.buffer.copyWithin(0, keepFrom, this.bufferLength);
      this.bufferLength -= keepFrom;
      this.bufferStart += keepFrom;
    }
    return out;
  }
}

/** Resamples a whole signal through the same streaming path live audio takes. */
export function resampleAll(input: Float32Array, inRate: number, outRate: number = MODEL_SAMPLE_RATE): Float32Array {
  if (inRate === outRate) return input;
  const r = new StreamingResampler(inRate, outRate);
  return concatFloat32([r.push(input), r.flush()]);
}
