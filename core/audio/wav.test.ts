import { describe, expect, it } from 'vitest';
import { AudioInputError } from '../errors.js';
import { G711_DECODE_TABLES } from './g711.js';
import { decodeWav, encodeWav, isWav } from './wav.js';

/**
 * A small RIFF writer of our own, so these tests do not depend on encodeWav: chunks are written
 * byte by byte as the RIFF/WAVE spec lays them out (id, little-endian size, body, pad byte when
 * the size is odd).
 */
interface Chunk {
  id: string;
  body: Uint8Array;
  /** Size to write in the header instead of body.length (live-written files lie here). */
  declaredSize?: number;
}

function u16(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff];
}
function u32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
function ascii(s: string): number[] {
  return [...s].map((c) => c.charCodeAt(0));
}

function riff(chunks: Chunk[]): Uint8Array {
  const bytes: number[] = [];
  for (const c of chunks) {
    bytes.push(...ascii(c.id), ...u32(c.declaredSize ?? c.body.length), ...c.body);
    if (c.body.length & 1) bytes.push(0);
  }
  return Uint8Array.from([...ascii('RIFF'), ...u32(4 + bytes.length), ...ascii('WAVE'), ...bytes]);
}

function fmtChunk(tag: number, channels: number, rate: number, bits: number): Chunk {
  const blockAlign = (channels * bits) / 8;
  return {
    id: 'fmt ',
    body: Uint8Array.from([...u16(tag), ...u16(channels), ...u32(rate), ...u32(rate * blockAlign), ...u16(blockAlign), ...u16(bits)]),
  };
}

/** WAVE_FORMAT_EXTENSIBLE fmt chunk (40 bytes) with the given sub-format (1 PCM, 3 float). */
function extensibleFmtChunk(subFormat: number, channels: number, rate: number, bits: number, validBits = bits): Chunk {
  const blockAlign = (channels * bits) / 8;
  // KSDATAFORMAT_SUBTYPE_*: first two bytes are the format tag, then the fixed GUID tail.
  const guidTail = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
  return {
    id: 'fmt ',
    body: Uint8Array.from([
      ...u16(0xfffe),
      ...u16(channels),
      ...u32(rate),
      ...u32(rate * blockAlign),
      ...u16(blockAlign),
      ...u16(bits),
      ...u16(22), // cbSize
      ...u16(validBits),
      ...u32(channels === 1 ? 0x4 : 0x3), // channel mask
      ...u16(subFormat),
      ...guidTail,
    ]),
  };
}

function dataChunk(body: number[] | Uint8Array, declaredSize?: number): Chunk {
  return { id: 'data', body: Uint8Array.from(body), declaredSize };
}

function s16(values: number[]): number[] {
  return values.flatMap((v) => u16(v & 0xffff));
}
function s24(values: number[]): number[] {
  return values.flatMap((v) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff]);
}
function s32(values: number[]): number[] {
  return values.flatMap((v) => u32(v >>> 0));
}
function f32(values: number[]): number[] {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setFloat32(i * 4, x, true));
  return [...b];
}
function f64(values: number[]): number[] {
  const b = new Uint8Array(values.length * 8);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setFloat64(i * 8, x, true));
  return [...b];
}

function expectClose(actual: Float32Array, expected: number[], tol = 1e-7): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i]), `sample ${i}`).toBeLessThanOrEqual(tol);
}

function expectAudioInputError(fn: () => unknown, source: string, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(AudioInputError);
  const err = caught as AudioInputError;
  expect(err.source).toBe(source);
  expect(err.message).toContain(source);
  expect(err.message).toMatch(pattern);
}

