/**
 * Decoded audio as the file holds it: one Float32Array per channel (planar), at the file's own
 * rate. Every file decoder returns this; downmixing or splitting channels and resampling to
 * 16 kHz are later, separate steps (decode-file.ts).
 */
export interface PlanarAudio {
  /** One array per channel, all the same length, samples in [-1, 1]. */
  readonly channelData: Float32Array[];
  readonly sampleRate: number;
}

/** Length in frames (samples per channel). */
export function frameCount(audio: PlanarAudio): number {
  return audio.channelData[0]?.length ?? 0;
}
