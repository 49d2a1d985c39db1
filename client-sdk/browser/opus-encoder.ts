/**
 * Opus from mono Float32 frames via WebCodecs `AudioEncoder` (raw Opus packets, not Ogg), for
 * sessions with `encoding: 'opus'`:
 *
 *   if (await isOpusEncodingSupported()) {
 *     const mic = await startMicrophone({ sampleRate: 48000, onFrame: (pcm) => enc.encode(pcm) });
 *     const session = await connect({ url, encoding: 'opus', sampleRate: 48000, channels: 1, preSkip: OPUS_ENCODER_PRE_SKIP });
 *     const enc = new OpusFrameEncoder({ sampleRate: 48000, onPacket: (p) => void session.sendOpus(p) });
 *   }
 *
 * Opus takes 8, 12, 16, 24 or 48 kHz input only. This class does not resample: run the
 * AudioContext at 48 kHz (`startMicrophone({ sampleRate: 48000 })`), and the browser resamples the
 * microphone. Browser only (DOM APIs); no Node imports.
 */

/** Input rates Opus encodes natively. */
export const OPUS_SAMPLE_RATES: readonly number[] = [8000, 12000, 16000, 24000, 48000];

/**
 * The encoder delay to pass as the start message's `preSkip` (samples at 48 kHz): libopus's
 * lookahead (OPUS_GET_LOOKAHEAD) is 312 samples (6.5 ms) at 48 kHz in its default application
 * mode, which is what Chromium's AudioEncoder uses. WebCodecs does not report it for raw
 * ('opus' format) output, so this is the known libopus value, not a measured one; an error of a
 * few ms here only shifts the audio by that much.
 */
export const OPUS_ENCODER_PRE_SKIP = 312;

/** True when the browser has WebCodecs AudioEncoder and it can encode mono Opus at 48 kHz. */
export async function isOpusEncodingSupported(): Promise<boolean> {
  if (typeof AudioEncoder === 'undefined' || typeof AudioData === 'undefined') return false;
  try {
    const r = await AudioEncoder.isConfigSupported({ codec: 'opus', sampleRate: 48000, numberOfChannels: 1 });
    return r.supported === true;
  } catch {
    return false;
  }
}

export interface OpusFrameEncoderOptions {
  /** Rate of the frames (one of OPUS_SAMPLE_RATES), e.g. the microphone's AudioContext rate. */
  readonly sampleRate: number;
  /** Called with each raw Opus packet (the array is the caller's to keep): hand it to session.sendOpus. */
  readonly onPacket: (packet: Uint8Array) => void;
  /** Called when the encoder fails (it is closed then). */
  readonly onError?: (error: Error) => void;
  /** Target bitrate in bits/s (default: the browser's). */
  readonly bitrate?: number;
}

/** Encodes mono Float32 frames into raw 20 ms Opus packets. */
export class OpusFrameEncoder {
  readonly sampleRate: number;
  private readonly encoder: AudioEncoder;
  private timestampUs = 0;
  private samples = 0;
  private closed = false;

  constructor(options: OpusFrameEncoderOptions) {
    if (!OPUS_SAMPLE_RATES.includes(options.sampleRate)) {
      throw new Error(
        `Opus needs ${OPUS_SAMPLE_RATES.join(', ')} Hz input, not ${options.sampleRate} Hz: create the AudioContext at 48000 Hz`,
      );
    }
    this.sampleRate = options.sampleRate;
    this.encoder = new AudioEncoder({
      output: (chunk) => {
        const bytes = new Uint8Array(chunk.byteLength);
        chunk.copyTo(bytes);
        if (bytes.byteLength > 0) options.onPacket(bytes);
      },
      error: (e) => {
        this.closed = true;
        options.onError?.(e instanceof Error ? e : new Error(String(e)));
      },
    });
    this.encoder.configure({
      codec: 'opus',
      sampleRate: options.sampleRate,
      numberOfChannels: 1,
      ...(options.bitrate !== undefined ? { bitrate: options.bitrate } : {}),
      opus: { format: 'opus', frameDuration: 20_000 },
    });
  }

  /** Queues one frame of mono samples for encoding (ignored after close()). */
  encode(samples: Float32Array): void {
    if (this.closed || samples.length === 0) return;
    const data = new AudioData({
      format: 'f32-planar',
      sampleRate: this.sampleRate,
      numberOfFrames: samples.length,
      numberOfChannels: 1,
      timestamp: this.timestampUs,
      data: samples.buffer instanceof ArrayBuffer ? (samples as Float32Array<ArrayBuffer>) : new Float32Array(samples),
    });
    this.samples += samples.length;
    this.timestampUs = Math.round((this.samples * 1_000_000) / this.sampleRate);
    try {
      this.encoder.encode(data);
    } finally {
      data.close();
    }
  }

  /** Flushes the buffered audio (its packets reach onPacket before this resolves) and closes the encoder. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.encoder.flush();
    } finally {
      if (this.encoder.state !== 'closed') this.encoder.close();
    }
  }
}