describe('decodeWav: sample formats', () => {
  it('8-bit PCM is unsigned with 128 as zero', () => {
    const wav = riff([fmtChunk(1, 1, 8000, 8), dataChunk([0, 64, 128, 192, 255])]);
    const d = decodeWav(wav);
    expect(d.sampleRate).toBe(8000);
    expect(d.channels).toBe(1);
    expectClose(d.samples, [-1, -0.5, 0, 0.5, 127 / 128]);
  });

  it('16-bit PCM is signed little-endian over 32768', () => {
    const ints = [0, 1, -1, 16384, -16384, 32767, -32768];
    const d = decodeWav(riff([fmtChunk(1, 1, 16000, 16), dataChunk(s16(ints))]));
    expectClose(
      d.samples,
      ints.map((v) => v / 32768),
    );
    expect(d.samples[6]).toBe(-1);
  });

  it('24-bit PCM sign-extends the top byte', () => {
    const ints = [0, 1, -1, 0x400000, -0x400000, 0x7fffff, -0x800000, 0x123456, -0x123456];
    const d = decodeWav(riff([fmtChunk(1, 1, 44100, 24), dataChunk(s24(ints))]));
    expect(d.sampleRate).toBe(44100);
    expectClose(
      d.samples,
      ints.map((v) => v / 8388608),
    );
  });

  it('32-bit PCM is scaled by 2^31', () => {
    const ints = [0, 1 << 30, -(1 << 30), 2147483647, -2147483648, 123456789];
    const d = decodeWav(riff([fmtChunk(1, 1, 48000, 32), dataChunk(s32(ints))]));
    expectClose(
      d.samples,
      ints.map((v) => v / 2147483648),
    );
  });

  it('32-bit float is taken as is, non-finite values become 0', () => {
    const values = [0, 0.25, -0.75, 1, -1, 1.5, NaN, Infinity, -Infinity];
    const d = decodeWav(riff([fmtChunk(3, 1, 22050, 32), dataChunk(f32(values))]));
    expectClose(d.samples, [0, 0.25, -0.75, 1, -1, 1.5, 0, 0, 0], 0);
  });

  it('64-bit float is read too', () => {
    const values = [0.1, -0.2, 0.3];
    const d = decodeWav(riff([fmtChunk(3, 1, 16000, 64), dataChunk(f64(values))]));
    expectClose(d.samples, values, 1e-7);
  });

  it('WAVE_FORMAT_EXTENSIBLE takes the sub-format: PCM 24-bit and float 32-bit', () => {
    const ints = [100, -100, 0x7fffff, -0x800000];
    const pcm = decodeWav(riff([extensibleFmtChunk(1, 1, 96000, 24), dataChunk(s24(ints))]));
    expect(pcm.sampleRate).toBe(96000);
    expectClose(
      pcm.samples,
      ints.map((v) => v / 8388608),
    );
    const flt = decodeWav(riff([extensibleFmtChunk(3, 1, 48000, 32), dataChunk(f32([0.5, -0.5]))]));
    expectClose(flt.samples, [0.5, -0.5], 0);
  });

  it('averages the channels of stereo and multichannel files', () => {
    // Frames: (L, R) interleaved.
    const stereo = [16384, -16384, 32767, 32767, -32768, 0, 1000, 3000];
    const d = decodeWav(riff([fmtChunk(1, 2, 16000, 16), dataChunk(s16(stereo))]));
    expect(d.channels).toBe(2);
    expectClose(d.samples, [0, 32767 / 32768, -0.5, 2000 / 32768]);
    const three = decodeWav(riff([extensibleFmtChunk(3, 3, 16000, 32), dataChunk(f32([0.3, 0.6, 0.9, -1, 0, 1]))]));
    expectClose(three.samples, [0.6, 0], 1e-7);
  });
});

