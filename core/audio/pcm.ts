/**
 * Raw little-endian PCM (or G.711 μ-law / A-law characters, one byte a sample) to mono Float32
 * in [-1, 1].
 *
 * Network messages split samples anywhere (an s16le sample may straddle two messages, a stereo
 * frame may be cut between channels), so PcmDecoder carries the incomplete tail of one push into
 * the next. Channels are averaged, as `sox -c 1` does for the corpora.
 */
import { AudioInputError } from '../errors.js';
import { G711_DECODE_TABLES } from './g711.js';

export type PcmEncoding = 'pcm_s16le' | 'pcm_f32le' | 'pcm_mulaw' | 'pcm_alaw';

const BYTES_PER_SAMPLE: Readonly<Record<PcmEncoding, number>> = { pcm_s16le: 2, pcm_f32le: 4, pcm_mulaw: 1, pcm_alaw: 1 };

export function bytesPerSample(encoding: PcmEncoding): number {
  return BYTES_PER_SAMPLE[encoding];
}

export class PcmDecoder {
  private readonly frameBytes: number;
  private readonly carry: Buffer;
  private carryLength = 0;
  /** pushView's output, reused (grown when a message is larger). */
  private out = new Float32Array(0);
  /** Non-finite f32 samples seen and replaced by 0 (hostile or broken clients). */
  nonFiniteSamples = 0;

  constructor(readonly encoding: PcmEncoding, readonly channels: number) {
    if (!Number.isInteger(channels) || channels < 1) throw new AudioInputError(`invalid channel count ${channels}`);
    this.frameBytes = bytesPerSample(encoding) * channels;
    this.carry = Buffer.alloc(this.frameBytes);
  }

  /** Decodes every whole frame available after `bytes`; keeps the remainder for the next push. */
  push(bytes: Uint8Array): Float32Array {
    return this.pushView(bytes).slice();
  }

  /**
   * As push, but the samples are a view of the decoder's own buffer, overwritten by the next call:
   * for a live stream whose samples are consumed (resampled, copied into feature frames) at once,
   * so a message costs no allocation of its own.
   */
  pushView(bytes: Uint8Array): Float32Array {
    const total = this.carryLength + bytes.length;
    const frames = Math.floor(total / this.frameBytes);
    if (this.out.length < frames) this.out = new Float32Array(Math.max(frames, 2 * this.out.length));
    const out = this.out.subarray(0, frames);
    if (frames === 0) {
      this.carry.set(bytes, this.carryLength);
      this.carryLength = total;
      return out;
    }
    let input: Buffer;
    if (this.carryLength === 0) {
      input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } else {
      // Only the first frame straddles the boundary: build it, then read the rest in place.
      input = Buffer.concat([this.carry.subarray(0, this.carryLength), bytes]);
    }
    this.decodeFrames(input, frames, out);
    const used = frames * this.frameBytes;
    const rest = input.length - used;
    input.copy(this.carry, 0, used, used + rest);
    this.carryLength = rest;
    return out;
  }

  /** Bytes of an incomplete frame still held (a stream that ends here ends mid-sample). */
  get pendingBytes(): number {
    return this.carryLength;
  }

  private decodeFrames(input: Buffer, frames: number, out: Float32Array): void {
    const ch = this.channels;
    const inv = 1 / ch;
    if (this.encoding === 'pcm_mulaw' || this.encoding === 'pcm_alaw') {
      const table = G711_DECODE_TABLES[this.encoding === 'pcm_mulaw' ? 'mulaw' : 'alaw'];
      if (ch === 1) {
        for (let f = 0; f < frames; f++) out[f] = table[input[f]];
      } else {
        for (let f = 0, o = 0; f < frames; f++) {
          let sum = 0;
          for (let c = 0; c < ch; c++, o++) sum += table[input[o]];
          out[f] = sum * inv;
        }
      }
    } else if (this.encoding === 'pcm_s16le' && ch === 1) {
      // The live path's common case, from the bytes directly (readInt16LE costs a call and a bounds
      // check a sample): the same values, x / 32768 being exact.
      for (let f = 0, o = 0; f < frames; f++, o += 2) out[f] = (((input[o] | (input[o + 1] << 8)) << 16) >> 16) / 32768;
    } else if (this.encoding === 'pcm_s16le') {
      for (let f = 0, o = 0; f < frames; f++) {
        let sum = 0;
        for (let c = 0; c < ch; c++, o += 2) sum += input.readInt16LE(o);
        out[f] = (sum * inv) / 32768;
      }
    } else {
      for (let f = 0, o = 0; f < frames; f++) {
        let sum = 0;
        for (let c = 0; c < ch; c++, o += 4) {
          const v = input.readFloatLE(o);
          if (Number.isFinite(v)) sum += v;
          else this.nonFiniteSamples++;
        }
        out[f] = sum * inv;
      }
    }
  }
}

/** Averages interleaved or planar channels into one. */
export function downmix(channels: Float32Array[]): Float32Array {
  if (channels.length === 0) return new Float32Array(0);
  if (channels.length === 1) return channels[0];
  const n = Math.min(...channels.map((c) => c.length));
  const out = new Float32Array(n);
  const inv = 1 / channels.length;
  for (const c of channels) for (let i = 0; i < n; i++) out[i] += c[i] * inv;
  return out;
}
