/**
 * One PFFFT (Pommier's SIMD FFT, compiled to WASM with SIMD: @echogarden/pffft-wasm) per process,
 * and its real-transform plans: the frame power spectrum of the features (power-spectrum.ts) and
 * the room convolution of the training augmentation (training/augment/room.ts) share them.
 *
 * The WASM module is instantiated once (top-level await: importers need not know). A plan is one
 * PFFFT setup and `buffers` aligned buffers of `size` floats in the WASM heap, made on first use
 * and kept for the process: a transform runs to completion synchronously, so one plan serves
 * every caller of that size, and nothing needs freeing.
 */
import createPffft from '@echogarden/pffft-wasm/simd';

export const PFFFT_FORWARD = 0;
export const PFFFT_BACKWARD = 1;
const PFFFT_REAL = 0;

export const pffft = await createPffft();

export interface RealPlan {
  readonly size: number;
  readonly setup: number;
  /** Float32 indices into HEAPF32 of the plan's buffers (byte pointer = index * 4). */
  readonly buffers: readonly number[];
}

const plans = new Map<string, RealPlan>();

/** The plan for real transforms of `size` points with `buffers` work buffers of that size. */
export function realPlan(size: number, buffers: number): RealPlan {
  const key = `${size}/${buffers}`;
  let p = plans.get(key);
  if (p) return p;
  // PFFFT asserts (aborting the module) on other sizes: refuse them here.
  if (!Number.isInteger(size) || size < 32 || size % 32 !== 0) throw new RangeError(`FFT size must be a positive multiple of 32, got ${size}`);
  const setup = pffft._pffft_new_setup(size, PFFFT_REAL);
  if (setup === 0) throw new RangeError(`PFFFT cannot transform ${size} points`);
  p = { size, setup, buffers: Array.from({ length: buffers }, () => pffft._pffft_aligned_malloc(size * 4) >> 2) };
  plans.set(key, p);
  return p;
}
