/**
 * `start`: the client's first message. It names the audio format of the binary messages that
 * follow; the server answers `ready` (or an error and a close code).
 */
import { parseSmoothingSettings, type SmoothingSettings } from '../supervision/smoothing.js';

export const ENCODINGS = ['pcm_s16le', 'pcm_f32le', 'pcm_mulaw', 'pcm_alaw', 'opus'] as const;
export type Encoding = (typeof ENCODINGS)[number];
/** The encodings whose binary messages are raw samples (any size, resampled to 16 kHz). */
export type PcmStreamEncoding = Exclude<Encoding, 'opus'>;
/**
 * G.711 (pcm_mulaw, pcm_alaw): one byte a sample, as telephone networks carry it. G.711 is
 * defined at 8000 Hz and that is what telephony platforms send; other rates in the PCM range
 * are accepted too (the companding law does not depend on the rate, and μ-law/A-law WAV files
 * exist at 16 kHz), so the rate is the client's to state, as for linear PCM.
 */
export const G711_SAMPLE_RATE = 8000;

/** Sample rates accepted for PCM and G.711 (the resampler's range, Hz). */
export const PCM_MIN_SAMPLE_RATE = 4000;
export const PCM_MAX_SAMPLE_RATE = 192000;
/** The rates an Opus stream can be encoded at (the server always decodes straight to 16 kHz). */
export const OPUS_SAMPLE_RATES = [8000, 12000, 16000, 24000, 48000] as const;
/**
 * Which of the server's two models labels a stream: the wideband one (trained on 16 kHz audio) or
 * the narrowband one (trained with telephone-band augmentation; docs/accuracy.md). A wideband
 * model on telephone audio is below chance, hence the routing below.
 */
export const BANDS = ['wideband', 'narrowband'] as const;
export type Band = (typeof BANDS)[number];
/** Streams at or below this rate carry nothing above 4 kHz: telephone band. */
export const NARROWBAND_MAX_SAMPLE_RATE = 8000;

/** Longest `key` accepted (characters). */
export const MAX_KEY_LENGTH = 128;
/** Largest Opus pre-skip accepted (48 kHz samples; one second). */
export const MAX_PRE_SKIP = 48000;

export interface StartMessage {
  readonly type: 'start';
  readonly encoding: Encoding;
  /** Hz. PCM and G.711: 4000-192000 (resampled to 16 kHz; G.711 is normally 8000). Opus: 8000, 12000, 16000, 24000 or 48000. */
  readonly sampleRate: number;
  /** 1 or 2; stereo is averaged to mono. PCM and G.711 stereo is interleaved. */
  readonly channels: 1 | 2;
  /**
   * Opus only: samples (at 48 kHz, as in an OpusHead) to drop from the start of the decoded audio.
   * A client relaying the packets of an Ogg Opus file passes the file's pre-skip to get exactly
   * the file's audio. Default 0.
   */
  readonly preSkip?: number;
  /** A caller-chosen session key (opaque to the server, echoed in `ready`), at most 128 characters. */
  readonly key?: string;
  /**
   * Which model labels the stream. Default (absent): `narrowband` for pcm_mulaw, pcm_alaw and any
   * sampleRate <= 8000 (Opus at 8000 too), else `wideband` (streamBand). For telephone audio that
   * reaches the server upsampled (e.g. 16 kHz PCM from a contact-center platform), send `narrowband`.
   */
  readonly band?: Band;
  /**
   * This session's smoothing settings (docs/insight.md), over the server's (--smoothing):
   * e.g. `{"method": "ema", "alpha": 0.3}`. Unknown fields or out-of-range values: invalid_message.
   */
  readonly smoothing?: Partial<SmoothingSettings>;
}

/** The fields of `start` a client chooses: everything but `type` (the client SDK's ConnectOptions extends it). */
export type StartOptions = Omit<StartMessage, 'type'>;

/** The `start` message of `options`: its start fields only, the optional ones when defined. */
export function startMessage(options: StartOptions): StartMessage {
  const { encoding, sampleRate, channels, preSkip, key, band, smoothing } = options;
  return {
    type: 'start',
    encoding,
    sampleRate,
    channels,
    ...(preSkip !== undefined ? { preSkip } : {}),
    ...(key !== undefined ? { key } : {}),
    ...(band !== undefined ? { band } : {}),
    ...(smoothing !== undefined ? { smoothing } : {}),
  };
}

