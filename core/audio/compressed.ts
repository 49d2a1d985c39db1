/**
 * MP3, FLAC and Ogg Vorbis files through the @wasm-audio-decoders family (mpg123-decoder,
 * @wasm-audio-decoders/flac, @wasm-audio-decoders/ogg-vorbis): libmpg123, libFLAC and libvorbis
 * compiled to WebAssembly by the author of the opus-decoder and codec-parser we already use
 * (docs/decisions.md). Ogg pages are demuxed by codec-parser (ogg.ts); MP3 frames are chained
 * and FLAC frames split by our own header readers below, where codec-parser lost audio.
 *
 * Each returns the file's channels at its own rate. A file the decoder rejects is "corrupt"; one
 * that holds less audio than its own header states (FLAC STREAMINFO, the MP3 Xing/Info frame
 * count, an Ogg stream without its end-of-stream page, an MP3 frame cut short) is "truncated",
 * with both figures. Decoder complaints reach the caller as that error, not on the console (quiet.ts).
 */
import { FLACDecoder } from '@wasm-audio-decoders/flac';
import { OggVorbisDecoder } from '@wasm-audio-decoders/ogg-vorbis';
import { MPEGDecoder } from 'mpg123-decoder';
import { AudioInputError } from '../errors.js';
import { oggPages } from './ogg.js';
import { quietly } from './quiet.js';
import type { PlanarAudio } from './planar.js';
import { id3v2Length, isMpegFrameHeader, mpegFrameLength } from './sniff.js';

interface DecodeResult {
  readonly channelData: Float32Array[];
  readonly samplesDecoded: number;
  readonly sampleRate: number;
  readonly errors: { message: string; frameNumber: number }[];
}

/** The decoded channels trimmed to `samplesDecoded`, or an error naming the decoder's complaint. */
function planar(r: DecodeResult, channels: number, formatName: string, source?: string): PlanarAudio {
  if (r.errors.length > 0) {
    const e = r.errors[0];
    throw new AudioInputError(`corrupt ${formatName} file (${e.message.trim()} at frame ${e.frameNumber}${r.errors.length > 1 ? `, and ${r.errors.length - 1} more errors` : ''})`, source);
  }
  if (r.samplesDecoded === 0) throw new AudioInputError(`${formatName} file decodes to no audio (truncated or corrupt)`, source);
  return { channelData: r.channelData.slice(0, channels).map((c) => c.slice(0, r.samplesDecoded)), sampleRate: r.sampleRate };
}

function seconds(samples: number, rate: number): string {
  return `${(samples / rate).toFixed(2)} s`;
}

// ---------------------------------------------------------------------------------------- MP3

/**
 * Frame count of a Xing/Info frame (LAME, ffmpeg and most encoders write one as the first frame):
 * the tag sits after the side information, so it is searched in the frame's first 64 bytes.
 */
function xingFrameCount(frame: Uint8Array): number | undefined {
  const text = String.fromCharCode(...frame.subarray(0, Math.min(64, frame.length)));
  const at = Math.max(text.indexOf('Xing'), text.indexOf('Info'));
  if (at < 0 || at + 12 > frame.length) return undefined;
  const view = new DataView(frame.buffer, frame.byteOffset + at + 4, 8);
  return view.getUint32(0) & 1 ? view.getUint32(4) : undefined;
}

/** Bytes a trailing ID3v1 ("TAG", 128 bytes) and APEv2 ("APETAGEX" footer) take at the end. */
function trailingTagBytes(bytes: Uint8Array): number {
  let end = bytes.length;
  if (end >= 128 && String.fromCharCode(...bytes.subarray(end - 128, end - 125)) === 'TAG') end -= 128;
  if (end >= 32 && String.fromCharCode(...bytes.subarray(end - 32, end - 24)) === 'APETAGEX') {
    end -= new DataView(bytes.buffer, bytes.byteOffset + end - 20, 4).getUint32(0, true) + 32;
  }
  return bytes.length - Math.max(0, end);
}

interface MpegStream {
  readonly frames: number;
  readonly channels: 1 | 2;
  /** The first frame's bytes (a Xing/Info frame, when the encoder wrote one). */
  readonly first: Uint8Array;
}

/**
 * Walks the frame chain (each header gives the next one's position): bytes between frames that
 * are not a frame are damage, and a last frame longer than what is left of the file (end tags
 * aside) was cut. The decoder would skip both without a word.
 */
