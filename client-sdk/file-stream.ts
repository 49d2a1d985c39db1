/**
 * Node only: stream an audio file through a session, in real time or faster. WAV is sent as PCM
 * (its samples, channels averaged, at its own rate); Ogg Opus as its own packets (encoding
 * `opus`, with the file's pre-skip) or decoded to 16 kHz PCM. G.711 (pcm_mulaw, pcm_alaw) is sent
 * at 8 kHz, as a telephone line carries it: the file is resampled to 8 kHz and companded.
 */
import { readFile } from 'node:fs/promises';
import { decodeOggOpus, demuxOggOpus, isOggOpus } from '../core/audio/opus.js';
import { resampleAll } from '../core/audio/resample.js';
import { decodeWav, isWav } from '../core/audio/wav.js';
import { G711_SAMPLE_RATE } from '../core/protocol/index.js';
import { fileError } from '../core/audio/decode-file.js';
import type { EndMessage, Encoding } from '../core/protocol/index.js';
import type { ConnectOptions, Session } from './session.js';
import { pcmBytes } from './pcm-bytes.js';
import { UndertoneError } from './errors.js';

export interface FileAudio {
  readonly encoding: Encoding;
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  readonly preSkip?: number;
  /** Messages to send, in order. */
  readonly chunks: Uint8Array[];
  /** Stream time of each chunk (ms). */
  readonly chunkMs: number[];
}

const CHUNK_MS = 100;

/** Duration (ms) of a raw Opus packet from its TOC byte (RFC 6716 section 3.1). */
export function opusPacketMs(packet: Uint8Array): number {
  const toc = packet[0];
  const config = toc >> 3;
  const frameMs = config < 12 ? [10, 20, 40, 60][config % 4] : config < 16 ? [10, 20][config % 2] : [2.5, 5, 10, 20][config % 4];
  const code = toc & 3;
  const frames = code === 0 ? 1 : code < 3 ? 2 : (packet[1] ?? 0) & 0x3f;
  return frameMs * frames;
}

/** Reads a WAV or Ogg Opus file and cuts it into the messages of `encoding` (default: opus for Ogg Opus, pcm_s16le for WAV). */
export async function loadFileAudio(file: string, encoding?: Encoding): Promise<FileAudio> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw fileError(e, file);
  }
  if (isOggOpus(bytes)) {
    if ((encoding ?? 'opus') === 'opus') {
      const s = demuxOggOpus(bytes, file);
      return {
        encoding: 'opus',
        sampleRate: 48000,
        channels: s.channels > 1 ? 2 : 1,
        preSkip: s.preSkip,
        chunks: s.packets,
        chunkMs: s.packets.map(opusPacketMs),
      };
    }
    return pcmChunks(await decodeOggOpus(bytes, file), 16000, encoding as Exclude<Encoding, 'opus'>);
  }
  if (isWav(bytes)) {
    if (encoding === 'opus') {
      throw new UndertoneError(
        'invalid_audio_input',
        `${file}: --encoding opus needs an Ogg Opus file (the SDK does not encode Opus); use a PCM or G.711 encoding for WAV`,
      );
    }
    const wav = decodeWav(bytes, file);
    return pcmChunks(wav.samples, wav.sampleRate, encoding ?? 'pcm_s16le');
  }
  throw new UndertoneError('invalid_audio_input', `${file}: not a supported audio file (expected WAV or Ogg Opus)`);
}

function pcmChunks(samples: Float32Array, sampleRate: number, encoding: Exclude<Encoding, 'opus'>): FileAudio {
  if ((encoding === 'pcm_mulaw' || encoding === 'pcm_alaw') && sampleRate !== G711_SAMPLE_RATE) {
    samples = resampleAll(samples, sampleRate, G711_SAMPLE_RATE);
    sampleRate = G711_SAMPLE_RATE;
  }
  const per = Math.round((sampleRate * CHUNK_MS) / 1000);
  const chunks: Uint8Array[] = [];
  const chunkMs: number[] = [];
  for (let o = 0; o < samples.length; o += per) {
    const part = samples.subarray(o, Math.min(samples.length, o + per));
    chunks.push(pcmBytes(part, encoding));
    chunkMs.push((part.length * 1000) / sampleRate);
  }
  return { encoding, sampleRate, channels: 1, chunks, chunkMs };
}

export interface StreamFileOptions extends Omit<ConnectOptions, 'encoding' | 'sampleRate' | 'channels' | 'preSkip'> {
  /** Encoding to send (default: opus for Ogg Opus files, pcm_s16le for WAV). */
  readonly encoding?: Encoding;
  /** Playback speed: 1 = real time, 2 = twice as fast, 0 (default) = as fast as backpressure allows. */
  readonly speed?: number;
  /** Called with the session before any audio is sent (subscribe to `emotion` here). */
  readonly onSession?: (session: Session) => void;
}

export interface StreamFileResult {
  readonly session: Session;
  readonly end: EndMessage;
  readonly audio: FileAudio;
}

/** Connects (with `connect`), streams the file paced by `speed`, stops, and resolves with the `end` message. */
export async function streamFileWith(
  connect: (options: ConnectOptions) => Promise<Session>,
  file: string,
  options: StreamFileOptions,
): Promise<StreamFileResult> {
  const audio = await loadFileAudio(file, options.encoding);
  const { speed = 0, onSession, encoding: _e, ...rest } = options;
  const session = await connect({
    ...rest,
    encoding: audio.encoding,
    sampleRate: audio.sampleRate,
    channels: audio.channels,
    ...(audio.preSkip !== undefined ? { preSkip: audio.preSkip } : {}),
  });
  onSession?.(session);
  try {
    const t0 = performance.now();
    let streamMs = 0;
    for (let i = 0; i < audio.chunks.length; i++) {
      if (speed > 0) {
        const wait = t0 + streamMs / speed - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      }
      await (audio.encoding === 'opus' ? session.sendOpus(audio.chunks[i]) : session.sendPcm(audio.chunks[i]));
      streamMs += audio.chunkMs[i];
    }
    const end = await session.stop();
    return { session, end, audio };
  } catch (e) {
    session.close();
    throw e;
  }
}
