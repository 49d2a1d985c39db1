/**
 * Any supported audio file to mono 16 kHz: WAV (PCM int / float, any rate, any channels) or
 * Ogg Opus, recognised by their magic bytes, not the file name.
 */
import { readFile } from 'node:fs/promises';
import { AudioInputError } from '../errors.js';
import { decodeWav, isWav } from './wav.js';
import { decodeOggOpus, isOggOpus } from './opus.js';
import { MODEL_SAMPLE_RATE, resampleAll } from './resample.js';

export async function decodeAudioBytes(bytes: Uint8Array, source?: string): Promise<Float32Array> {
  if (bytes.length === 0) throw new AudioInputError('empty file', source);
  if (isWav(bytes)) {
    const wav = decodeWav(bytes, source);
    try {
      return resampleAll(wav.samples, wav.sampleRate, MODEL_SAMPLE_RATE);
    } catch (e) {
      // The resampler does not know the file: name it, as every other input error does.
      if (e instanceof AudioInputError && e.source === undefined) throw new AudioInputError(e.message, source);
      throw e;
    }
  }
  if (isOggOpus(bytes)) return decodeOggOpus(bytes, source);
  throw new AudioInputError('not a supported audio file (expected WAV or Ogg Opus)', source);
}

export async function decodeAudioFile(path: string): Promise<Float32Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw fileError(e, path);
  }
  return decodeAudioBytes(bytes, path);
}

/** A file-system error as a one-line AudioInputError naming the file. */
export function fileError(e: unknown, path: string): AudioInputError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
  return new AudioInputError(why, path);
}