function mpegFrameChain(bytes: Uint8Array, source?: string): MpegStream {
  const end = bytes.length - trailingTagBytes(bytes);
  let pos = id3v2Length(bytes);
  let frames = 0;
  let damaged = 0;
  let first: { offset: number; length: number } | undefined;
  while (pos + 4 <= end) {
    if (!isMpegFrameHeader(bytes, pos)) {
      damaged++;
      pos++;
      continue;
    }
    const length = mpegFrameLength(bytes, pos);
    if (pos + length > end) {
      throw new AudioInputError(`truncated MP3 file: frame ${frames + 1} is cut after ${end - pos} of its ${length} bytes`, source);
    }
    first ??= { offset: pos, length };
    frames++;
    pos += length;
  }
  if (!first) throw new AudioInputError('MP3 file holds no whole MPEG audio frame (truncated or corrupt)', source);
  if (damaged > 0) throw new AudioInputError(`corrupt MP3 file: ${damaged} bytes between its ${frames} frames are not MPEG audio`, source);
  const channelMode = bytes[first.offset + 3] >> 6; // 3 = single channel
  return { frames, channels: channelMode === 3 ? 1 : 2, first: bytes.subarray(first.offset, first.offset + first.length) };
}

export async function decodeMp3(bytes: Uint8Array, source?: string): Promise<PlanarAudio> {
  const stream = mpegFrameChain(bytes, source);
  const declared = xingFrameCount(stream.first);
  if (declared !== undefined && stream.frames - 1 < declared) {
    throw new AudioInputError(`truncated MP3 file: header says ${declared} frames, file holds ${stream.frames - 1}`, source);
  }
  const decoder = new MPEGDecoder();
  await decoder.ready;
  try {
    // mpg123 always outputs two channels: keep the file's own count.
    return planar(quietly(() => decoder.decode(bytes)), stream.channels, 'MP3', source);
  } finally {
    decoder.free();
  }
}

// --------------------------------------------------------------------------------------- FLAC

/** Total samples per channel the STREAMINFO block states (36 bits; 0 = unknown). */
function flacDeclaredSamples(bytes: Uint8Array): number {
  const si = id3v2Length(bytes) + 8; // "fLaC" + the metadata block header; STREAMINFO is always first
  if (si + 18 > bytes.length) return 0;
  return (bytes[si + 13] & 0x0f) * 2 ** 32 + new DataView(bytes.buffer, bytes.byteOffset + si + 14, 4).getUint32(0);
}

/** CRC-8 (polynomial 0x07, initial 0) of bytes[from, to): the FLAC frame header's check. */
function crc8(bytes: Uint8Array, from: number, to: number): number {
  let crc = 0;
  for (let i = from; i < to; i++) {
    crc ^= bytes[i];
    for (let b = 0; b < 8; b++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

/**
 * The frame (fixed block size) or sample (variable) number of a FLAC frame header at `o`, when
 * the bytes there are a whole header with a valid CRC-8; undefined otherwise. RFC 9639 section 9.1.
 */
function flacHeaderNumber(d: Uint8Array, o: number): number | undefined {
  if (o + 6 > d.length || d[o] !== 0xff || (d[o + 1] & 0xfe) !== 0xf8) return undefined;
  const blockCode = d[o + 2] >> 4;
  const rateCode = d[o + 2] & 0x0f;
  if (blockCode === 0 || rateCode === 15 || d[o + 3] >> 4 > 10 || d[o + 3] & 1) return undefined;
  const first = d[o + 4];
  const extra = first < 0x80 ? 0 : first >= 0xfe ? 6 : first >= 0xfc ? 5 : first >= 0xf8 ? 4 : first >= 0xf0 ? 3 : first >= 0xe0 ? 2 : first >= 0xc0 ? 1 : -1;
  if (extra < 0) return undefined;
  let number = extra === 0 ? first : first & (0x3f >> extra);
  for (let i = 1; i <= extra; i++) number = number * 64 + (d[o + 4 + i] & 0x3f);
  let p = o + 5 + extra;
  p += blockCode === 6 ? 1 : blockCode === 7 ? 2 : 0;
  p += rateCode === 12 ? 1 : rateCode === 13 || rateCode === 14 ? 2 : 0;
  if (p >= d.length || crc8(d, o, p) !== d[p]) return undefined;
  return number;
}

/** CRC-16 (polynomial 0x8005, initial 0) of one byte after `crc`, by table: the FLAC frame footer's check. */
const CRC16_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let crc = n << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
    t[n] = crc;
  }
  return t;
})();

