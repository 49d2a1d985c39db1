/**
 * Which audio format a file holds, from its first bytes (never its name): a `.wav` that is really
 * an MP3, or a call recording saved without an extension, decode all the same.
 */
import { isOggOpus } from './opus.js';
import { isWav } from './wav.js';

export type AudioFormat = 'wav' | 'ogg-opus' | 'ogg-vorbis' | 'ogg-flac' | 'flac' | 'mp3';

/** Human name of each format, for messages. */
export const FORMAT_NAMES: Readonly<Record<AudioFormat, string>> = {
  wav: 'WAV',
  'ogg-opus': 'Ogg Opus',
  'ogg-vorbis': 'Ogg Vorbis',
  'ogg-flac': 'Ogg FLAC',
  flac: 'FLAC',
  mp3: 'MP3',
};

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

/**
 * Length of a leading ID3v2 tag (MP3 tools write one; some FLAC writers too): 10-byte header,
 * 28-bit "syncsafe" size (7 bits a byte), plus a 10-byte footer when flagged.
 */
export function id3v2Length(bytes: Uint8Array): number {
  if (bytes.length < 10 || ascii(bytes, 0, 3) !== 'ID3') return 0;
  const size = ((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f);
  return 10 + size + (bytes[5] & 0x10 ? 10 : 0);
}

/**
 * An MPEG audio frame header at `offset`: 11 sync bits, then no reserved version, layer, bitrate
 * or sample-rate code. Random bytes (text, other formats) practically never pass all four.
 */
export function isMpegFrameHeader(bytes: Uint8Array, offset: number): boolean {
  if (offset + 4 > bytes.length) return false;
  const [b0, b1, b2] = [bytes[offset], bytes[offset + 1], bytes[offset + 2]];
  if (b0 !== 0xff || (b1 & 0xe0) !== 0xe0) return false;
  const version = (b1 >> 3) & 3;
  const layer = (b1 >> 1) & 3;
  const bitrate = b2 >> 4;
  const rate = (b2 >> 2) & 3;
  return version !== 1 && layer !== 0 && bitrate !== 0 && bitrate !== 15 && rate !== 3;
}

const MPEG_BITRATES_KBPS: Readonly<Record<string, readonly number[]>> = {
  // [version 1 | 2 (2 and 2.5)][layer 1..3], index 1..14 (0 = free format, 15 = invalid)
  '1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '2-3': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MPEG_RATES: Readonly<Record<number, readonly number[]>> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

/** Length in bytes of the MPEG audio frame whose (valid) header is at `offset` (ISO 11172-3 / 13818-3). */
export function mpegFrameLength(bytes: Uint8Array, offset: number): number {
  const b1 = bytes[offset + 1];
  const b2 = bytes[offset + 2];
  const version = (b1 >> 3) & 3; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
  const layer = 4 - ((b1 >> 1) & 3); // 1..3
  const kbps = MPEG_BITRATES_KBPS[`${version === 3 ? 1 : 2}-${layer}`][b2 >> 4];
  const rate = MPEG_RATES[version][(b2 >> 2) & 3];
  const padding = (b2 >> 1) & 1;
  if (layer === 1) return (Math.floor((12000 * kbps) / rate) + padding) * 4;
  const perFrame = layer === 3 && version !== 3 ? 72000 : 144000;
  return Math.floor((perFrame * kbps) / rate) + padding;
}

/** The first packet's magic of an Ogg stream (the first page's payload). */
function oggCodec(bytes: Uint8Array): AudioFormat | undefined {
  if (bytes.length < 28 || ascii(bytes, 0, 4) !== 'OggS') return undefined;
  if (isOggOpus(bytes)) return 'ogg-opus';
  const payload = 27 + bytes[26];
  if (ascii(bytes, payload, 7) === '\x01vorbis') return 'ogg-vorbis';
  if (ascii(bytes, payload, 5) === '\x7fFLAC') return 'ogg-flac';
  return undefined;
}

/** The format of `bytes`, or undefined when it is none we decode. */
export function sniffAudioFormat(bytes: Uint8Array): AudioFormat | undefined {
  if (isWav(bytes)) return 'wav';
  if (ascii(bytes, 0, 4) === 'OggS') return oggCodec(bytes);
  const start = id3v2Length(bytes);
  if (ascii(bytes, start, 4) === 'fLaC') return 'flac';
  if (isMpegFrameHeader(bytes, start)) return 'mp3';
  return undefined;
}