describe('decodeWav: G.711 (format 6 A-law, 7 μ-law) through core/audio/g711.ts', () => {
  it('decodes every character as the live pcm_alaw / pcm_mulaw tables do, plain and extensible', () => {
    const codes = Array.from({ length: 256 }, (_, i) => i);
    for (const [tag, law] of [
      [6, 'alaw'],
      [7, 'mulaw'],
    ] as const) {
      const expected = [...G711_DECODE_TABLES[law]];
      expectClose(decodeWav(riff([fmtChunk(tag, 1, 8000, 8), dataChunk(codes)])).samples, expected, 0);
      expectClose(decodeWav(riff([extensibleFmtChunk(tag, 1, 8000, 8), dataChunk(codes)])).samples, expected, 0);
    }
  });

  it('keeps the channels of a stereo μ-law file apart in channelData', () => {
    const d = decodeWav(riff([fmtChunk(7, 2, 8000, 8), dataChunk([0x00, 0xff, 0x80, 0x7f])]));
    expect(d.channels).toBe(2);
    expectClose(d.channelData[0], [G711_DECODE_TABLES.mulaw[0x00], G711_DECODE_TABLES.mulaw[0x80]], 0);
    expectClose(d.channelData[1], [G711_DECODE_TABLES.mulaw[0xff], G711_DECODE_TABLES.mulaw[0x7f]], 0);
  });
});

describe('decodeWav: chunk layout', () => {
  it('skips unknown chunks before the data, including odd-sized ones with their pad byte', () => {
    const wav = riff([
      { id: 'LIST', body: Uint8Array.from(ascii('abc')) }, // odd: followed by a pad byte
      fmtChunk(1, 1, 16000, 16),
      { id: 'junk', body: Uint8Array.from([1, 2, 3, 4, 5]) },
      dataChunk(s16([1000, -2000, 3000])),
    ]);
    expectClose(decodeWav(wav).samples, [1000 / 32768, -2000 / 32768, 3000 / 32768]);
  });

  it('takes the data that is there when the data size is 0 (live-written files)', () => {
    const wav = riff([fmtChunk(1, 1, 16000, 16), dataChunk(s16([1, 2, 3, 4]), 0)]);
    expectClose(decodeWav(wav).samples, [1, 2, 3, 4].map((v) => v / 32768));
  });

  it('takes the data that is there when the data size is 0xFFFFFFFF (ffmpeg writing to a pipe)', () => {
    const wav = riff([fmtChunk(1, 1, 16000, 16), dataChunk(s16([5, -6, 7]), 0xffffffff)]);
    expectClose(decodeWav(wav).samples, [5, -6, 7].map((v) => v / 32768));
  });

  it('refuses a data chunk larger than the file holds (a truncated file), naming both sizes', () => {
    const wav = riff([fmtChunk(1, 1, 16000, 16), dataChunk(s16([5, -6, 7]), 96000)]);
    expectAudioInputError(() => decodeWav(wav, 'cut.wav'), 'cut.wav', /truncated WAV file: header says 96000 bytes of audio, file holds 6$/);
  });

  it('drops a trailing partial frame', () => {
    // Three stereo 16-bit frames need 12 bytes; give 13 (odd data chunk).
    const wav = riff([fmtChunk(1, 2, 16000, 16), dataChunk([...s16([100, 300, 200, 400, -100, -300]), 7])]);
    expectClose(decodeWav(wav).samples, [200, 300, -200].map((v) => v / 32768));
  });

  it('respects the declared data size when trailing chunks follow', () => {
    const wav = riff([fmtChunk(1, 1, 16000, 16), dataChunk(s16([10, 20])), { id: 'LIST', body: Uint8Array.from([1, 2, 3, 4]) }]);
    expectClose(decodeWav(wav).samples, [10 / 32768, 20 / 32768]);
  });
});

