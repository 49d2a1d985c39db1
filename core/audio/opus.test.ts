import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import OpusScript from 'opusscript';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ManifestRow, corpusFile, sampleRows } from '../../test/corpora.js';
import { AudioInputError } from '../errors.js';
import { MAX_OPUS_PACKET_BYTES_PER_CHANNEL, OpusPacketDecoder, decodeOggOpus, demuxOggOpus, isOggOpus } from './opus.js';
import { concat } from '../../test/arrays.js';

interface CorpusFile {
  row: ManifestRow;
  bytes: Uint8Array;
}

let files: CorpusFile[] = [];

beforeAll(async () => {
  files = await Promise.all(sampleRows().map(async (row) => ({ row, bytes: new Uint8Array(await readFile(corpusFile(row))) })));
  // opus-decoder logs every rejected packet with console.error; the tests below reject many on purpose.
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
});

afterAll(() => {
  vi.restoreAllMocks();
});


/** Normalised cross-correlation of x[i] with y[i + lag] over their overlap. */
function correlation(x: Float32Array, y: Float32Array, lag: number): number {
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = Math.max(0, -lag); i < x.length && i + lag < y.length; i++) {
    sxy += x[i] * y[i + lag];
    sxx += x[i] * x[i];
    syy += y[i + lag] * y[i + lag];
  }
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * Packets that break RFC 6716 section 3.4's rules, so every conforming decoder must reject them:
 * code 1 (two equal frames) with an odd payload, code 3 with a frame count of 0, code 3 asking
 * for 63 x 20 ms (over the 120 ms limit), code 2 whose first frame length runs past the end.
 */
const INVALID_PACKETS: Uint8Array[] = [
  Uint8Array.from([0x01, 0xaa, 0xbb, 0xcc]),
  Uint8Array.from([0x03, 0x00]),
  new Uint8Array(100).fill(0xff),
  Uint8Array.from([0x02, 0xfb, 0x10, 0x20]),
];

describe('decodeOggOpus on corpus files', () => {
  it('recognises them as Ogg Opus', () => {
    for (const { bytes } of files) expect(isOggOpus(bytes)).toBe(true);
  });

  it('decodes to within 20 ms of the manifest duration', async () => {
    for (const { row, bytes } of files) {
      const pcm = await decodeOggOpus(bytes, row.path);
      const expected = row.durationS * 16000;
      expect(Math.abs(pcm.length - expected), row.path).toBeLessThanOrEqual(320);
      let peak = 0;
      let sumSq = 0;
      for (const v of pcm) {
        peak = Math.max(peak, Math.abs(v));
        sumSq += v * v;
      }
      // Speech, not silence or garbage.
      expect(peak, row.path).toBeGreaterThan(0.01);
      expect(peak, row.path).toBeLessThan(2);
      expect(Math.sqrt(sumSq / pcm.length), row.path).toBeGreaterThan(1e-3);
    }
  });

  it('demux + OpusPacketDecoder packet by packet equals decodeOggOpus exactly on the overlap', async () => {
    for (const { row, bytes } of files) {
      const whole = await decodeOggOpus(bytes);
      const stream = demuxOggOpus(bytes, row.path);
      expect(stream.channels).toBe(1);
      expect(stream.packets.length).toBeGreaterThan(10);
      const decoder = await OpusPacketDecoder.create(1, stream.preSkip);
      const parts = stream.packets.map((p) => decoder.decode(p));
      decoder.free();
      const streamed = concat(parts);
      // The stream is not trimmed to the granule position, so it is at least as long.
      expect(streamed.length).toBeGreaterThanOrEqual(whole.length);
      expect(streamed.length - whole.length).toBeLessThan(960);
      let mismatches = 0;
      for (let i = 0; i < whole.length; i++) if (!Object.is(streamed[i], whole[i])) mismatches++;
      expect(mismatches, row.path).toBe(0);
      // The header's declared length is what decodeOggOpus trims to.
      expect(stream.totalSamples48k).toBeDefined();
      expect(whole.length).toBe(Math.round((stream.totalSamples48k! * 16000) / 48000));
    }
  });

  it('pre-skip is dropped from the start', async () => {
    const { bytes } = files[0];
    const stream = demuxOggOpus(bytes);
    expect(stream.preSkip).toBeGreaterThan(0);
    const skipped = await OpusPacketDecoder.create(1, stream.preSkip);
    const raw = await OpusPacketDecoder.create(1, 0);
    const a = concat(stream.packets.slice(0, 20).map((p) => skipped.decode(p)));
    const b = concat(stream.packets.slice(0, 20).map((p) => raw.decode(p)));
    const skip = Math.round((stream.preSkip * 16000) / 48000);
    expect(b.length - a.length).toBe(skip);
    expect(Array.from(a)).toEqual(Array.from(b.subarray(skip)));
    skipped.free();
    raw.free();
  });
});

