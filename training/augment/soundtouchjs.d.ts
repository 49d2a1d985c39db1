/**
 * Types for the parts of soundtouchjs (0.3.x, plain ES2015 JS without its own typings) that
 * pitch.ts uses. All buffers are interleaved stereo Float32: frame i is [2i] (L) and [2i+1] (R).
 */
declare module 'soundtouchjs' {
  export interface FifoSampleBuffer {
    readonly vector: Float32Array;
    readonly position: number;
    readonly startIndex: number;
    readonly frameCount: number;
    readonly endIndex: number;
    clear(): void;
    putSamples(samples: Float32Array, position?: number, numFrames?: number): void;
    receive(numFrames?: number): void;
    receiveSamples(output: Float32Array, numFrames?: number): void;
    extract(output: Float32Array, position?: number, numFrames?: number): void;
  }

  export class AbstractFifoSamplePipe {
    constructor(createBuffers?: boolean);
    inputBuffer: FifoSampleBuffer;
    outputBuffer: FifoSampleBuffer;
    clear(): void;
  }

  /** WSOLA time-stretch. */
  export class Stretch extends AbstractFifoSamplePipe {
    constructor(createBuffers?: boolean);
    /** sequenceMs and seekWindowMs of 0 mean "choose from the tempo" (SoundTouch's auto settings). */
    setParameters(sampleRate: number, sequenceMs: number, seekWindowMs: number, overlapMs: number): void;
    tempo: number;
    quickSeek: boolean;
    readonly sampleRate: number;
    readonly sequenceMs: number;
    readonly seekWindowMs: number;
    readonly overlapMs: number;
    readonly inputChunkSize: number;
    process(): void;
  }

  /** Linear-interpolation rate transposer. */
  export class RateTransposer extends AbstractFifoSamplePipe {
    constructor(createBuffers?: boolean);
    rate: number;
    process(): void;
  }

  export class SoundTouch {
    constructor();
    readonly stretch: Stretch;
    readonly transposer: RateTransposer;
    readonly inputBuffer: FifoSampleBuffer;
    readonly outputBuffer: FifoSampleBuffer;
    rate: number;
    tempo: number;
    pitch: number;
    pitchSemitones: number;
    clear(): void;
    process(): void;
  }

  export interface SampleSource {
    extract(target: Float32Array, numFrames: number, position: number): number;
  }

  export class SimpleFilter {
    constructor(sourceSound: SampleSource, pipe: SoundTouch, callback?: () => void);
    extract(target: Float32Array, numFrames?: number): number;
    readonly position: number;
    sourcePosition: number;
  }
}
