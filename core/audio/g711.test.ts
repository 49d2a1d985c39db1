import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import {
  G711_DECODE_TABLES,
  type G711Law,
  alawDecodeSample,
  alawEncodeSample,
  g711Decode,
  g711Encode,
  mulawDecodeSample,
  mulawEncodeSample,
} from './g711.js';

const LAWS: readonly G711Law[] = ['mulaw', 'alaw'];
const encodeSample = { mulaw: mulawEncodeSample, alaw: alawEncodeSample };
const decodeSample = { mulaw: mulawDecodeSample, alaw: alawDecodeSample };

/** ITU-T G.711 Tables 5 and 6: the digital milliwatt, 8 characters a period from the negative half-cycle. */
const DIGITAL_MILLIWATT = {
  mulaw: [0x1e, 0x0b, 0x0b, 0x1e, 0x9e, 0x8b, 0x8b, 0x9e],
  alaw: [0x34, 0x21, 0x21, 0x34, 0xb4, 0xa1, 0xa1, 0xb4],
};
/**
 * Peak of a 0 dBm0 sine in 16-bit units: G.711 puts the largest decoder output (8159 x 4 for
 * μ-law, 4096 x 8 for A-law) 3.17 dB and 3.14 dB above 0 dBm0.
 */
const ZERO_DBM0_PEAK = { mulaw: 8159 * 4 * 10 ** (-3.17 / 20), alaw: 4096 * 8 * 10 ** (-3.14 / 20) };

function sine(freq: number, rate: number, amplitude: number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate + 0.3);
  return out;
}

function snrDb(clean: Float32Array, noisy: Float32Array): number {
  let s = 0;
  let e = 0;
  for (let i = 0; i < clean.length; i++) {
    s += clean[i] * clean[i];
    e += (noisy[i] - clean[i]) ** 2;
  }
  return 10 * Math.log10(s / e);
}

