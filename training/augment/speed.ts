/**
 * Speed perturbation (as in Kaldi's 0.9/1.0/1.1 recipe): the audio is played back s times as fast,
 * so duration scales by 1/s and every frequency (pitch and formants) by s.
 *
 * Implemented with core's polyphase resampler and nothing else: the 16 kHz input is treated as if
 * it had been recorded at round(16000 * s) Hz and resampled to 16 kHz. The factor actually applied
 * is therefore round(16000 * s) / 16000 (at most 1/32000 off, i.e. 0.015 Hz at 500 Hz);
 * effectiveSpeed() reports it.
 */
import { MODEL_SAMPLE_RATE, resampleAll } from '../../core/audio/resample.js';

/** Accepted speed factors (core's resampler takes 4-192 kHz input; augmentation stays far inside). */
export const MIN_SPEED = 0.5;
export const MAX_SPEED = 2;

export function checkSpeed(factor: number): void {
  if (!Number.isFinite(factor) || factor < MIN_SPEED || factor > MAX_SPEED) {
    throw new RangeError(`speed factor must be in [${MIN_SPEED}, ${MAX_SPEED}], got ${factor}`);
  }
}

/** The rate the input is pretended to have been recorded at. */
export function speedInputRate(factor: number, sampleRate = MODEL_SAMPLE_RATE): number {
  return Math.round(sampleRate * factor);
}

/** The speed factor that is really applied after rounding the pretended rate to whole Hz. */
export function effectiveSpeed(factor: number, sampleRate = MODEL_SAMPLE_RATE): number {
  return speedInputRate(factor, sampleRate) / sampleRate;
}

/**
 * Changes speed by `factor` (> 1 faster, shorter and higher; < 1 slower, longer and lower).
 * Output length is ceil(length / effectiveSpeed). Always returns a new array.
 */
export function changeSpeed(samples: Float32Array, factor: number, sampleRate = MODEL_SAMPLE_RATE): Float32Array {
  checkSpeed(factor);
  const inRate = speedInputRate(factor, sampleRate);
  if (inRate === sampleRate) return Float32Array.from(samples);
  return resampleAll(samples, inRate, sampleRate);
}
