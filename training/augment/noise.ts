/**
 * Additive noise at a target SNR, measured against the signal's active-speech power.
 *
 * Active power: the signal is cut into 20 ms frames. A frame is "active" when its mean power is
 *  - within ACTIVE_RANGE_DB (40 dB) of the loud reference, the 95th-percentile frame power (a
 *    percentile, so one click cannot set it), and
 *  - at least FLOOR_MARGIN_DB (6 dB) above the recording's noise floor, the 5th-percentile frame
 *    power (so the hiss between words of a noisy recording, e.g. CREMA-D's -50 dBFS floor, is not
 *    counted as speech; on a clip with no pauses this drops only its quietest speech frames; this
 *    bound is capped at 6 dB below the reference, so a steady signal such as a tone is wholly
 *    active), and
 *  - above -100 dBFS (digital silence never counts).
 * The signal power is the mean over the active frames, so leading and trailing silence does not
 * lower the speech level (which would make the added noise too quiet by 10*log10(total/active)
 * dB, 3.5-4 dB on RAVDESS clips). The noise is then scaled so that its mean power over the whole
 * signal is exactly activePower / 10^(snrDb/10).
 */
import { Rng } from './rng.js';

export type NoiseKind = 'white' | 'pink';
export const NOISE_KINDS: readonly NoiseKind[] = ['white', 'pink'];

/** 20 ms at 16 kHz. */
export const ACTIVE_FRAME = 320;
/** Frames more than this far below the loud reference count as silence. */
export const ACTIVE_RANGE_DB = 40;
/** Frames less than this far above the noise floor count as silence. */
export const FLOOR_MARGIN_DB = 6;
/** Absolute floor on the activity threshold (-100 dBFS mean power): digital silence is never active. */
const ABSOLUTE_FLOOR = 1e-10;

/** Mean power of each whole ACTIVE_FRAME-sample frame (a final partial frame counts if >= half a frame). */
export function framePowers(samples: Float32Array, frame = ACTIVE_FRAME): Float64Array {
  const full = Math.floor(samples.length / frame);
  const rest = samples.length - full * frame;
  const count = full + (rest * 2 >= frame ? 1 : 0);
  const out = new Float64Array(count);
  for (let f = 0; f < count; f++) {
    const start = f * frame;
    const end = Math.min(samples.length, start + frame);
    let sum = 0;
    for (let i = start; i < end; i++) sum += samples[i] * samples[i];
    out[f] = sum / (end - start);
  }
  return out;
}

/** Which frames count as active speech (see the module comment). */
export function activeFrameMask(powers: Float64Array): Uint8Array {
  const mask = new Uint8Array(powers.length);
  if (powers.length === 0) return mask;
  const sorted = Float64Array.from(powers).sort();
  const quantile = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const threshold = Math.max(
    ABSOLUTE_FLOOR,
    quantile(0.95) * 10 ** (-ACTIVE_RANGE_DB / 10),
    // Never more than FLOOR_MARGIN_DB below the reference: a steady signal is wholly active.
    Math.min(quantile(0.05), quantile(0.95) * 10 ** (-2 * FLOOR_MARGIN_DB / 10)) * 10 ** (FLOOR_MARGIN_DB / 10),
  );
  for (let f = 0; f < powers.length; f++) mask[f] = powers[f] >= threshold ? 1 : 0;
  return mask;
}

/**
 * Mean power of the active frames; 0 for silence (no active frame) or empty input. Falls back to
 * the plain mean power for signals shorter than half a frame.
 */
export function activePower(samples: Float32Array): number {
  if (samples.length === 0) return 0;
  const powers = framePowers(samples);
  if (powers.length === 0) {
    let sum = 0;
    for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
    return sum / samples.length;
  }
  const mask = activeFrameMask(powers);
  let sum = 0;
  let n = 0;
  for (let f = 0; f < powers.length; f++) {
    if (mask[f]) {
      sum += powers[f];
      n++;
    }
  }
  return n === 0 ? 0 : sum / n;
}

