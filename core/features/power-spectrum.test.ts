/** PowerSpectrum (PFFFT in WASM) against fft.js in float64, and its size checks. */
import FFT from 'fft.js';
import { describe, expect, it } from 'vitest';
import { PowerSpectrum } from './power-spectrum.js';

/** |X[k]|^2 by fft.js in float64 (the FFT the features used before PFFFT). */
function referencePower(x: Float64Array): Float64Array {
  const fft = new FFT(x.length);
  const out = fft.createComplexArray() as number[];
  fft.realTransform(out, Array.from(x));
  return Float64Array.from({ length: x.length / 2 + 1 }, (_, k) => out[2 * k] ** 2 + out[2 * k + 1] ** 2);
}

describe('PowerSpectrum', () => {
  it('equals a float64 FFT to float32 precision (relative to the frame energy), for two sizes in turn', () => {
    for (const size of [512, 256, 512]) {
      const spectrum = new PowerSpectrum(size);
      const x = Float64Array.from({ length: size }, (_, t) => (t < size * 0.8 ? Math.sin(t * 0.31) + 0.3 * Math.cos(t * 1.7) + ((t * 7919) % 13) / 50 : 0));
      const heap = spectrum.heap;
      for (let t = 0; t < size; t++) heap[spectrum.inputAt + t] = x[t];
      const power = new Float64Array(size / 2 + 1);
      spectrum.into(power);
      const want = referencePower(Float64Array.from(x, (v) => Math.fround(v)));
      const scale = Math.max(...want);
      for (let k = 0; k <= size / 2; k++) expect(Math.abs(power[k] - want[k]) / scale).toBeLessThan(1e-5);
    }
  });

  it('refuses sizes PFFFT cannot transform, with a RangeError instead of aborting the WASM module', () => {
    for (const size of [0, 100, 16, 500.5]) expect(() => new PowerSpectrum(size)).toThrow(RangeError);
    expect(new PowerSpectrum(512).size).toBe(512);
  });
});
