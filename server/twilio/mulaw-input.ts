/**
 * The audio input of one Twilio track: raw G.711 mu-law at 8 kHz mono (Twilio's only media
 * format) -> floats -> core's StreamingResampler to the model's 16 kHz. Every byte is a sample,
 * so no frame is ever split across messages.
 */
import { decodeMulaw } from '../../core/audio/g711.js';
import { MODEL_SAMPLE_RATE, StreamingResampler } from '../../core/audio/resample.js';
import type { AudioInput } from '../audio-input.js';

export class MulawInput implements AudioInput {
  readonly pendingBytes = 0;
  private readonly resampler: StreamingResampler;

  constructor(sampleRate: number) {
    this.resampler = new StreamingResampler(sampleRate, MODEL_SAMPLE_RATE);
  }

  push(bytes: Uint8Array): Float32Array {
    return bytes.length === 0 ? new Float32Array(0) : this.resampler.push(decodeMulaw(bytes));
  }

  flush(): Float32Array {
    return this.resampler.flush();
  }

  free(): void {}
}
