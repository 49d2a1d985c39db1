/**
 * Browser microphone capture: getUserMedia + an AudioWorklet that posts mono Float32 PCM frames
 * (about 20 ms each) at the AudioContext's sample rate. Send them as `pcm_f32le`:
 *
 *   const mic = await startMicrophone({ onFrame: (pcm) => void session.sendPcm(pcm) });
 *   const session = await connect({ url, encoding: 'pcm_f32le', sampleRate: mic.sampleRate, channels: 1 });
 *   ...
 *   await mic.stop();
 *
 * Browser only (DOM APIs); no Node imports.
 */

/** The worklet's source: loaded from a Blob URL, so no separate file needs serving. */
const WORKLET_SOURCE = `
class UndertonePcmTap extends AudioWorkletProcessor {
  constructor() {
    super();
    this.size = Math.max(128, Math.round(sampleRate / 50));
    this.buf = new Float32Array(this.size);
    this.fill = 0;
  }
  process(inputs) {
    const channels = inputs[0];
    if (channels && channels.length > 0) {
      const n = channels[0].length;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let c = 0; c < channels.length; c++) s += channels[c][i];
        this.buf[this.fill++] = s / channels.length;
        if (this.fill === this.size) {
          this.port.postMessage(this.buf, [this.buf.buffer]);
          this.buf = new Float32Array(this.size);
          this.fill = 0;
        }
      }
    }
    return true;
  }
}
registerProcessor('undertone-pcm-tap', UndertonePcmTap);
`;

export interface MicrophoneOptions {
  /** Called with each frame of mono samples (the array is the caller's to keep). */
  readonly onFrame: (samples: Float32Array) => void;
  /** An AudioContext to use (default: a new one, closed by stop()). */
  readonly context?: AudioContext;
  /**
   * Sample rate of the AudioContext this helper creates (default: the browser's, often 44100 or
   * 48000); the browser resamples the microphone to it. Opus needs 48000 (or 8/12/16/24 kHz).
   * Ignored with `context`.
   */
  readonly sampleRate?: number;
  /** Extra getUserMedia audio constraints. */
  readonly constraints?: MediaTrackConstraints;
}

export interface Microphone {
  /** Sample rate of the frames: the AudioContext's rate. Use it as the session's `sampleRate`. */
  readonly sampleRate: number;
  readonly context: AudioContext;
  readonly stream: MediaStream;
  /** Stops capture: tracks stopped, nodes disconnected, the context closed if this helper created it. */
  stop(): Promise<void>;
}

/** Asks for the microphone and starts posting frames to `onFrame`. */
export async function startMicrophone(options: MicrophoneOptions): Promise<Microphone> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false, ...options.constraints },
  });
  const ownContext = !options.context;
  const context = options.context ?? new AudioContext(options.sampleRate !== undefined ? { sampleRate: options.sampleRate } : {});
  try {
    if (context.state === 'suspended') await context.resume();
    const url = URL.createObjectURL(new Blob([WORKLET_SOURCE], { type: 'text/javascript' }));
    try {
      await context.audioWorklet.addModule(url);
    } finally {
      URL.revokeObjectURL(url);
    }
    const source = context.createMediaStreamSource(stream);
    const tap = new AudioWorkletNode(context, 'undertone-pcm-tap', { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
    tap.port.onmessage = (e: MessageEvent<Float32Array>) => options.onFrame(e.data);
    // The tap outputs silence; connecting it (muted) keeps the graph pulling it in every browser.
    const mute = context.createGain();
    mute.gain.value = 0;
    source.connect(tap).connect(mute).connect(context.destination);
    let stopped = false;
    return {
      sampleRate: context.sampleRate,
      context,
      stream,
      async stop() {
        if (stopped) return;
        stopped = true;
        tap.port.onmessage = null;
        source.disconnect();
        tap.disconnect();
        mute.disconnect();
        for (const t of stream.getTracks()) t.stop();
        if (ownContext) await context.close();
      },
    };
  } catch (e) {
    for (const t of stream.getTracks()) t.stop();
    if (ownContext) await context.close();
    throw e;
  }
}

/** Mono samples of a decoded AudioBuffer (channels averaged). */
export function monoSamples(buffer: AudioBuffer): Float32Array {
  const out = new Float32Array(buffer.length);
  for (let c = 0; c < buffer.numberOfChannels; c++) {
    const ch = buffer.getChannelData(c);
    for (let i = 0; i < out.length; i++) out[i] += ch[i] / buffer.numberOfChannels;
  }
  return out;
}