describe('decodeWav: errors name the source', () => {
  const good = riff([fmtChunk(1, 1, 16000, 16), dataChunk(s16([1, 2, 3]))]);

  it('the valid fixture itself decodes', () => {
    expect(isWav(good)).toBe(true);
    expect(decodeWav(good, 'good.wav').samples.length).toBe(3);
  });

  it('refuses a file that is not RIFF/WAVE', () => {
    expectAudioInputError(() => decodeWav(new TextEncoder().encode('hello, this is not audio at all'), 'notes.txt'), 'notes.txt', /not a WAV/);
    const rifx = good.slice();
    rifx.set(ascii('RIFX'), 0);
    expectAudioInputError(() => decodeWav(rifx, 'bigendian.wav'), 'bigendian.wav', /not a WAV/);
    const avi = good.slice();
    avi.set(ascii('AVI '), 8);
    expectAudioInputError(() => decodeWav(avi, 'movie.avi'), 'movie.avi', /not a WAV/);
  });

  it('refuses a truncated header', () => {
    expectAudioInputError(() => decodeWav(good.subarray(0, 20), 'cut20.wav'), 'cut20.wav', /truncated/);
    expectAudioInputError(() => decodeWav(good.subarray(0, 12), 'cut12.wav'), 'cut12.wav', /truncated|no fmt/);
    expectAudioInputError(() => decodeWav(good.subarray(0, 8), 'cut8.wav'), 'cut8.wav', /not a WAV/);
  });

  it('refuses a file with no data chunk', () => {
    const wav = riff([fmtChunk(1, 1, 16000, 16), { id: 'LIST', body: Uint8Array.from([1, 2]) }]);
    expectAudioInputError(() => decodeWav(wav, 'nodata.wav'), 'nodata.wav', /no data chunk/);
  });

  it('refuses unsupported bit depths and formats', () => {
    for (const [tag, bits] of [
      [1, 12],
      [1, 20],
      [1, 64],
      [3, 16],
      [3, 24],
      [2, 16], // MS ADPCM
      [6, 16], // A-law is 8-bit only
      [7, 4],
    ]) {
      const name = `fmt${tag}-${bits}.wav`;
      const wav = riff([fmtChunk(tag, 1, 16000, bits), dataChunk(new Uint8Array(48))]);
      expectAudioInputError(() => decodeWav(wav, name), name, /unsupported WAV encoding/);
    }
  });

  it('refuses zero channels and a zero sample rate', () => {
    const noCh = riff([fmtChunk(1, 0, 16000, 16), dataChunk(s16([1]))]);
    expectAudioInputError(() => decodeWav(noCh, 'noch.wav'), 'noch.wav', /0 channels/);
    const noRate = riff([fmtChunk(1, 1, 0, 16), dataChunk(s16([1]))]);
    expectAudioInputError(() => decodeWav(noRate, 'norate.wav'), 'norate.wav', /sample rate 0/);
  });
});

describe('encodeWav round trip', () => {
  const signal = Float32Array.from({ length: 1000 }, (_, i) => 0.9 * Math.sin(i / 7) * Math.cos(i / 31));

  it('float32 round-trips exactly', () => {
    const d = decodeWav(encodeWav(signal, 22050, 1, 'float32'));
    expect(d.sampleRate).toBe(22050);
    expect(d.channels).toBe(1);
    expect(Array.from(d.samples)).toEqual(Array.from(signal));
  });

  it('pcm16 round-trips within one quantisation step', () => {
    const d = decodeWav(encodeWav(signal, 16000));
    expect(d.samples.length).toBe(signal.length);
    let max = 0;
    for (let i = 0; i < signal.length; i++) max = Math.max(max, Math.abs(d.samples[i] - signal[i]));
    expect(max).toBeLessThanOrEqual(1.5 / 32768);
    expect(max).toBeGreaterThan(0); // it really is quantised
  });

  it('stereo float32 decodes to the channel average', () => {
    const interleaved = Float32Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 0.5 : -0.25) * ((i >> 1) / 100));
    const d = decodeWav(encodeWav(interleaved, 48000, 2, 'float32'));
    expect(d.channels).toBe(2);
    expect(d.samples.length).toBe(100);
    for (let f = 0; f < 100; f++) expect(d.samples[f]).toBeCloseTo((interleaved[2 * f] + interleaved[2 * f + 1]) / 2, 7);
  });

  it('encodeWav output has the layout our own writer produces', () => {
    const ints = [0, 1000, -1000, 32767];
    const mine = riff([fmtChunk(1, 1, 16000, 16), dataChunk(s16(ints))]);
    const theirs = encodeWav(Float32Array.from(ints, (v) => v / 32767), 16000);
    expect([...theirs]).toEqual([...mine]);
  });
});
