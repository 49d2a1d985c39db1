/**
 * Real corpus speech for load generation, prepared once: a signal of concatenated corpus files
 * at 16 kHz, and each session's stream of binary messages cut from it (PCM s16le or Opus
 * packets encoded by libopus through opusscript) with the message that completes each second.
 */
import OpusScript from 'opusscript';
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import { corpusFile, manifestRows } from '../../test/corpora.js';

export type BenchEncoding = 'pcm_s16le' | 'opus';
export const SAMPLE_RATE = 16000;

/** `seconds` of speech: corpus files of > 2.5 s spread over the manifest, back to back. */
export async function corpusSpeech(seconds: number): Promise<Float32Array> {
  const rows = manifestRows().filter((r) => r.durationS > 2.5);
  if (rows.length === 0) throw new Error('no corpus file longer than 2.5 s in manifest.csv');
  const out = new Float32Array(Math.round(seconds * SAMPLE_RATE));
  let o = 0;
  for (let i = 0; o < out.length; i += 37) {
    const s = await decodeAudioFile(corpusFile(rows[i % rows.length]));
    out.set(s.subarray(0, Math.min(s.length, out.length - o)), o);
    o += s.length;
  }
  return out;
}

function toS16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32767)));
  return out;
}

/** One session's messages; `secondEnds[k-1]` is the index of the message that completes second k. */
export interface SessionAudio {
  readonly start: { type: 'start'; encoding: BenchEncoding; sampleRate: 16000; channels: 1; preSkip?: number };
  readonly messages: readonly Uint8Array[];
  readonly secondEnds: readonly number[];
  readonly frameMs: number;
}

/**
 * The whole pool encoded once into `frameMs` messages; a session is a run of `seconds` seconds
 * starting at a whole second of the pool, so sessions send different speech without encoding
 * per session. (An Opus decoder joining mid-stream needs no earlier packet: Opus packets decode
 * independently, the first few ms just lack the encoder's history.)
 */
export class AudioPool {
  private readonly frames: Uint8Array[];
  readonly framesPerSecond: number;

  private constructor(readonly encoding: BenchEncoding, readonly frameMs: number, frames: Uint8Array[], readonly seconds: number) {
    this.frames = frames;
    this.framesPerSecond = 1000 / frameMs;
  }

  static build(speech: Float32Array, encoding: BenchEncoding, frameMs: number): AudioPool {
    if (1000 % frameMs !== 0) throw new Error(`--frame-ms must divide a second, got ${frameMs}`);
    const frame = (SAMPLE_RATE * frameMs) / 1000;
    const s16 = toS16(speech);
    const frames: Uint8Array[] = [];
    const usable = Math.floor(s16.length / SAMPLE_RATE) * SAMPLE_RATE;
    if (encoding === 'pcm_s16le') {
      const bytes = new Uint8Array(s16.buffer, 0, usable * 2);
      for (let o = 0; o < usable * 2; o += frame * 2) frames.push(bytes.subarray(o, o + frame * 2));
    } else {
      const encoder = new OpusScript(SAMPLE_RATE, 1, OpusScript.Application.AUDIO);
      try {
        for (let o = 0; o < usable; o += frame) {
          const packet = encoder.encode(Buffer.from(s16.buffer, o * 2, frame * 2), frame);
          frames.push(new Uint8Array(packet));
        }
      } finally {
        encoder.delete();
      }
    }
    return new AudioPool(encoding, frameMs, frames, usable / SAMPLE_RATE);
  }

  /** `seconds` of audio starting at whole second `offset` of the pool (wrapping). */
  session(offset: number, seconds: number): SessionAudio {
    if (seconds > this.seconds) throw new Error(`a session of ${seconds} s needs a pool of at least that (have ${this.seconds} s)`);
    const first = (offset % (this.seconds - seconds + 1)) * this.framesPerSecond;
    const messages = this.frames.slice(first, first + seconds * this.framesPerSecond);
    const secondEnds = Array.from({ length: seconds }, (_, k) => (k + 1) * this.framesPerSecond - 1);
    return { start: { type: 'start', encoding: this.encoding, sampleRate: SAMPLE_RATE, channels: 1 }, messages, secondEnds, frameMs: this.frameMs };
  }
}