/** Whether bytes[from, to) end with the CRC-16 of everything before it: a whole FLAC frame. */
function endsWithFrameCrc(d: Uint8Array, from: number, to: number): boolean {
  if (to - from < 8) return false;
  let crc = 0;
  for (let i = from; i < to - 2; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[(crc >> 8) ^ d[i]];
  return crc === (d[to - 2] << 8) + d[to - 1];
}

/**
 * FLAC frames of `region` (a native file's audio after its metadata blocks, or one Ogg packet),
 * split by our own reading of RFC 9639 rather than codec-parser's: codec-parser (2.5.0) missed a
 * frame whose block size is coded at the end of its header (the usual last, shorter frame: ffmpeg's
 * 8 kHz FLACs lost 352 of 32032 samples) and held back a native file's last frame until a header
 * after it turned up (a 22.05 kHz FLAC lost 1376 of 91232). A frame ends where the next header
 * starts: a sync code whose header has a valid CRC-8, whose number follows this frame's (+1 for a
 * fixed block size, larger for a variable one), and where the bytes before it end with this
 * frame's CRC-16. The last frame runs to the end and is kept only when its CRC-16 holds, so a file
 * cut inside it is reported by the truncation check, not decoded as noise.
 */
function splitFlacFrames(region: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  let number = flacHeaderNumber(region, 0);
  if (number === undefined) return out;
  for (let i = 1; i + 1 < region.length; i++) {
    if (region[i] !== 0xff || (region[i + 1] & 0xfe) !== 0xf8) continue;
    const next = flacHeaderNumber(region, i);
    if (next === undefined || next <= number) continue;
    // Fixed block size (bit 0 of byte 1 clear): frame numbers go up by one.
    if ((region[i + 1] & 1) === 0 && next !== number + 1) continue;
    if (!endsWithFrameCrc(region, start, i)) continue;
    out.push(region.subarray(start, i));
    start = i;
    number = next;
  }
  if (endsWithFrameCrc(region, start, region.length)) out.push(region.subarray(start));
  return out;
}

/**
 * Where a native FLAC file's frames begin: after any ID3v2 tag, "fLaC" and the metadata blocks
 * (each a 4-byte header: last-block flag and type, then a 24-bit length). Audio ends before a
 * trailing ID3v1/APEv2 tag, if any.
 */
function flacAudioRegion(bytes: Uint8Array, source?: string): Uint8Array {
  let o = id3v2Length(bytes);
  if (String.fromCharCode(...bytes.subarray(o, o + 4)) !== 'fLaC') throw new AudioInputError('corrupt FLAC file (no "fLaC" marker)', source);
  o += 4;
  for (let last = false; !last; ) {
    if (o + 4 > bytes.length) throw new AudioInputError('truncated FLAC file (its metadata blocks run past the end)', source);
    last = (bytes[o] & 0x80) !== 0;
    o += 4 + ((bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3]);
  }
  return bytes.subarray(Math.min(o, bytes.length), bytes.length - trailingTagBytes(bytes));
}

/** The frames of a native or Ogg FLAC file (Ogg pages demuxed by codec-parser, each packet split again). */
function flacFrames(bytes: Uint8Array, formatName: string, source?: string): Uint8Array[] {
  if (formatName !== 'Ogg FLAC') return splitFlacFrames(flacAudioRegion(bytes, source));
  try {
    return oggPages(bytes, formatName, source).flatMap((p) => p.codecFrames.flatMap((f) => splitFlacFrames(f.data)));
  } catch (e) {
    if (e instanceof AudioInputError) throw e;
    throw new AudioInputError(`corrupt ${formatName} file (${(e as Error).message})`, source);
  }
}

/** FLAC, native or in Ogg. */
export async function decodeFlac(bytes: Uint8Array, source?: string, formatName = 'FLAC'): Promise<PlanarAudio> {
  const frames = flacFrames(bytes, formatName, source);
  if (frames.length === 0) throw new AudioInputError(`${formatName} file holds no whole audio frame (truncated or corrupt)`, source);
  const decoder = new FLACDecoder();
  await decoder.ready;
  try {
    const r = await quietly(() => decoder.decodeFrames(frames));
    const audio = planar(r, r.channelData.length, formatName, source);
    const declared = formatName === 'FLAC' ? flacDeclaredSamples(bytes) : 0;
    if (declared > r.samplesDecoded) {
      throw new AudioInputError(
        `truncated or damaged FLAC file: header says ${declared} samples (${seconds(declared, r.sampleRate)}), file holds ${r.samplesDecoded} (${seconds(r.samplesDecoded, r.sampleRate)})`,
        source,
      );
    }
    return audio;
  } finally {
    decoder.free();
  }
}

// --------------------------------------------------------------------------------- Ogg Vorbis

export async function decodeOggVorbis(bytes: Uint8Array, source?: string): Promise<PlanarAudio> {
  const pages = oggPages(bytes, 'Ogg Vorbis', source);
  const decoder = new OggVorbisDecoder();
  await decoder.ready;
  try {
    const r = await quietly(() => decoder.decodeOggPages(pages));
    return planar(r, r.channelData.length, 'Ogg Vorbis', source);
  } finally {
    decoder.free();
  }
}
