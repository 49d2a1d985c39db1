/**
 * A simulated telephone channel for 16 kHz audio: down to 8 kHz (the resampler's anti-alias
 * filter removes everything above ~3.7 kHz), optionally the 300-3400 Hz band of an analogue line
 * (ITU-T G.712), G.711 μ-law or A-law encode + decode, and back up to 16 kHz. The same function
 * measures the model on narrowband audio (`undertone evaluate --channel`) and augments training
 * audio (training/augment), so what is measured is what is trained on; both match what the server
 * computes for a pcm_mulaw / pcm_alaw stream of the 8 kHz signal.
 */
import { butterworth, filterCascade } from './biquad.js';
import { type G711Law, g711Decode, g711Encode } from './g711.js';
import { MODEL_SAMPLE_RATE, resampleAll } from './resample.js';

export const TELEPHONE_SAMPLE_RATE = 8000;

export interface TelephoneChannel {
  readonly law: G711Law;
  /** 300-3400 Hz band-pass (4th-order Butterworth each side) before companding. */
  readonly bandpass: boolean;
}

/** Names of the channels `undertone evaluate --channel` takes. */
export const TELEPHONE_CHANNEL_NAMES = ['g711-mulaw', 'g711-alaw', 'g711-mulaw-bp', 'g711-alaw-bp'] as const;
export type TelephoneChannelName = (typeof TELEPHONE_CHANNEL_NAMES)[number];

export function parseTelephoneChannel(name: string): TelephoneChannel | undefined {
  const m = /^g711-(mulaw|alaw)(-bp)?$/.exec(name);
  return m ? { law: m[1] as G711Law, bandpass: m[2] !== undefined } : undefined;
}

export function telephoneChannelName(channel: TelephoneChannel): TelephoneChannelName {
  return `g711-${channel.law}${channel.bandpass ? '-bp' : ''}` as TelephoneChannelName;
}

const BAND = { lowHz: 300, highHz: 3400, order: 4 } as const;
const BANDPASS = [
  ...butterworth('highpass', BAND.order, BAND.lowHz, TELEPHONE_SAMPLE_RATE),
  ...butterworth('lowpass', BAND.order, BAND.highHz, TELEPHONE_SAMPLE_RATE),
];

/** 16 kHz in, 16 kHz out, same length: the audio as it comes out of an 8 kHz G.711 call leg. */
export function telephoneChannel(samples: Float32Array, channel: TelephoneChannel): Float32Array {
  let narrow = resampleAll(samples, MODEL_SAMPLE_RATE, TELEPHONE_SAMPLE_RATE);
  if (channel.bandpass) narrow = filterCascade(BANDPASS, narrow);
  const decoded = g711Decode(channel.law, g711Encode(channel.law, narrow));
  // 8 kHz holds ceil(n / 2) samples: the way back may give one more than went in.
  const wide = resampleAll(decoded, TELEPHONE_SAMPLE_RATE, MODEL_SAMPLE_RATE);
  return wide.length > samples.length ? wide.slice(0, samples.length) : wide;
}
