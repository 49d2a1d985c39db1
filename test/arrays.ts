/** Array comparisons shared by tests. */
export { concatFloat32 as concat } from '../core/audio/concat.js';

/** True when both arrays hold the same float bits (Object.is: NaN equals NaN, -0 differs from 0). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
