/**
 * G.711 mu-law against the ITU-T G.191 reference values: the decoder's extremes and smallest
 * steps, segment boundaries, the encoder on every 16-bit input (each lands in the quantisation
 * interval of its code), and the G.711 digital milliwatt (PCMU 1E 0B 0B 1E 9E 8B 8B 9E: a 1 kHz
 * sine at 0 dBm0 sampled at 8 kHz).
 */
import { describe, expect, it } from 'vitest';
import { decodeMulaw, encodeMulaw, mulawDecodeSample, mulawEncodeSample } from './g711.js';

describe('G.711 mu-law', () => {
  it('decodes the reference extremes and the smallest steps', () => {
    expect(mulawDecodeSample(0x00)).toBe(-32124);
    expect(mulawDecodeSample(0x80)).toBe(32124);
    expect(mulawDecodeSample(0x7f)).toBe(0);
    expect(mulawDecodeSample(0xff)).toBe(0);
    expect(mulawDecodeSample(0x7e)).toBe(-8);
    expect(mulawDecodeSample(0xfe)).toBe(8);
    expect(mulawDecodeSample(0x7d)).toBe(-16);
    // Segment boundaries of the positive half (the G.191 / Sun g711.c ulaw2linear table).
    expect([0xf0, 0xef, 0xe0, 0xdf, 0x8f].map(mulawDecodeSample)).toEqual([120, 132, 372, 396, 16764]);
    // Odd symmetry and monotonicity.
    for (let c = 0; c < 128; c++) expect(mulawDecodeSample(c) + mulawDecodeSample(c | 0x80)).toBe(0);
    for (let c = 0x80; c < 0xff; c++) expect(mulawDecodeSample(c)).toBeGreaterThan(mulawDecodeSample(c + 1));
  });

  it('encodes every 16-bit input to the code whose decision interval holds it', () => {
    expect(mulawEncodeSample(0)).toBe(0xff);
    expect(mulawEncodeSample(-1)).toBe(0x7f);
    expect(mulawEncodeSample(32767)).toBe(0x80);
    expect(mulawEncodeSample(-32768)).toBe(0x00);
    let worst = 0;
    for (let x = -32768; x <= 32767; x++) {
      const c = mulawEncodeSample(x);
      const y = mulawDecodeSample(c);
      // The step of the code's segment (8 in the first, 1024 in the last); clipping beyond 32124+512.
      const step = 8 << ((~c >> 4) & 0x07);
      if (Math.abs(x) <= 32124) expect(Math.abs(x - y)).toBeLessThanOrEqual(step / 2 + 4);
      worst = Math.max(worst, Math.abs(x - y));
      if (x % 4096 === 0) expect(mulawEncodeSample(y)).toBe(c);
    }
    expect(worst).toBeLessThanOrEqual(644);
  });

  it('the digital milliwatt decodes to a 1 kHz sine at 0 dBm0 (about 3.17 dB below full scale)', () => {
    const pcmu = Uint8Array.from([0x1e, 0x0b, 0x0b, 0x1e, 0x9e, 0x8b, 0x8b, 0x9e]);
    const x = decodeMulaw(pcmu);
    // pi/8 phase: |sin| at 22.5 and 67.5 degrees.
    const peak = Math.abs(x[1]) / Math.sin((3 * Math.PI) / 8);
    expect(Math.abs(x[0]) / Math.sin(Math.PI / 8)).toBeCloseTo(peak, 1);
    const rmsDb = 20 * Math.log10(Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length) * Math.SQRT2 * (32768 / 32124));
    expect(rmsDb).toBeGreaterThan(-3.4);
    expect(rmsDb).toBeLessThan(-2.9);
    expect(encodeMulaw(x)).toEqual(pcmu);
  });
});
