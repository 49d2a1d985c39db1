/**
 * Power spectrum of one real frame by PFFFT (Pommier's SIMD FFT, compiled to WASM with SIMD:
 * @echogarden/pffft-wasm): 1.6 us for a 512-point frame including the copies in and out, against
 * 3.4 us for fft.js's realTransform and the power loop (docs/decisions.md). Its precision is
 * float32, the features' own (they are stored as float32).
 *
 * All spectra of one size share one PFFFT plan (pffft.ts: one setup and input/output/work buffers
 * in the WASM heap): a transform runs to completion synchronously, so sharing is safe, and a
 * session's computer owns nothing that would need freeing.
 */
import { PFFFT_BACKWARD, PFFFT_FORWARD, pffft, realPlan } from './pffft.js';

interface Plan {
  readonly setup: number;
  /** Float32 indices into HEAPF32 of the input, output and work buffers. */
  readonly input: number;
  readonly output: number;
  readonly work: number;
}

function plan(size: number): Plan {
  const { setup, buffers: [input, output, work] } = realPlan(size, 3);
  return { setup, input, output, work };
}

export class PowerSpectrum {
  private readonly plan: Plan;

  constructor(readonly size: number) {
    this.plan = plan(size);
  }

  /**
   * The input frame: write `size` values at [inputAt, inputAt + size) of this array, then call
   * `into`. (The heap view is replaced when WASM memory grows, so take it anew for every frame.)
   */
  get heap(): Float32Array {
    return pffft.HEAPF32;
  }

  get inputAt(): number {
    return this.plan.input;
  }

  /** |X[k]|^2 of the frame written at inputAt, for k = 0 .. size/2, into power. */
  into(power: Float64Array): void {
    const { setup, input, output, work } = this.plan;
    pffft._pffft_transform_ordered(setup, input * 4, output * 4, work * 4, PFFFT_FORWARD);
    const heap = pffft.HEAPF32;
    const half = this.size / 2;
    // Ordered real output: X[0].re, X[size/2].re, then X[k].re, X[k].im for k = 1 .. size/2 - 1.
    const dc = heap[output];
    const nyquist = heap[output + 1];
    power[0] = dc * dc;
    power[half] = nyquist * nyquist;
    for (let k = 1, o = output + 2; k < half; k++, o += 2) {
      const a = heap[o];
      const b = heap[o + 1];
      power[k] = a * a + b * b;
    }
  }

  /**
   * The circular autocorrelation of the last frame, from its power spectrum (the inverse transform
   * of |X|^2, unnormalised: lag 0 is size times the frame's energy), lags 0 .. out.length - 1.
   * Uses the plan's buffers, so call it after `into` and before the next frame is written.
   */
  autocorrelationInto(power: Float64Array, out: Float64Array): void {
    const { setup, input, output, work } = this.plan;
    const heap = pffft.HEAPF32;
    const half = this.size / 2;
    heap[input] = power[0];
    heap[input + 1] = power[half];
    for (let k = 1, i = input + 2; k < half; k++, i += 2) {
      heap[i] = power[k];
      heap[i + 1] = 0;
    }
    pffft._pffft_transform_ordered(setup, input * 4, output * 4, work * 4, PFFFT_BACKWARD);
    const lags = Math.min(out.length, this.size);
    for (let lag = 0; lag < lags; lag++) out[lag] = heap[output + lag];
  }
}