/** Zero-mean, unit-variance Gaussian white noise. */
export function whiteNoise(length: number, rng: Rng): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.normal();
  return out;
}

/** Pink noise is high-passed here (2nd-order Butterworth), see pinkNoise. */
export const PINK_HIGHPASS_HZ = 40;

/**
 * Pink (1/f power, -3 dB per octave) noise: Gaussian white noise through Paul Kellet's refined
 * pinking filter (seven one-pole sections, within about 0.05 dB of 1/f over the audio band), then
 * a 2nd-order Butterworth high-pass at PINK_HIGHPASS_HZ, then normalised to zero mean and unit
 * variance. Without the high-pass, 1/f down to the filter's lowest pole (about 3 Hz at 16 kHz)
 * puts over a third of the noise power in the inaudible octaves below 60 Hz: the audible SNR would
 * be about 2 dB better than asked, and that slow rumble makes the noise level over a second of
 * speech wander by over half a dB from its whole-clip level. A warm-up is run and discarded so the
 * filters are settled at sample 0.
 */
export function pinkNoise(length: number, rng: Rng, sampleRate = 16000): Float32Array {
  const out = new Float32Array(length);
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
  // RBJ cookbook high-pass biquad, Q = 1/sqrt(2) (Butterworth).
  const w0 = (2 * Math.PI * PINK_HIGHPASS_HZ) / sampleRate;
  const alpha = Math.sin(w0) / (2 * Math.SQRT1_2);
  const cos = Math.cos(w0);
  const a0 = 1 + alpha;
  const hb0 = (1 + cos) / 2 / a0, hb1 = -(1 + cos) / a0, hb2 = hb0, ha1 = (-2 * cos) / a0, ha2 = (1 - alpha) / a0;
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  const warmup = 8192;
  for (let i = -warmup; i < length; i++) {
    const w = rng.normal();
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856;
    b4 = 0.55 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.016898;
    const pink = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
    b6 = w * 0.115926;
    const y = hb0 * pink + hb1 * x1 + hb2 * x2 - ha1 * y1 - ha2 * y2;
    x2 = x1;
    x1 = pink;
    y2 = y1;
    y1 = y;
    if (i >= 0) out[i] = y;
  }
  normalise(out);
  return out;
}

function normalise(x: Float32Array): void {
  if (x.length === 0) return;
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i];
  mean /= x.length;
  let power = 0;
  for (let i = 0; i < x.length; i++) power += (x[i] - mean) ** 2;
  power /= x.length;
  const scale = power > 0 ? 1 / Math.sqrt(power) : 0;
  for (let i = 0; i < x.length; i++) x[i] = (x[i] - mean) * scale;
}

export function makeNoise(kind: NoiseKind, length: number, rng: Rng): Float32Array {
  switch (kind) {
    case 'white':
      return whiteNoise(length, rng);
    case 'pink':
      return pinkNoise(length, rng);
    default:
      throw new RangeError(`unknown noise kind ${String(kind)}`);
  }
}

/**
 * Returns samples + noise with 10*log10(activePower(samples) / meanPower(noise)) = snrDb exactly
 * (before any clipping, which applyAugment does afterwards). A signal with no active frames
 * (silence) is returned unchanged as a copy: there is no level to set the noise against.
 */
export function addNoise(samples: Float32Array, snrDb: number, kind: NoiseKind, seed: number): Float32Array {
  if (!Number.isFinite(snrDb)) throw new RangeError(`snrDb must be finite, got ${snrDb}`);
  const out = Float32Array.from(samples);
  const signal = activePower(samples);
  if (!(signal > 0) || samples.length === 0) return out;
  const noise = makeNoise(kind, samples.length, new Rng(seed));
  let noisePower = 0;
  for (let i = 0; i < noise.length; i++) noisePower += noise[i] * noise[i];
  noisePower /= noise.length;
  if (!(noisePower > 0)) return out;
  const gain = Math.sqrt(signal / 10 ** (snrDb / 10) / noisePower);
  for (let i = 0; i < out.length; i++) out[i] += gain * noise[i];
  return out;
}