describe('OpusPacketDecoder: bad packets', () => {
  it('refuses empty, malformed and oversized packets with AudioInputError and counts the decoder errors', async () => {
    const d = await OpusPacketDecoder.create();
    expect(() => d.decode(new Uint8Array(0))).toThrow(AudioInputError);
    for (const p of INVALID_PACKETS) expect(() => d.decode(p), `packet ${Array.from(p.subarray(0, 4))}`).toThrow(AudioInputError);
    expect(() => d.decode(new Uint8Array(MAX_OPUS_PACKET_BYTES_PER_CHANNEL + 1).fill(0x08))).toThrow(/exceeds/);
    // The largest packet the decoder's input buffer holds is decoded or refused as AudioInputError, not a RangeError.
    for (const channels of [1, 2] as const) {
      const dc = await OpusPacketDecoder.create(channels);
      for (const n of [MAX_OPUS_PACKET_BYTES_PER_CHANNEL * channels, MAX_OPUS_PACKET_BYTES_PER_CHANNEL * channels + 1, 16000]) {
        try {
          dc.decode(new Uint8Array(n));
        } catch (e) {
          expect(e, `${channels} ch, ${n} B`).toBeInstanceOf(AudioInputError);
        }
      }
      dc.free();
    }
    expect(d.packetErrors).toBe(INVALID_PACKETS.length);
    expect(d.packetsDecoded).toBe(0);
    d.free();
  });

  it('random bytes either decode or throw AudioInputError (random bytes are often legal Opus), never anything else', async () => {
    const d = await OpusPacketDecoder.create();
    let thrown = 0;
    let decoded = 0;
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 1500 }), (bytes) => {
        try {
          const pcm = d.decode(bytes);
          decoded++;
          // 2.5 ms to 120 ms at 16 kHz, all finite.
          return pcm.length >= 40 && pcm.length <= 1920 && pcm.every(Number.isFinite);
        } catch (e) {
          thrown++;
          return e instanceof AudioInputError;
        }
      }),
      { numRuns: 300 },
    );
    expect(thrown).toBeGreaterThan(0);
    expect(decoded).toBeGreaterThan(0);
    d.free();
  });

  it('after rejecting bad packets the same decoder decodes the valid ones exactly as an undisturbed one', async () => {
    const { bytes } = files[0];
    const stream = demuxOggOpus(bytes);
    const clean = await OpusPacketDecoder.create(1, stream.preSkip);
    const disturbed = await OpusPacketDecoder.create(1, stream.preSkip);
    const a: Float32Array[] = [];
    const b: Float32Array[] = [];
    stream.packets.forEach((p, i) => {
      a.push(clean.decode(p));
      if (i % 25 === 5) {
        expect(() => disturbed.decode(new Uint8Array(0))).toThrow(AudioInputError);
        for (const bad of INVALID_PACKETS) expect(() => disturbed.decode(bad)).toThrow(AudioInputError);
      }
      b.push(disturbed.decode(p));
    });
    expect(disturbed.packetErrors).toBeGreaterThan(0);
    expect(disturbed.packetsDecoded).toBe(stream.packets.length);
    const x = concat(a);
    const y = concat(b);
    expect(y.length).toBe(x.length);
    let mismatches = 0;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) mismatches++;
    expect(mismatches).toBe(0);
    clean.free();
    disturbed.free();
  });
});

describe('OpusPacketDecoder on packets from another encoder (opusscript / libopus)', () => {
  it('turns 20 ms packets of 16 kHz speech back into audio correlated > 0.9 with the input', async () => {
    for (const { row, bytes } of files.slice(0, 3)) {
      const input = await decodeOggOpus(bytes);
      const encoder = new OpusScript(16000, 1, OpusScript.Application.AUDIO);
      const decoder = await OpusPacketDecoder.create(1, 0);
      const frame = 320;
      const out: Float32Array[] = [];
      try {
        for (let o = 0; o + frame <= input.length; o += frame) {
          const pcm = new Int16Array(frame);
          for (let i = 0; i < frame; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(input[o + i] * 32767)));
          const packet = encoder.encode(Buffer.from(pcm.buffer), frame);
          expect(packet.length).toBeGreaterThan(0);
          const decoded = decoder.decode(new Uint8Array(packet.buffer, packet.byteOffset, packet.length));
          expect(decoded.length).toBe(frame);
          out.push(decoded);
        }
      } finally {
        encoder.delete();
        decoder.free();
      }
      const output = concat(out);
      // Find the codec delay by cross-correlation over 0..25 ms.
      let bestLag = 0;
      let best = -Infinity;
      for (let lag = 0; lag <= 400; lag++) {
        const c = correlation(input, output, lag);
        if (c > best) {
          best = c;
          bestLag = lag;
        }
      }
      expect(best, row.path).toBeGreaterThan(0.9);
      // libopus's delay at 16 kHz is 6.5 ms (2.5 ms lookahead + 4 ms delay compensation) = 104
      // samples: the 312-sample (48 kHz) pre-skip Ogg encoders write, as in the corpus files.
      expect(bestLag, row.path).toBe(104);
      expect(bestLag).toBe(Math.round((demuxOggOpus(bytes).preSkip * 16000) / 48000));
    }
  });
});
