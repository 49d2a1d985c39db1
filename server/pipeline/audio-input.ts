/**
 * One session's audio input: the start message's encoding -> mono 16 kHz samples, one binary
 * message at a time. PCM and G.711 (pcm_mulaw, pcm_alaw: typically 8 kHz telephone audio) go
 * through core's PcmDecoder (which carries a sample or frame split across messages into the next
 * one) and StreamingResampler; Opus packets go through core's
 * OpusPacketDecoder straight to 16 kHz. Both paths are the ones `undertone predict` uses for
 * files, which is what makes the server's windows equal predict's.
 */
import { OpusPacketDecoder } from '../../core/audio/opus.js';
import { PcmDecoder } from '../../core/audio/pcm.js';
import { MODEL_SAMPLE_RATE, StreamingResampler } from '../../core/audio/resample.js';
import type { PcmStreamEncoding, StartMessage } from '../../core/protocol/index.js';

export interface AudioInput {
  /** Decodes one binary message; returns the 16 kHz mono samples now available (maybe none), valid until the next push (they may be a view of a reused buffer). Throws AudioInputError on bad audio. */
  push(bytes: Uint8Array): Float32Array;
  /** End of stream: the samples still held back (the resampler's tail). */
  flush(): Float32Array;
  /** Bytes of an incomplete sample frame left over (a PCM stream that stopped mid-frame). */
  readonly pendingBytes: number;
  free(): void;
}

export class PcmInput implements AudioInput {
  private readonly decoder: PcmDecoder;
  private readonly resampler: StreamingResampler;

  constructor(start: StartMessage & { encoding: PcmStreamEncoding }) {
    this.decoder = new PcmDecoder(start.encoding, start.channels);
    this.resampler = new StreamingResampler(start.sampleRate, MODEL_SAMPLE_RATE);
  }

  push(bytes: Uint8Array): Float32Array {
    // A view of the decoder's buffer: the session consumes it before the next message.
    const mono = this.decoder.pushView(bytes);
    return mono.length === 0 ? mono : this.resampler.push(mono);
  }

  flush(): Float32Array {
    return this.resampler.flush();
  }

  get pendingBytes(): number {
    return this.decoder.pendingBytes;
  }

  free(): void {}
}

class OpusInput implements AudioInput {
  readonly pendingBytes = 0;

  constructor(private readonly decoder: OpusPacketDecoder) {}

  push(packet: Uint8Array): Float32Array {
    return this.decoder.decode(packet);
  }

  flush(): Float32Array {
    return new Float32Array(0);
  }

  free(): void {
    this.decoder.free();
  }
}

/** Builds the input for a validated start message (async: the Opus decoder's WASM must be ready). */
export async function createAudioInput(start: StartMessage): Promise<AudioInput> {
  if (start.encoding === 'opus') return new OpusInput(await OpusPacketDecoder.create(start.channels, start.preSkip ?? 0));
  return new PcmInput(start as StartMessage & { encoding: PcmStreamEncoding });
}