/** Why a start message was refused: its shape (invalid_message) or a format the server does not take. */
export type StartProblem =
  | { readonly ok: false; readonly code: 'invalid_message' | 'unsupported_encoding' | 'unsupported_format'; readonly reason: string }
  | { readonly ok: true; readonly message: StartMessage };

const FIELDS = new Set(['type', 'encoding', 'sampleRate', 'channels', 'preSkip', 'key', 'band', 'smoothing']);

/** The band a stream is labelled as: its `band` if given, else telephone band for G.711 or <= 8 kHz. */
export function streamBand(start: Pick<StartMessage, 'encoding' | 'sampleRate' | 'band'>): Band {
  if (start.band !== undefined) return start.band;
  const telephone = start.encoding === 'pcm_mulaw' || start.encoding === 'pcm_alaw' || start.sampleRate <= NARROWBAND_MAX_SAMPLE_RATE;
  return telephone ? 'narrowband' : 'wideband';
}

/** Checks a parsed `{"type":"start",...}` object field by field. */
export function validateStart(raw: Record<string, unknown>): StartProblem {
  const bad = (reason: string): StartProblem => ({ ok: false, code: 'invalid_message', reason });
  const unknown = Object.keys(raw).filter((k) => !FIELDS.has(k));
  if (unknown.length > 0) return bad(`start: unknown field ${JSON.stringify(unknown[0])}`);
  const { encoding, sampleRate, channels, preSkip, key, band, smoothing } = raw;
  if (typeof encoding !== 'string') return bad('start: "encoding" must be a string');
  if (!(ENCODINGS as readonly string[]).includes(encoding)) {
    return {
      ok: false,
      code: 'unsupported_encoding',
      reason: `unsupported encoding ${JSON.stringify(encoding.slice(0, 32))} (expected ${ENCODINGS.join(', ')})`,
    };
  }
  if (typeof sampleRate !== 'number' || !Number.isInteger(sampleRate)) return bad('start: "sampleRate" must be an integer');
  if (typeof channels !== 'number' || !Number.isInteger(channels)) return bad('start: "channels" must be an integer');
  if (channels !== 1 && channels !== 2) {
    return { ok: false, code: 'unsupported_format', reason: `unsupported channel count ${channels} (expected 1 or 2)` };
  }
  if (encoding === 'opus') {
    if (!(OPUS_SAMPLE_RATES as readonly number[]).includes(sampleRate)) {
      return {
        ok: false,
        code: 'unsupported_format',
        reason: `unsupported Opus sample rate ${sampleRate} (expected ${OPUS_SAMPLE_RATES.join(', ')})`,
      };
    }
  } else if (sampleRate < PCM_MIN_SAMPLE_RATE || sampleRate > PCM_MAX_SAMPLE_RATE) {
    return {
      ok: false,
      code: 'unsupported_format',
      reason: `unsupported sample rate ${sampleRate} (expected ${PCM_MIN_SAMPLE_RATE} to ${PCM_MAX_SAMPLE_RATE} Hz)`,
    };
  }
  if (preSkip !== undefined) {
    if (encoding !== 'opus') return bad('start: "preSkip" applies to opus only');
    if (typeof preSkip !== 'number' || !Number.isInteger(preSkip) || preSkip < 0 || preSkip > MAX_PRE_SKIP) {
      return bad(`start: "preSkip" must be an integer from 0 to ${MAX_PRE_SKIP}`);
    }
  }
  if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH)) {
    return bad(`start: "key" must be a non-empty string of at most ${MAX_KEY_LENGTH} characters`);
  }
  if (band !== undefined && (typeof band !== 'string' || !(BANDS as readonly string[]).includes(band))) {
    return bad(`start: "band" must be one of ${BANDS.join(', ')}`);
  }
  if (smoothing !== undefined) {
    // Checked against the defaults here; the server applies the fields given over its own settings.
    try {
      parseSmoothingSettings(smoothing, 'start');
    } catch (e) {
      return bad((e as Error).message);
    }
  }
  const message = startMessage({
    encoding: encoding as Encoding,
    sampleRate,
    channels,
    preSkip: preSkip as number | undefined,
    key: key as string | undefined,
    band: band as Band | undefined,
    smoothing: smoothing as Partial<SmoothingSettings> | undefined,
  });
  return { ok: true, message };
}
