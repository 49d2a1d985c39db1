import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AudioInputError } from '../errors.js';
import { G711_DECODE_TABLES, g711Decode } from './g711.js';
import { PcmDecoder, type PcmEncoding, bytesPerSample, downmix } from './pcm.js';
import { concat, sameBits } from '../../test/arrays.js';

/** Interleaved frames (one array of channel values per frame) as little-endian bytes. */
function encode(encoding: PcmEncoding, frames: number[][]): Uint8Array {
  const bps = bytesPerSample(encoding);
  const out = new Uint8Array(frames.length * frames[0].length * bps);
  const view = new DataView(out.buffer);
  let o = 0;
  for (const frame of frames) {
    for (const v of frame) {
      if (encoding === 'pcm_s16le') view.setInt16(o, v, true);
      else if (bps === 1) view.setUint8(o, v); // G.711 characters
      else view.setFloat32(o, v, true);
      o += bps;
    }
  }
  return out;
}



describe('PcmDecoder', () => {
  it('decodes mono s16le to [-1, 1)', () => {
    const ints = [0, 1, -1, 16384, -16384, 32767, -32768];
    const d = new PcmDecoder('pcm_s16le', 1);
    const out = d.push(encode('pcm_s16le', ints.map((v) => [v])));
    expect(Array.from(out)).toEqual(ints.map((v) => Math.fround(v / 32768)));
    expect(d.pendingBytes).toBe(0);
  });

  it('decodes stereo s16le to the channel average', () => {
    const frames = [
      [16384, -16384],
      [32767, 32767],
      [-32768, 0],
      [100, 301],
    ];
    const out = new PcmDecoder('pcm_s16le', 2).push(encode('pcm_s16le', frames));
    expect(Array.from(out)).toEqual(frames.map(([l, r]) => Math.fround((l + r) / 2 / 32768)));
  });

  it('decodes mono and stereo f32le as is (stereo averaged)', () => {
    const mono = [0, 0.5, -0.25, 1, -1, 1.75];
    expect(Array.from(new PcmDecoder('pcm_f32le', 1).push(encode('pcm_f32le', mono.map((v) => [v]))))).toEqual(mono);
    const frames = [
      [0.5, 0.25],
      [-1, 1],
      [0.125, 0.125],
    ];
    const out = new PcmDecoder('pcm_f32le', 2).push(encode('pcm_f32le', frames));
    expect(Array.from(out)).toEqual([0.375, 0, 0.125]);
  });

  it('replaces NaN and ±Infinity f32 samples by 0 and counts them', () => {
    const d = new PcmDecoder('pcm_f32le', 1);
    const out = d.push(encode('pcm_f32le', [[0.5], [NaN], [Infinity], [-Infinity], [-0.5]]));
    expect(Array.from(out)).toEqual([0.5, 0, 0, 0, -0.5]);
    expect(d.nonFiniteSamples).toBe(3);
    // In stereo the bad channel counts as 0 in the average; the count keeps growing across pushes.
    const s = new PcmDecoder('pcm_f32le', 2);
    expect(Array.from(s.push(encode('pcm_f32le', [[NaN, 0.5]])))).toEqual([0.25]);
    expect(Array.from(s.push(encode('pcm_f32le', [[Infinity, -Infinity], [0.25, 0.75]])))).toEqual([0, 0.5]);
    expect(s.nonFiniteSamples).toBe(3);
    const ints = new PcmDecoder('pcm_s16le', 1);
    ints.push(encode('pcm_s16le', [[1], [2]]));
    expect(ints.nonFiniteSamples).toBe(0);
  });

  it('keeps an incomplete frame for the next push and reports it as pending', () => {
    const bytes = encode('pcm_s16le', [
      [1000, 2000],
      [3000, 4000],
    ]);
    const d = new PcmDecoder('pcm_s16le', 2);
    expect(d.push(bytes.subarray(0, 3)).length).toBe(0);
    expect(d.pendingBytes).toBe(3);
    const first = d.push(bytes.subarray(3, 6));
    expect(Array.from(first)).toEqual([Math.fround(1500 / 32768)]);
    expect(d.pendingBytes).toBe(2);
    expect(Array.from(d.push(bytes.subarray(6)))).toEqual([Math.fround(3500 / 32768)]);
    expect(d.pendingBytes).toBe(0);
    expect(d.push(new Uint8Array(0)).length).toBe(0);
  });

  it('decodes a subarray view at an odd byte offset of a larger buffer', () => {
    const payload = encode('pcm_s16le', [[-5000], [6000]]);
    const big = new Uint8Array(payload.length + 3);
    big.set(payload, 1);
    const out = new PcmDecoder('pcm_s16le', 1).push(big.subarray(1, 1 + payload.length));
    expect(Array.from(out)).toEqual([Math.fround(-5000 / 32768), Math.fround(6000 / 32768)]);
  });

  it('decodes G.711 μ-law and A-law characters (one byte a sample) with the G.711 tables, stereo averaged', () => {
    const codes = Uint8Array.from({ length: 256 }, (_, c) => c);
    expect(Array.from(new PcmDecoder('pcm_mulaw', 1).push(codes))).toEqual(Array.from(g711Decode('mulaw', codes)));
    expect(Array.from(new PcmDecoder('pcm_alaw', 1).push(codes))).toEqual(Array.from(g711Decode('alaw', codes)));
    // μ-law 0x80 / 0x00 are the largest positive / negative values, 0xff is zero.
    const stereo = new PcmDecoder('pcm_mulaw', 2).push(Uint8Array.from([0x80, 0xff, 0x80, 0x00]));
    expect(Array.from(stereo)).toEqual([Math.fround(G711_DECODE_TABLES.mulaw[0x80] / 2), 0]);
    expect(bytesPerSample('pcm_mulaw')).toBe(1);
  });

  it('rejects invalid channel counts', () => {
    for (const ch of [0, -1, 1.5, NaN]) expect(() => new PcmDecoder('pcm_s16le', ch)).toThrow(AudioInputError);
  });

  for (const encoding of ['pcm_s16le', 'pcm_f32le', 'pcm_mulaw', 'pcm_alaw'] as const) {
    for (const channels of [1, 2, 3]) {
      it(`${encoding} x${channels}: byte-by-byte pushes equal one whole push`, () => {
        const frames = Array.from({ length: 257 }, (_, i) =>
          Array.from({ length: channels }, (_, c) =>
            encoding === 'pcm_s16le'
              ? ((i * 7919 + c * 104729) % 65536) - 32768
              : encoding === 'pcm_f32le'
                ? Math.sin(i * 0.37 + c) * (i % 5 === 0 ? 3 : 1)
                : (i * 7919 + c * 104729) % 256,
          ),
        );
        if (encoding === 'pcm_f32le') frames[10][0] = NaN;
        const bytes = encode(encoding, frames);
        const whole = new PcmDecoder(encoding, channels);
        const expected = whole.push(bytes);
        expect(expected.length).toBe(frames.length);
        const byByte = new PcmDecoder(encoding, channels);
        const parts: Float32Array[] = [];
        for (let i = 0; i < bytes.length; i++) parts.push(byByte.push(bytes.subarray(i, i + 1)));
        expect(sameBits(concat(parts), expected)).toBe(true);
        expect(byByte.nonFiniteSamples).toBe(whole.nonFiniteSamples);
        expect(byByte.pendingBytes).toBe(0);
      });

      it(`${encoding} x${channels}: every split point and random chunkings equal one whole push`, () => {
        const frameBytes = bytesPerSample(encoding) * channels;
        fc.assert(
          fc.property(
            fc.uint8Array({ minLength: 0, maxLength: 40 * frameBytes }),
            fc.array(fc.integer({ min: 0, max: 64 }), { minLength: 1, maxLength: 30 }),
            (raw, sizes) => {
              const bytes = raw.subarray(0, raw.length - (raw.length % frameBytes));
              const expected = new PcmDecoder(encoding, channels).push(bytes);
              // Every single split point.
              for (let cut = 0; cut <= bytes.length; cut++) {
                const d = new PcmDecoder(encoding, channels);
                const got = concat([d.push(bytes.subarray(0, cut)), d.push(bytes.subarray(cut))]);
                if (!sameBits(got, expected)) return false;
              }
              // A random chunking (zero-length chunks included).
              if (sizes.every((s) => s === 0)) sizes = [...sizes, 1];
              const d = new PcmDecoder(encoding, channels);
              const parts: Float32Array[] = [];
              let o = 0;
              for (let k = 0; o < bytes.length; k++) {
                const n = sizes[k % sizes.length];
                parts.push(d.push(bytes.subarray(o, o + n)));
                o += n;
              }
              return sameBits(concat(parts), expected) && d.pendingBytes === 0;
            },
          ),
          { numRuns: 60 },
        );
      });
    }
  }
});

describe('downmix', () => {
  it('averages planar channels to the shortest length, passes mono through', () => {
    const a = Float32Array.from([1, 0.5, 0.25]);
    const b = Float32Array.from([0, -0.5]);
    expect(Array.from(downmix([a, b]))).toEqual([0.5, 0]);
    expect(downmix([a])).toBe(a);
    expect(downmix([]).length).toBe(0);
  });
});
