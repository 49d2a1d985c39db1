/**
 * RIFF/WAVE parsing: PCM 8 (unsigned), 16, 24, 32-bit integer, 32/64-bit float, G.711 A-law
 * (format 6) and μ-law (format 7, the usual telephony recording), any rate, any channel count,
 * WAVE_FORMAT_EXTENSIBLE included. Returns each channel and their average, at the file's own
 * rate; resampling is a separate step.
 *
 * A data chunk whose declared size is larger than the file is a truncated file and an error
 * naming both sizes; only the sizes live writers leave when they cannot seek back (0 and
 * 0xFFFFFFFF, e.g. ffmpeg writing to a pipe) mean "as much as the file holds".
 */
import { AudioInputError } from '../errors.js';
import { G711_DECODE_TABLES, type G711Law } from './g711.js';
import { downmix } from './pcm.js';
import type { PlanarAudio } from './planar.js';

export interface DecodedAudio extends PlanarAudio {
  /** The channels averaged (mono). */
  readonly samples: Float32Array;
  readonly channels: number;
  /** Set for G.711 files (formats 6 and 7): telephone audio. */
  readonly g711?: G711Law;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_ALAW = 6;
const FORMAT_MULAW = 7;
const FORMAT_EXTENSIBLE = 0xfffe;
/** Data sizes that mean "unknown, read to the end of the file" (writers that could not seek back). */
const UNKNOWN_SIZES = new Set([0, 0xffffffff]);

export function isWav(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WAVE';
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

export function decodeWav(bytes: Uint8Array, source?: string): DecodedAudio {
  if (!isWav(bytes)) throw new AudioInputError('not a WAV file (no RIFF/WAVE header)', source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 12;
  let format: { tag: number; channels: number; rate: number; bits: number; blockAlign: number } | undefined;
  let data: { offset: number; length: number } | undefined;
  while (offset + 8 <= bytes.length) {
    const id = ascii(bytes, offset, 4);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) throw new AudioInputError(`truncated WAV header (fmt chunk: ${Math.max(0, bytes.length - body)} of ${Math.max(size, 16)} bytes)`, source);
      let tag = view.getUint16(body, true);
      if (tag === FORMAT_EXTENSIBLE && size >= 40) tag = view.getUint16(body + 24, true); // sub-format GUID's first two bytes
      format = {
        tag,
        channels: view.getUint16(body + 2, true),
        rate: view.getUint32(body + 4, true),
        blockAlign: view.getUint16(body + 12, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      // Streams written live often leave the size as 0 or 0xFFFFFFFF: take what the file holds.
      const available = bytes.length - body;
      if (size > available && !UNKNOWN_SIZES.has(size)) {
        throw new AudioInputError(`truncated WAV file: header says ${size} bytes of audio, file holds ${available}`, source);
      }
      data = { offset: body, length: UNKNOWN_SIZES.has(size) ? available : size };
      if (format) break;
    } else if (body + size > bytes.length && !format) {
      throw new AudioInputError(`truncated WAV header ("${id}" chunk says ${size} bytes, file holds ${bytes.length - body})`, source);
    }
    offset = body + size + (size & 1);
  }
  if (!format) throw new AudioInputError('truncated or invalid WAV header (no fmt chunk)', source);
  if (!data) throw new AudioInputError(`WAV file has no data chunk (truncated after ${bytes.length} bytes?)`, source);
  const { tag, channels, rate, bits } = format;
  if (channels < 1) throw new AudioInputError(`WAV file declares ${channels} channels`, source);
  if (rate < 1) throw new AudioInputError(`WAV file declares sample rate ${rate}`, source);
  const bytesPer = bits / 8;
  const supported =
    (tag === FORMAT_PCM && [8, 16, 24, 32].includes(bits)) ||
    (tag === FORMAT_FLOAT && (bits === 32 || bits === 64)) ||
    ((tag === FORMAT_ALAW || tag === FORMAT_MULAW) && bits === 8);
  if (!supported) throw new AudioInputError(`unsupported WAV encoding (format ${tag}, ${bits}-bit)`, source);
  const frameBytes = bytesPer * channels;
  const frames = Math.floor(data.length / frameBytes);
  const channelData = Array.from({ length: channels }, () => new Float32Array(frames));
  const read = sampleReader(tag, bits, view);
  for (let f = 0, o = data.offset; f < frames; f++) {
    for (let c = 0; c < channels; c++, o += bytesPer) channelData[c][f] = read(o);
  }
  const g711: G711Law | undefined = tag === FORMAT_ALAW ? 'alaw' : tag === FORMAT_MULAW ? 'mulaw' : undefined;
  return { samples: downmix(channelData), channelData, sampleRate: rate, channels, ...(g711 ? { g711 } : {}) };
}

function sampleReader(tag: number, bits: number, view: DataView): (offset: number) => number {
  if (tag === FORMAT_ALAW || tag === FORMAT_MULAW) {
    // The same G.711 tables as the live pcm_alaw / pcm_mulaw streams, so a file equals its stream.
    const table = G711_DECODE_TABLES[tag === FORMAT_ALAW ? 'alaw' : 'mulaw'];
    return (o) => table[view.getUint8(o)];
  }
  if (tag === FORMAT_FLOAT) {
    return bits === 32
      ? (o) => finiteOrZero(view.getFloat32(o, true))
      : (o) => finiteOrZero(view.getFloat64(o, true));
  }
  switch (bits) {
    case 8:
      return (o) => (view.getUint8(o) - 128) / 128;
    case 16:
      return (o) => view.getInt16(o, true) / 32768;
    case 24:
      return (o) => ((view.getUint8(o) | (view.getUint8(o + 1) << 8) | (view.getInt8(o + 2) << 16)) / 8388608);
    default:
      return (o) => view.getInt32(o, true) / 2147483648;
  }
}

function finiteOrZero(x: number): number {
  return Number.isFinite(x) ? x : 0;
}

/** Writes mono or interleaved PCM as a WAV file (16-bit int or 32-bit float). Used by tests and tools. */
export function encodeWav(
  interleaved: Float32Array,
  sampleRate: number,
  channels = 1,
  encoding: 'pcm16' | 'float32' = 'pcm16',
): Buffer {
  const bytesPer = encoding === 'pcm16' ? 2 : 4;
  const dataBytes = interleaved.length * bytesPer;
  const buf = Buffer.alloc(44 + dataBytes);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + dataBytes, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(encoding === 'pcm16' ? FORMAT_PCM : FORMAT_FLOAT, 20);
  buf.writeUInt16LE(channels, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * channels * bytesPer, 28);
  buf.writeUInt16LE(channels * bytesPer, 32);
  buf.writeUInt16LE(bytesPer * 8, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < interleaved.length; i++) {
    if (encoding === 'pcm16') buf.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(interleaved[i] * 32767))), 44 + i * 2);
    else buf.writeFloatLE(interleaved[i], 44 + i * 4);
  }
  return buf;
}
