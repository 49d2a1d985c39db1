/**
 * RIFF/WAVE parsing: PCM 8 (unsigned), 16, 24, 32-bit integer and 32/64-bit float, any rate, any
 * channel count, WAVE_FORMAT_EXTENSIBLE included. Returns mono (channels averaged) at the file's
 * own rate; resampling is a separate step.
 */
import { AudioInputError } from '../errors.js';

export interface DecodedAudio {
  readonly samples: Float32Array;
  readonly sampleRate: number;
  readonly channels: number;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

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
      if (size < 16 || body + 16 > bytes.length) throw new AudioInputError('truncated WAV header (fmt chunk)', source);
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
      data = { offset: body, length: size === 0 || size > available ? available : size };
      if (format) break;
    }
    offset = body + size + (size & 1);
  }
  if (!format) throw new AudioInputError('truncated or invalid WAV header (no fmt chunk)', source);
  if (!data) throw new AudioInputError('WAV file has no data chunk', source);
  const { tag, channels, rate, bits } = format;
  if (channels < 1) throw new AudioInputError(`WAV file declares ${channels} channels`, source);
  if (rate < 1) throw new AudioInputError(`WAV file declares sample rate ${rate}`, source);
  const bytesPer = bits / 8;
  const supported =
    (tag === FORMAT_PCM && [8, 16, 24, 32].includes(bits)) || (tag === FORMAT_FLOAT && (bits === 32 || bits === 64));
  if (!supported) throw new AudioInputError(`unsupported WAV encoding (format ${tag}, ${bits}-bit)`, source);
  const frameBytes = bytesPer * channels;
  const frames = Math.floor(data.length / frameBytes);
  const samples = new Float32Array(frames);
  const read = sampleReader(tag, bits, view);
  const inv = 1 / channels;
  for (let f = 0, o = data.offset; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++, o += bytesPer) sum += read(o);
    samples[f] = sum * inv;
  }
  return { samples, sampleRate: rate, channels };
}

function sampleReader(tag: number, bits: number, view: DataView): (offset: number) => number {
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
