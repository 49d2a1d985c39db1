/**
 * Silence padding: quiet audio added before and after a clip, at a floor drawn independently of
 * the clip's label.
 *
 * Why: training clips are trimmed of their silence (training/features/trim.ts) so that no model
 * can read ASED's per-emotion padding, but then the model never hears the quiet stretches every
 * live stream and recorded call has, and it reacts to how they are represented (digital zeros,
 * 16-bit dither, a hiss at -80 dBFS): rounding a file to 16 bits moved the trimmed-clip model's
 * scores by up to 0.043. Padding of a random length and floor, drawn from a stream that never
 * sees the label, teaches that invariance without giving the length back: every class gets the
 * same distribution of padding.
 *
 * The floors stay below the voicing gate (DEFAULT_VOICING, -60 dBFS), so padded frames are never
 * voiced and no training window ends in them: the padding reaches the model through the context
 * of windows and the session statistics, as silence does in a stream.
 */
import { Rng } from './rng.js';

export type PadFloorKind = 'zero' | 'dither' | 'hiss';
export const PAD_FLOOR_KINDS: readonly PadFloorKind[] = ['zero', 'dither', 'hiss'];

/** Loudest hiss allowed (dBFS RMS): 10 dB under the voicing gate, so padded frames stay unvoiced. */
export const PAD_HISS_MAX_DB = -70;
/** Longest padding on either side, seconds. */
export const PAD_MAX_S = 2;

export interface PadSpec {
  /** Seconds of padding before and after the clip, each in [0, PAD_MAX_S]. */
  readonly beforeS: number;
  readonly afterS: number;
  /**
   * zero: digital silence; dither: 16-bit triangular dither (±1 LSB, about -101 dBFS), the floor
   * of a 16-bit recording of silence; hiss: white Gaussian noise at hissDb dBFS RMS.
   */
  readonly floor: PadFloorKind;
  /** RMS level of the hiss floor in dBFS (at most PAD_HISS_MAX_DB); only with floor 'hiss'. */
  readonly hissDb?: number;
}

/** Throws a RangeError naming the first invalid field. */
export function checkPad(pad: PadSpec): void {
  for (const [name, s] of [['beforeS', pad.beforeS], ['afterS', pad.afterS]] as const) {
    if (!(s >= 0 && s <= PAD_MAX_S)) throw new RangeError(`pad.${name} must be in [0, ${PAD_MAX_S}] seconds, got ${s}`);
  }
  if (!PAD_FLOOR_KINDS.includes(pad.floor)) throw new RangeError(`pad.floor must be one of ${PAD_FLOOR_KINDS.join(', ')}, got ${String(pad.floor)}`);
  if (pad.floor === 'hiss') {
    if (!(typeof pad.hissDb === 'number' && pad.hissDb <= PAD_HISS_MAX_DB && pad.hissDb >= -140)) {
      throw new RangeError(`pad.hissDb must be in [-140, ${PAD_HISS_MAX_DB}] dBFS with floor hiss, got ${String(pad.hissDb)}`);
    }
  } else if (pad.hissDb !== undefined) throw new RangeError(`pad.hissDb only goes with floor hiss, got floor ${pad.floor}`);
}

const LSB = 1 / 32768;

/** One sample of 16-bit triangular dither: over (-1, 1) LSB, the difference of two uniforms, as 16-bit converters dither. */
export function ditherSample(rng: Rng): number {
  return (rng.next() - rng.next()) * LSB;
}

/** Fills out with the floor's samples. */
function fillFloor(out: Float32Array, pad: PadSpec, rng: Rng): void {
  if (pad.floor === 'zero') return;
  if (pad.floor === 'dither') {
    for (let i = 0; i < out.length; i++) out[i] = ditherSample(rng);
    return;
  }
  const rms = 10 ** ((pad.hissDb as number) / 20);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal(0, rms);
}

/** The clip with padding before and after it (a new array); random floors come from seed. */
export function padSilence(samples: Float32Array, pad: PadSpec, seed: number, sampleRate = 16000): Float32Array {
  checkPad(pad);
  const before = Math.round(pad.beforeS * sampleRate);
  const after = Math.round(pad.afterS * sampleRate);
  const out = new Float32Array(before + samples.length + after);
  fillFloor(out, pad, new Rng(seed));
  out.set(samples, before);
  return out;
}
