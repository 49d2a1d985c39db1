/**
 * Any supported audio file to 16 kHz: WAV (PCM int / float / G.711, any rate, any channels),
 * Ogg Opus, Ogg Vorbis, FLAC (native or Ogg) and MP3, recognised by their first bytes (sniff.ts),
 * not the file name. Mono (channels averaged) for the usual path; one array per channel for
 * recordings whose channels are different parties (`--split-channels`).
 */
import { readFile } from 'node:fs/promises';
import { AudioInputError } from '../errors.js';
import type { G711Law } from './g711.js';
import { decodeFlac, decodeMp3, decodeOggVorbis } from './compressed.js';
import { decodeOggOpus, decodeOggOpusChannels } from './opus.js';
import { downmix } from './pcm.js';
import { frameCount, type PlanarAudio } from './planar.js';
import { MODEL_SAMPLE_RATE, resampleAll } from './resample.js';
import { type AudioFormat, FORMAT_NAMES, sniffAudioFormat } from './sniff.js';
import { decodeWav } from './wav.js';

const NOT_AUDIO = 'not a supported audio file (expected WAV, MP3, FLAC, Ogg Vorbis or Ogg Opus)';

/** The format of `bytes`, or an AudioInputError naming the file and what it holds instead. */
function formatOf(bytes: Uint8Array, source?: string): AudioFormat {
  if (bytes.length === 0) throw new AudioInputError('empty file', source);
  const format = sniffAudioFormat(bytes);
  if (format) return format;
  if (bytes.length >= 4 && String.fromCharCode(...bytes.subarray(0, 4)) === 'OggS') {
    throw new AudioInputError('Ogg file of a codec we do not decode (expected Opus, Vorbis or FLAC)', source);
  }
  throw new AudioInputError(NOT_AUDIO, source);
}

/** What a file says about how it was recorded, beside its samples. */
export interface AudioFileInfo {
  readonly format: AudioFormat;
  /** The rate it was recorded at: the file's own (Ogg Opus: its OpusHead's input rate, as the encoder was told). */
  readonly sampleRate: number;
  /** G.711 WAV files: the law (telephone audio). */
  readonly g711?: G711Law;
}

export interface AudioFileContents extends AudioFileInfo {
  /** 16 kHz: the channels averaged (one array), or each channel (splitChannels). */
  readonly channels: Float32Array[];
}

type Decoded = PlanarAudio & Omit<AudioFileInfo, 'format'>;

/** OpusHead's input sample rate (bytes 12-15 of the header packet; 0 = unspecified). */
function opusInputRate(bytes: Uint8Array): number {
  return bytes.length >= 44 ? new DataView(bytes.buffer, bytes.byteOffset + 40, 4).getUint32(0, true) : 0;
}

/** The file's channels at its own rate (Ogg Opus: at 16 kHz, libopus decodes there natively). */
async function decodePlanar(format: AudioFormat, bytes: Uint8Array, source?: string): Promise<PlanarAudio & { g711?: G711Law }> {
  switch (format) {
    case 'wav':
      return decodeWav(bytes, source);
    case 'ogg-opus':
      return { channelData: await decodeOggOpusChannels(bytes, source), sampleRate: MODEL_SAMPLE_RATE };
    case 'ogg-vorbis':
      return decodeOggVorbis(bytes, source);
    case 'flac':
    case 'ogg-flac':
      return decodeFlac(bytes, source, FORMAT_NAMES[format]);
    case 'mp3':
      return decodeMp3(bytes, source);
  }
}

function to16k(samples: Float32Array, rate: number, source?: string): Float32Array {
  try {
    return resampleAll(samples, rate, MODEL_SAMPLE_RATE);
  } catch (e) {
    // The resampler does not know the file: name it, as every other input error does.
    if (e instanceof AudioInputError && e.source === undefined) throw new AudioInputError(e.message, source);
    throw e;
  }
}

function requireAudio(format: AudioFormat, frames: number, source?: string): void {
  if (frames === 0) throw new AudioInputError(`${FORMAT_NAMES[format]} file holds no audio samples`, source);
}

/** A file's bytes to 16 kHz: the channels averaged, or each channel with splitChannels. */
export async function decodeAudioContents(bytes: Uint8Array, source?: string, options: { splitChannels?: boolean } = {}): Promise<AudioFileContents> {
  const format = formatOf(bytes, source);
  if (format === 'ogg-opus' && !options.splitChannels) {
    // Ogg Opus keeps its own mono path (decoded and averaged per packet at 16 kHz): the corpora
    // are Ogg Opus, and training features are cached from exactly these samples.
    const mono = await decodeOggOpus(bytes, source);
    requireAudio(format, mono.length, source);
    return { format, sampleRate: opusInputRate(bytes) || MODEL_SAMPLE_RATE, channels: [mono] };
  }
  const audio: Decoded = await decodePlanar(format, bytes, source);
  requireAudio(format, frameCount(audio), source);
  const parts = options.splitChannels ? audio.channelData : [downmix(audio.channelData)];
  return {
    format,
    sampleRate: format === 'ogg-opus' ? opusInputRate(bytes) || MODEL_SAMPLE_RATE : audio.sampleRate,
    ...(audio.g711 ? { g711: audio.g711 } : {}),
    channels: parts.map((c) => to16k(c, audio.sampleRate, source)),
  };
}

/** Mono 16 kHz samples of a file's bytes (channels averaged). */
export async function decodeAudioBytes(bytes: Uint8Array, source?: string): Promise<Float32Array> {
  return (await decodeAudioContents(bytes, source)).channels[0];
}

/** 16 kHz samples of each channel of a file's bytes, in the file's channel order. */
export async function decodeAudioBytesChannels(bytes: Uint8Array, source?: string): Promise<Float32Array[]> {
  return (await decodeAudioContents(bytes, source, { splitChannels: true })).channels;
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw fileError(e, path);
  }
}

/** An audio file at 16 kHz (averaged, or each channel) and what it says about its recording. */
export async function readAudioFile(path: string, options: { splitChannels?: boolean } = {}): Promise<AudioFileContents> {
  return decodeAudioContents(await readBytes(path), path, options);
}

/** Mono 16 kHz samples of an audio file. */
export async function decodeAudioFile(path: string): Promise<Float32Array> {
  return decodeAudioBytes(await readBytes(path), path);
}

/** 16 kHz samples of each channel of an audio file (channel 0 first). */
export async function decodeAudioFileChannels(path: string): Promise<Float32Array[]> {
  return decodeAudioBytesChannels(await readBytes(path), path);
}

/** A file-system error as a one-line AudioInputError naming the file. */
export function fileError(e: unknown, path: string): AudioInputError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
  return new AudioInputError(why, path);
}
