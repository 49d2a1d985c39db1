/** The browser bundle's entry (dist/web/undertone-sdk.js): the SDK plus microphone capture and WebCodecs Opus encoding. */
export * from '../index.js';
export { type Microphone, type MicrophoneOptions, monoSamples, startMicrophone } from './microphone.js';
export {
  OPUS_ENCODER_PRE_SKIP,
  OPUS_SAMPLE_RATES,
  OpusFrameEncoder,
  type OpusFrameEncoderOptions,
  isOpusEncodingSupported,
} from './opus-encoder.js';
