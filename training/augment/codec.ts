/**
 * Lossy codecs a customer's recording may have gone through: the audio is encoded and decoded
 * again, so training hears the codec's artefacts (band limits, pre-echo, quantisation noise)
 * that the corpora's own Ogg Opus at 16 kHz does not show. MP3, AAC, Opus and G.722 (HD-voice
 * telephony, 16 kHz) are real encoders run by Debian's ffmpeg (scripts/ensure-sox-ffmpeg.sh);
 * 8-bit μ-law at 16 kHz (a WAV format sox and telephony servers write) is our own G.711 code.
 *
 * Why ffmpeg and not an npm encoder: the encoders users' files come from are these libraries
 * (LAME, libopus, FFmpeg's AAC), and ffmpeg is already what the tests transcode with. A process
 * per clip costs ~0.35 s of CPU (two spawns; ffmpeg's start-up alone is ~0.14 s), paid once: the
 * features are cached per augmentation id.
 *
 * The decoded length is what the decoder gives: through a pipe there is no gapless header, so MP3
 * and AAC keep their encoder delay (1105 and 1024 samples with Debian's ffmpeg 5.1) and end
 * padding, under 0.1 s of near-silence; the same for every label, so it carries none.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { g711Decode, g711Encode } from '../../core/audio/g711.js';
import { MODEL_SAMPLE_RATE } from '../../core/audio/resample.js';

export const CODEC_KINDS = ['mp3', 'aac', 'opus', 'g722', 'mulaw'] as const;
export type CodecKind = (typeof CODEC_KINDS)[number];

export interface CodecSpec {
  readonly kind: CodecKind;
  /** Bit rate in kb/s for mp3, aac and opus; absent for g722 (64 kb/s by definition) and mulaw (128). */
  readonly kbps?: number;
}

/** Bit rates each codec may be drawn at (kb/s): from speech-grade to the low end of music-grade. */
export const CODEC_BITRATES: Readonly<Record<CodecKind, readonly number[]>> = {
  mp3: [24, 32, 48, 64],
  aac: [24, 32, 48],
  opus: [10, 16, 24],
  g722: [],
  mulaw: [],
};

/** ffmpeg's encoder, the container through the pipe (muxer and demuxer names), and extra flags per codec. */
const FFMPEG: Readonly<Record<Exclude<CodecKind, 'mulaw'>, { encoder: string; mux: string; demux: string; flags: readonly string[] }>> = {
  mp3: { encoder: 'libmp3lame', mux: 'mp3', demux: 'mp3', flags: [] },
  aac: { encoder: 'aac', mux: 'adts', demux: 'aac', flags: [] },
  // VoIP mode: what WebRTC and softphones use for speech.
  opus: { encoder: 'libopus', mux: 'ogg', demux: 'ogg', flags: ['-application', 'voip'] },
  g722: { encoder: 'g722', mux: 'g722', demux: 'g722', flags: [] },
};

/** Throws a RangeError naming what is wrong with the spec. */
export function checkCodec(spec: CodecSpec): void {
  if (!CODEC_KINDS.includes(spec.kind)) throw new RangeError(`codec.kind must be one of ${CODEC_KINDS.join(', ')}, got ${String(spec.kind)}`);
  const rates = CODEC_BITRATES[spec.kind];
  if (rates.length === 0) {
    if (spec.kbps !== undefined) throw new RangeError(`codec ${spec.kind} has a fixed bit rate; got kbps ${spec.kbps}`);
  } else if (spec.kbps === undefined || !Number.isInteger(spec.kbps) || spec.kbps < 6 || spec.kbps > 320) {
    throw new RangeError(`codec ${spec.kind} needs kbps, an integer in [6, 320]; got ${String(spec.kbps)}`);
  }
}

/** Short id for augmentation ids: "mp3-32", "opus-16", "g722", "mu". */
export function describeCodec(spec: CodecSpec): string {
  checkCodec(spec);
  return spec.kind === 'mulaw' ? 'mu' : spec.kbps === undefined ? spec.kind : `${spec.kind}-${spec.kbps}`;
}

function ffmpeg(args: readonly string[], input: Buffer, what: string): Buffer {
  try {
    return execFileSync('ffmpeg', ['-v', 'error', '-nostdin', ...args], { input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') throw new Error('ffmpeg is not installed: run scripts/ensure-sox-ffmpeg.sh (the codec augmentation needs it)');
    throw new Error(`ffmpeg failed to ${what}: ${err.stderr?.toString().trim() || err.message}`);
  }
}

/** Whether an ffmpeg runs here: `undertone train --codec` checks before any feature work. */
export function ffmpegInstalled(): boolean {
  return spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
}

const PCM_IN = ['-f', 'f32le', '-ar', String(MODEL_SAMPLE_RATE), '-ac', '1'] as const;

/** Encodes 16 kHz mono samples with the codec and decodes them back to 16 kHz mono. A new array. */
export function applyCodec(samples: Float32Array, spec: CodecSpec): Float32Array {
  checkCodec(spec);
  if (spec.kind === 'mulaw') return g711Decode('mulaw', g711Encode('mulaw', samples));
  const c = FFMPEG[spec.kind];
  const pcm = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  // -bitexact: no encoder version strings, so the same input gives the same bytes on every run.
  const bitrate = spec.kbps === undefined ? [] : ['-b:a', `${spec.kbps}k`];
  const coded = ffmpeg([...PCM_IN, '-i', 'pipe:0', '-c:a', c.encoder, ...bitrate, ...c.flags, '-bitexact', '-f', c.mux, 'pipe:1'], pcm, `encode ${describeCodec(spec)}`);
  const decoded = ffmpeg(['-f', c.demux, '-i', 'pipe:0', ...PCM_IN, 'pipe:1'], coded, `decode ${describeCodec(spec)}`);
  // Copy into an aligned array: the Buffer's offset in its pool need not be a multiple of 4.
  const out = new Float32Array(decoded.length >> 2);
  new Uint8Array(out.buffer).set(decoded.subarray(0, out.length * 4));
  return out;
}
