/**
 * Second-order IIR sections (RBJ Audio EQ Cookbook biquads) cascaded into Butterworth high- and
 * low-pass filters, and shelving filters. Used to give simulated telephone audio the 300-3400 Hz
 * band of an analogue telephone channel (ITU-T G.712) before companding, and simulated rooms and
 * microphones their colour (training/augment/room.ts).
 */

export interface Coefficients {
  readonly b0: number;
  readonly b1: number;
  readonly b2: number;
  readonly a1: number;
  readonly a2: number;
}

export type FilterKind = 'highpass' | 'lowpass';

/** One RBJ biquad (normalised so a0 = 1). */
function biquad(kind: FilterKind, cutoffHz: number, q: number, sampleRate: number): Coefficients {
  const w0 = (2 * Math.PI * cutoffHz) / sampleRate;
  const cos = Math.cos(w0);
  const alpha = Math.sin(w0) / (2 * q);
  const a0 = 1 + alpha;
  const b1 = kind === 'lowpass' ? 1 - cos : -(1 + cos);
  const b0 = kind === 'lowpass' ? (1 - cos) / 2 : (1 + cos) / 2;
  return { b0: b0 / a0, b1: b1 / a0, b2: b0 / a0, a1: (-2 * cos) / a0, a2: (1 - alpha) / a0 };
}

export type ShelfKind = 'lowshelf' | 'highshelf';

/**
 * One RBJ shelving biquad with shelf slope S = 1 (normalised so a0 = 1): gainDb below (lowshelf)
 * or above (highshelf) the corner frequency, 0 dB on the other side, half the gain at the corner.
 */
export function shelf(kind: ShelfKind, cornerHz: number, gainDb: number, sampleRate: number): Coefficients {
  if (!(cornerHz > 0 && cornerHz < sampleRate / 2)) throw new RangeError(`corner ${cornerHz} Hz must lie between 0 and ${sampleRate / 2} Hz`);
  const A = 10 ** (gainDb / 40);
  const w0 = (2 * Math.PI * cornerHz) / sampleRate;
  const cos = Math.cos(w0);
  const alpha = (Math.sin(w0) / 2) * Math.SQRT2; // S = 1
  const root = 2 * Math.sqrt(A) * alpha;
  const sign = kind === 'lowshelf' ? 1 : -1;
  const b0 = A * (A + 1 - sign * (A - 1) * cos + root);
  const b1 = 2 * sign * A * (A - 1 - sign * (A + 1) * cos);
  const b2 = A * (A + 1 - sign * (A - 1) * cos - root);
  const a0 = A + 1 + sign * (A - 1) * cos + root;
  const a1 = -2 * sign * (A - 1 + sign * (A + 1) * cos);
  const a2 = A + 1 + sign * (A - 1) * cos - root;
  return { b0: b0 / a0, b1: b1 / a0, b2: b2 / a0, a1: a1 / a0, a2: a2 / a0 };
}

/**
 * Butterworth filter of even `order` as order/2 biquads: section k has
 * Q = 1 / (2 cos(pi (2k + 1) / (2 order))), which places the poles of the cascade on the
 * Butterworth circle (maximally flat passband, -3 dB at the cutoff).
 */
export function butterworth(kind: FilterKind, order: number, cutoffHz: number, sampleRate: number): Coefficients[] {
  if (!Number.isInteger(order) || order < 2 || order % 2 !== 0) throw new RangeError(`Butterworth order must be an even integer >= 2, got ${order}`);
  if (!(cutoffHz > 0 && cutoffHz < sampleRate / 2)) throw new RangeError(`cutoff ${cutoffHz} Hz must lie between 0 and ${sampleRate / 2} Hz`);
  return Array.from({ length: order / 2 }, (_, k) => biquad(kind, cutoffHz, 1 / (2 * Math.cos((Math.PI * (2 * k + 1)) / (2 * order))), sampleRate));
}

/** Runs the cascade over `x` from rest (transposed direct form II, double precision state); returns a new array. */
export function filterCascade(sections: readonly Coefficients[], x: Float32Array): Float32Array {
  const out = Float32Array.from(x);
  for (const { b0, b1, b2, a1, a2 } of sections) {
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < out.length; i++) {
      const v = out[i];
      const y = b0 * v + s1;
      s1 = b1 * v - a1 * y + s2;
      s2 = b2 * v - a2 * y;
      out[i] = y;
    }
  }
  return out;
}
