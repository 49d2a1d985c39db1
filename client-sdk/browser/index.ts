/** The browser bundle's entry (dist/web/undertone-sdk.js): the SDK plus microphone capture. */
export * from '../index.js';
export { type Microphone, type MicrophoneOptions, monoSamples, startMicrophone } from './microphone.js';
