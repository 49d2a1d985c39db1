/**
 * One audio file -> its timeline(s): what `undertone predict` prints for a file, run the same way
 * in the CLI's own thread and in each batch worker (cli/batch/worker.ts), so a batch gives the
 * one-file path's results by construction.
 *
 * With `splitChannels`, each channel is its own session (its own StreamAnalyzer, so its own
 * normalisation and voicing): a dual-channel call recording, laid out as telephony platforms
 * write them, gives the caller (channel 0) and the agent (channel 1) separate timelines.
 */
import { readAudioFile } from '../core/audio/decode-file.js';
import { AudioInputError } from '../core/errors.js';
import { predictSamples, type Prediction } from '../core/predict.js';
import type { CallSummary } from '../core/protocol/end.js';
import { summariseTimeline } from '../core/supervision/session-supervisor.js';
import type { ModelSet } from './models.js';

/** Who speaks on a channel of a two-channel call recording. */
export type Party = 'caller' | 'agent';
const PARTIES: readonly Party[] = ['caller', 'agent'];

export interface ChannelPrediction extends Prediction {
  /** 0-based channel index; null when the channels were averaged (no --split-channels). */
  readonly channel: number | null;
  /** caller / agent for channels 0 / 1 of a two-channel file; null otherwise. */
  readonly party: Party | null;
  /** With `summary`: the call summary a live session of this audio ends with (settled segments, shares, peak arousal, alerts). */
  readonly summary?: CallSummary;
}

export interface FileAnalysis {
  readonly file: string;
  /** The model that labelled it ("name version"): the narrowband one for telephone recordings (models.ts). */
  readonly model: string;
  /** One entry, or one per channel with --split-channels. */
  readonly predictions: ChannelPrediction[];
}

export interface AnalyseOptions {
  readonly splitChannels?: boolean;
  /** Also the call summary of each timeline, under the model's own supervision settings. */
  readonly summary?: boolean;
}

export async function analyseFile(models: ModelSet, file: string, options: AnalyseOptions = {}): Promise<FileAnalysis> {
  const contents = await readAudioFile(file, options);
  const model = await models.forFile(contents);
  const split = options.splitChannels ?? false;
  const predictions: ChannelPrediction[] = [];
  for (const [channel, samples] of contents.channels.entries()) {
    if (samples.length === 0) throw new AudioInputError('no audio samples (empty or truncated)', file); // a few samples can resample to none
    const p = await predictSamples(model, samples);
    const summary = options.summary ? { summary: summariseTimeline(model.metadata, p.timeline) } : {};
    predictions.push({ channel: split ? channel : null, party: split && contents.channels.length === 2 ? PARTIES[channel] : null, ...p, ...summary });
  }
  return { file, model: `${model.metadata.name} ${model.metadata.version}`, predictions };
}

/** Seconds of audio a file analysis covered (the recording's length, not summed over channels). */
export function audioSeconds(a: FileAnalysis): number {
  return Math.max(0, ...a.predictions.map((p) => p.durationMs)) / 1000;
}
