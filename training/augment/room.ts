/**
 * A simulated room and microphone: the clip convolved with a synthetic room impulse response,
 * then coloured by two shelving filters, at the clip's own speech level.
 *
 * Why: the seven corpora were recorded in seven rooms with seven microphone chains (studio booths,
 * an anechoic-sounding TESS, CREMA-D's noisy office), and a held-out corpus is where the model
 * fails (LOCO UAR ~0.29 against ~0.47 on new speakers of known corpora). Reverberation and
 * microphone colour are the channel differences a customer's calls add too; drawing them at random,
 * independently of the label, asks the model for features that survive them.
 *
 * The impulse response is the standard statistical model of a diffuse late field (Schroeder;
 * Lehmann & Johansson, 2008): a unit direct path, then Gaussian noise under an exponential envelope
 * that falls 60 dB in rt60S, scaled so that the direct-to-reverberant energy ratio is drrDb. No early
 * reflections are modelled. The convolution is done by FFT (the features' PFFFT, core/features/pffft.ts);
 * the output keeps the input's length (the tail past the clip's end is dropped, so the length says
 * nothing new) and is rescaled to the input's active-speech power (noise.ts), so the room changes
 * the sound, not the level. Shelves: low shelf at 250 Hz, high shelf at 4 kHz (RBJ, S = 1).
 */
import { filterCascade, shelf } from '../../core/audio/biquad.js';
import { PFFFT_BACKWARD, PFFFT_FORWARD, pffft, realPlan } from '../../core/features/pffft.js';
import { activePower } from './noise.js';
import { Rng } from './rng.js';

export interface RoomSpec {
  /** Time for the reverberant tail to fall 60 dB, seconds, in ROOM_RT60_LIMITS. */
  readonly rt60S: number;
  /** Direct-to-reverberant energy ratio of the impulse response, dB, in ROOM_DRR_LIMITS_DB. */
  readonly drrDb: number;
  /** Gain below 250 Hz and above 4 kHz, dB, each within ±ROOM_SHELF_LIMIT_DB. */
  readonly lowShelfDb: number;
  readonly highShelfDb: number;
}

export const ROOM_RT60_LIMITS: readonly [number, number] = [0.05, 2];
export const ROOM_DRR_LIMITS_DB: readonly [number, number] = [-10, 40];
export const ROOM_SHELF_LIMIT_DB = 15;
export const LOW_SHELF_HZ = 250;
export const HIGH_SHELF_HZ = 4000;

/** Throws a RangeError naming the first invalid field. */
export function checkRoom(room: RoomSpec): void {
  const within = (name: string, v: number, [lo, hi]: readonly [number, number], unit: string): void => {
    if (!(typeof v === 'number' && v >= lo && v <= hi)) throw new RangeError(`room.${name} must be in [${lo}, ${hi}] ${unit}, got ${String(v)}`);
  };
  within('rt60S', room.rt60S, ROOM_RT60_LIMITS, 's');
  within('drrDb', room.drrDb, ROOM_DRR_LIMITS_DB, 'dB');
  within('lowShelfDb', room.lowShelfDb, [-ROOM_SHELF_LIMIT_DB, ROOM_SHELF_LIMIT_DB], 'dB');
  within('highShelfDb', room.highShelfDb, [-ROOM_SHELF_LIMIT_DB, ROOM_SHELF_LIMIT_DB], 'dB');
}

/** ln(10^3): the exponent that makes an amplitude envelope fall 60 dB. */
const LN_1000 = Math.log(1000);

/**
 * The impulse response: 1 at lag 0, then Gaussian noise under exp(-ln(1000) n / (rt60 fs)),
 * lasting rt60S, scaled so sum(tail^2) = 10^(-drrDb/10).
 */
export function roomImpulse(room: RoomSpec, seed: number, sampleRate = 16000): Float32Array {
  checkRoom(room);
  const length = Math.max(2, Math.round(room.rt60S * sampleRate));
  const h = new Float32Array(length);
  const rng = new Rng(seed);
  const decay = LN_1000 / (room.rt60S * sampleRate);
  const tail = new Float64Array(length);
  let energy = 0;
  for (let n = 1; n < length; n++) {
    tail[n] = rng.normal(0, 1) * Math.exp(-decay * n);
    energy += tail[n] * tail[n];
  }
  const gain = Math.sqrt(10 ** (-room.drrDb / 10) / energy);
  h[0] = 1;
  for (let n = 1; n < length; n++) h[n] = tail[n] * gain;
  return h;
}

/** The first x.length samples of the linear convolution x * h, by FFT (float32, PFFFT's precision). */
export function convolve(x: Float32Array, h: Float32Array): Float32Array {
  if (x.length === 0) return new Float32Array(0);
  let size = 32;
  while (size < x.length + h.length - 1) size *= 2;
  const { setup, buffers } = realPlan(size, 4);
  const [a, b, ab, work] = buffers.map((i) => i * 4); // byte pointers
  const load = (at: number, v: Float32Array): void => {
    const heap = pffft.HEAPF32;
    heap.fill(0, at >> 2, (at >> 2) + size);
    heap.set(v, at >> 2);
  };
  load(a, x);
  pffft._pffft_transform(setup, a, a, work, PFFFT_FORWARD);
  load(b, h);
  pffft._pffft_transform(setup, b, b, work, PFFFT_FORWARD);
  pffft.HEAPF32.fill(0, ab >> 2, (ab >> 2) + size);
  // Spectra in PFFFT's internal order, multiplied there; the backward transform is unscaled.
  pffft._pffft_zconvolve_accumulate(setup, a, b, ab, 1 / size);
  pffft._pffft_transform(setup, ab, ab, work, PFFFT_BACKWARD);
  return pffft.HEAPF32.slice(ab >> 2, (ab >> 2) + x.length);
}

/** The clip in the room (a new array of the same length, at the input's active-speech power). */
export function applyRoom(samples: Float32Array, room: RoomSpec, seed: number, sampleRate = 16000): Float32Array {
  checkRoom(room);
  if (samples.length === 0) return new Float32Array(0);
  const wet = convolve(samples, roomImpulse(room, seed, sampleRate));
  const out = filterCascade([shelf('lowshelf', LOW_SHELF_HZ, room.lowShelfDb, sampleRate), shelf('highshelf', HIGH_SHELF_HZ, room.highShelfDb, sampleRate)], wet);
  const before = activePower(samples);
  const after = activePower(out);
  if (before > 0 && after > 0) {
    const g = Math.sqrt(before / after);
    for (let i = 0; i < out.length; i++) out[i] *= g;
  }
  return out;
}