describe('G.711 against the ITU-T reference values', () => {
  for (const law of LAWS) {
    it(`${law}: a 1 kHz 0 dBm0 sine at 8 kHz encodes to the digital milliwatt sequence`, () => {
      const peak = ZERO_DBM0_PEAK[law];
      // Phases pi/8, 3pi/8, ... starting at the negative half-cycle, as the standard tabulates them.
      const codes = Array.from({ length: 16 }, (_, k) => encodeSample[law](Math.round(-peak * Math.sin(Math.PI / 8 + (k * Math.PI) / 4))));
      expect(codes).toEqual([...DIGITAL_MILLIWATT[law], ...DIGITAL_MILLIWATT[law]]);
    });
  }

  it('decoder outputs: zero, the smallest steps and the largest values of Tables 1 and 2', () => {
    // μ-law in 14-bit units (16-bit / 4): 0, 2, 4, ... up to 8031; A-law in 13-bit units (16-bit / 8): 1, 3, ... up to 4032.
    expect([0xff, 0x7f, 0xfe, 0xfd, 0x80, 0x00].map((c) => mulawDecodeSample(c) / 4)).toEqual([0, 0, 2, 4, 8031, -8031]);
    expect([0xd5, 0x55, 0xd4, 0xaa, 0x2a].map((c) => alawDecodeSample(c) / 8)).toEqual([1, -1, 3, 4032, -4032]);
    expect(mulawEncodeSample(0)).toBe(0xff);
    expect(alawEncodeSample(0)).toBe(0xd5);
    expect([mulawEncodeSample(32767), mulawEncodeSample(-32768)]).toEqual([0x80, 0x00]);
    expect([alawEncodeSample(32767), alawEncodeSample(-32768)]).toEqual([0xaa, 0x2a]);
  });

  it('quantiser steps double from segment to segment (μ-law 2..256, A-law 2,2,4..128 in 14/13-bit units)', () => {
    const steps = (law: G711Law, unit: number): number[] => {
      const positive = Array.from({ length: 128 }, (_, i) => decodeSample[law](law === 'mulaw' ? 0xff - i : (0x80 | i) ^ 0x55) / unit).sort((a, b) => a - b);
      return Array.from({ length: 8 }, (_, seg) => positive[seg * 16 + 2] - positive[seg * 16 + 1]);
    };
    expect(steps('mulaw', 4)).toEqual([2, 4, 8, 16, 32, 64, 128, 256]);
    expect(steps('alaw', 8)).toEqual([2, 2, 4, 8, 16, 32, 64, 128]);
  });

  for (const law of LAWS) {
    it(`${law}: every character round-trips, every 16-bit value decodes within half a step`, () => {
      for (let c = 0; c < 256; c++) {
        // μ-law has two zeros (0xff, 0x7f); the encoder gives +0.
        expect(encodeSample[law](decodeSample[law](c))).toBe(law === 'mulaw' && c === 0x7f ? 0xff : c);
      }
      const levels = Array.from(new Set(Array.from({ length: 256 }, (_, c) => decodeSample[law](c)))).sort((a, b) => a - b);
      for (let x = -32768; x < 32768; x++) {
        const y = decodeSample[law](encodeSample[law](x));
        const i = levels.indexOf(y);
        // Each output level sits mid-way in its decision interval, whose width is the gap to one of
        // its neighbours (the wider one at a segment edge); beyond the outermost levels input clips.
        const gap = Math.max(i > 0 ? y - levels[i - 1] : 0, i < levels.length - 1 ? levels[i + 1] - y : 0);
        const outer = (i === 0 && x < y) || (i === levels.length - 1 && x > y);
        if (!outer && Math.abs(x - y) > gap / 2 + 4) throw new Error(`${law} ${x} -> ${y}: error above half a step (${gap / 2})`);
      }
    });
  }

  it('agrees with the alawmulaw package except where G.711 quantises a negative input by its one\'s complement', () => {
    for (const law of LAWS) {
      const other = alawmulaw[law];
      for (let c = 0; c < 256; c++) expect(other.decodeSample(c) + 0).toBe(decodeSample[law](c)); // + 0: theirs gives -0 for 0x7f
      const differing: number[] = [];
      for (let x = -32768; x < 32768; x++) if ((other.encodeSample(x) & 0xff) !== encodeSample[law](x)) differing.push(x);
      // Only negative inputs on a decision boundary (one per quantiser level), one level apart.
      expect(differing.length).toBe(127);
      for (const x of differing) {
        expect(x).toBeLessThan(0);
        expect(encodeSample[law](x - 1)).toBe(other.encodeSample(x) & 0xff);
      }
    }
  });
});

describe('g711Encode / g711Decode on float samples', () => {
  for (const law of LAWS) {
    it(`${law}: a -10 dBFS sine survives with an SNR of about 38 dB`, () => {
      const clean = sine(1013, 8000, 10 ** (-10 / 20) * Math.SQRT2, 8000);
      const snr = snrDb(clean, g711Decode(law, g711Encode(law, clean)));
      expect(snr).toBeGreaterThan(35);
      expect(snr).toBeLessThan(41);
    });
  }

  it('decodes on the pcm_s16le scale and clips and zeroes out-of-range input', () => {
    expect(G711_DECODE_TABLES.mulaw[0x80]).toBe(32124 / 32768);
    expect(G711_DECODE_TABLES.alaw[0xaa]).toBe(32256 / 32768);
    expect(Object.is(G711_DECODE_TABLES.mulaw[0x7f], 0)).toBe(true);
    const codes = g711Encode('mulaw', new Float32Array([2, -2, NaN, Infinity, 0]));
    expect(Array.from(codes)).toEqual([0x80, 0x00, 0xff, 0xff, 0xff]);
    expect(Array.from(g711Decode('alaw', new Uint8Array([0xd5, 0x2a])))).toEqual([8 / 32768, -32256 / 32768]);
  });
});
