/**
 * Opus decoding straight to 16 kHz (libopus decodes natively at 8/12/16/24/48 kHz, so no
 * resampler is needed): raw packets for live streams, and Ogg Opus files (our corpora) by
 * demuxing the Ogg pages with codec-parser and feeding the packets through the same decoder.
 * One decoder path for both is what lets a stream of a file's packets give the file's features.
 */
import type { OpusHeader } from 'codec-parser';
import { OpusDecoder } from 'opus-decoder';
import { AudioInputError } from '../errors.js';
import { MODEL_SAMPLE_RATE } from './resample.js';
import { downmix } from './pcm.js';
import { concatFloat32 } from './concat.js';
import { oggPages } from './ogg.js';
import { quietly } from './quiet.js';

/** Opus timestamps (pre-skip, granule positions) are always counted at 48 kHz. */
const OPUS_CLOCK = 48000;
/**
 * Largest packet per channel that opus-decoder's WASM input buffer holds (120 ms at 256 kb/s:
 * 32000 B/s x 0.12 s, times the channel count). A longer packet would be written past that
 * buffer (a RangeError inside the library), so it is refused as invalid audio before decoding.
 * Real encoders stay far below it (a 20 ms frame is at most 1275 bytes).
 */
export const MAX_OPUS_PACKET_BYTES_PER_CHANNEL = 32000 * 0.12;

export function isOggOpus(bytes: Uint8Array): boolean {
  if (bytes.length < 36 || String.fromCharCode(...bytes.subarray(0, 4)) !== 'OggS') return false;
  return String.fromCharCode(...bytes.subarray(28, 36)) === 'OpusHead';
}

/**
 * Decodes raw Opus packets (one packet per call) to mono 16 kHz. `preSkip` (48 kHz samples, from
 * an OpusHead or the encoder's lookahead) is dropped from the start, as an Ogg player would.
 */
export class OpusPacketDecoder {
  private decoder: OpusDecoder<16000>;
  private skipRemaining: number;
  private readonly maxPacketBytes: number;
  packetsDecoded = 0;
  packetErrors = 0;

  private constructor(decoder: OpusDecoder<16000>, preSkip48k: number, channels: number) {
    this.decoder = decoder;
    this.maxPacketBytes = MAX_OPUS_PACKET_BYTES_PER_CHANNEL * channels;
    this.skipRemaining = Math.round((preSkip48k * MODEL_SAMPLE_RATE) / OPUS_CLOCK);
  }

  static async create(channels: 1 | 2 = 1, preSkip48k = 0): Promise<OpusPacketDecoder> {
    const decoder = new OpusDecoder({ sampleRate: MODEL_SAMPLE_RATE as 16000, channels, preSkip: 0 });
    await decoder.ready;
    return new OpusPacketDecoder(decoder, preSkip48k, channels);
  }

  /** Decodes one packet to mono. A packet the decoder rejects throws AudioInputError; the decoder stays usable. */
  decode(packet: Uint8Array): Float32Array {
    return downmix(this.decodeChannels(packet)).slice();
  }

  /** Decodes one packet, one array per channel (the decoder's 1 or 2). */
  decodeChannels(packet: Uint8Array): Float32Array[] {
    if (packet.length === 0) throw new AudioInputError('empty Opus packet');
    if (packet.length > this.maxPacketBytes) throw new AudioInputError(`Opus packet of ${packet.length} bytes exceeds ${this.maxPacketBytes}`);
    const result = quietly(() => this.decoder.decodeFrame(packet));
    if (result.errors.length > 0 || result.samplesDecoded === 0) {
      this.packetErrors++;
      const why = result.errors[0]?.message ?? 'no samples decoded';
      throw new AudioInputError(`invalid Opus packet (${why})`);
    }
    this.packetsDecoded++;
    let skip = 0;
    if (this.skipRemaining > 0) {
      skip = Math.min(this.skipRemaining, result.samplesDecoded);
      this.skipRemaining -= skip;
    }
    // The decoder reuses its output buffers: copy.
    return result.channelData.map((c) => c.slice(skip, result.samplesDecoded));
  }

  free(): void {
    this.decoder.free();
  }
}

export interface OggOpusStream {
  /** Raw Opus packets in order. */
  readonly packets: Uint8Array[];
  readonly channels: number;
  /** Pre-skip from the OpusHead, in 48 kHz samples. */
  readonly preSkip: number;
  /** Samples (48 kHz clock) the last page's granule position says the stream holds, if known. */
  readonly totalSamples48k: number | undefined;
}

/** Demuxes an Ogg Opus file into its packets and header fields. */
export function demuxOggOpus(bytes: Uint8Array, source?: string): OggOpusStream {
  if (!isOggOpus(bytes)) throw new AudioInputError('not an Ogg Opus file', source);
  const pages = oggPages(bytes, 'Ogg Opus', source);
  const packets: Uint8Array[] = [];
  let header: OpusHeader | undefined;
  let granule: number | undefined;
  for (const page of pages) {
    for (const frame of page.codecFrames) {
      header ??= frame.header as OpusHeader;
      packets.push(frame.data);
    }
    if (page.absoluteGranulePosition !== undefined && page.codecFrames.length > 0) granule = Number(page.absoluteGranulePosition);
  }
  if (!header || packets.length === 0) throw new AudioInputError('Ogg Opus file holds no audio packets (truncated?)', source);
  return {
    packets,
    channels: header.channels,
    preSkip: header.preSkip,
    totalSamples48k: granule !== undefined ? granule - header.preSkip : undefined,
  };
}

/** Decodes an Ogg Opus file to mono 16 kHz, trimmed to the length its last granule position states. */
export async function decodeOggOpus(bytes: Uint8Array, source?: string): Promise<Float32Array> {
  return downmix(await decodeOggOpusChannels(bytes, source));
}

/** Decodes an Ogg Opus file to 16 kHz, one array per channel (1, or 2 for stereo and more). */
export async function decodeOggOpusChannels(bytes: Uint8Array, source?: string): Promise<Float32Array[]> {
  const stream = demuxOggOpus(bytes, source);
  const channels = stream.channels > 1 ? 2 : 1;
  const decoder = await OpusPacketDecoder.create(channels, stream.preSkip);
  try {
    const chunks: Float32Array[][] = Array.from({ length: channels }, () => []);
    for (const packet of stream.packets) {
      try {
        decoder.decodeChannels(packet).forEach((c, i) => chunks[i].push(c));
      } catch (e) {
        throw new AudioInputError((e as Error).message, source);
      }
    }
    // Trim the padding of the last packet to the length the last granule position states.
    const keep = stream.totalSamples48k !== undefined && stream.totalSamples48k > 0 ? Math.round((stream.totalSamples48k * MODEL_SAMPLE_RATE) / OPUS_CLOCK) : Infinity;
    return chunks.map((c) => {
      const out = concatFloat32(c);
      return keep < out.length ? out.subarray(0, keep) : out;
    });
  } finally {
    decoder.free();
  }
}
