/**
 * Evaluates a model on labelled clips through the serving path (decode -> core features ->
 * StreamAnalyzer windows -> onnxruntime): utterance level (window scores pooled per file) and
 * window level (each voiced second scored on its own), per corpus and merged. With a `channel`,
 * every file first goes through core's simulated telephone channel (8 kHz G.711).
 */
import { decodeAudioFile, decodeAudioFileChannels } from '../core/audio/decode-file.js';
import { AudioInputError } from '../core/errors.js';
import { type TelephoneChannel, telephoneChannel } from '../core/audio/telephone.js';
import type { Label } from '../core/labels.js';
import type { EmotionModel } from '../core/model/emotion-model.js';
import { predictSamples } from '../core/predict.js';
import { computeMetrics, type Metrics } from './eval/metrics.js';
import type { ManifestRow } from './manifest.js';
import { progress } from './progress.js';
import { trimSilence } from './features/trim.js';

export interface EvaluationSection {
  readonly name: string;
  readonly utterance: Metrics;
  readonly window: Metrics;
}

export interface Evaluation {
  /** Per corpus (sorted), then "merged" when more than one corpus is present. */
  readonly sections: EvaluationSection[];
  readonly merged: EvaluationSection;
  /** Rows whose emotion the model does not know, by emotion. */
  readonly skippedLabels: Partial<Record<Label, number>>;
  readonly failures: { file: string; error: string }[];
  /** Files with no voiced second: counted as wrong at utterance level. */
  readonly unvoicedFiles: number;
  readonly labels: readonly Label[];
  readonly outcomes: Outcome[];
}

/** One evaluated file: label indices into the model's labels; utterance -1 = no voiced second. */
export interface Outcome {
  readonly corpus: string;
  readonly truth: number;
  readonly utterance: number;
  readonly windows: number[];
}

export async function evaluateModel(
  model: EmotionModel,
  rows: readonly ManifestRow[],
  options: { quiet?: boolean; channel?: TelephoneChannel; splitChannels?: boolean } = {},
): Promise<Evaluation> {
  const labels = model.labels;
  const skippedLabels: Partial<Record<Label, number>> = {};
  const usable = rows.filter((r) => {
    if (labels.includes(r.emotion)) return true;
    skippedLabels[r.emotion] = (skippedLabels[r.emotion] ?? 0) + 1;
    return false;
  });
  const outcomes: Outcome[] = [];
  const failures: { file: string; error: string }[] = [];
  let unvoicedFiles = 0;
  const bar = progress('evaluate', usable.length, options.quiet);
  for (const row of usable) {
    try {
      for (const audio of await rowAudio(row, options.splitChannels ?? false)) {
        // Corpus clips are trimmed as in training (training/features/trim.ts): no padding to read.
        const decoded = trimSilence(audio);
        const samples = options.channel ? telephoneChannel(decoded, options.channel) : decoded;
        const p = await predictSamples(model, samples);
        const truth = labels.indexOf(row.emotion);
        const windows = p.timeline.filter((e) => e.voiced && e.label).map((e) => labels.indexOf(e.label!));
        // A file with no voiced second gets no label: scored as a miss (-1 never equals truth).
        if (!p.label) unvoicedFiles++;
        outcomes.push({ corpus: row.corpus, truth, utterance: p.label ? labels.indexOf(p.label) : -1, windows });
      }
    } catch (e) {
      failures.push({ file: row.file, error: (e as Error).message });
    }
    bar.tick();
  }
  bar.stop(`${outcomes.length} files evaluated, ${failures.length} failed, ${Object.values(skippedLabels).reduce((a, b) => a + (b ?? 0), 0)} skipped (label unknown to the model)`);
  return { ...sectionsOf(labels, outcomes), skippedLabels, failures, unvoicedFiles, labels, outcomes };
}

/**
 * The signals a row is evaluated on, each its own session: the channel the row names (manifest
 * column `channel`); else, with splitChannels, every channel of the file (each with the row's
 * label); else the channels averaged.
 */
async function rowAudio(row: ManifestRow, splitChannels: boolean): Promise<Float32Array[]> {
  if (row.channel === undefined && !splitChannels) return [await decodeAudioFile(row.file)];
  const channels = await decodeAudioFileChannels(row.file);
  if (row.channel === undefined) return channels;
  if (row.channel >= channels.length) throw new AudioInputError(`the manifest names channel ${row.channel}, the file has ${channels.length}`, row.file);
  return [channels[row.channel]];
}

/** Metrics per corpus and merged from per-file outcomes (also used to pool cross-validation folds). */
export function sectionsOf(labels: readonly Label[], outcomes: readonly Outcome[]): { sections: EvaluationSection[]; merged: EvaluationSection } {
  const section = (name: string, list: readonly Outcome[]): EvaluationSection => {
    // Misses (no voiced second) count against accuracy: map them to a wrong class.
    const utterPred = list.map((o) => (o.utterance >= 0 ? o.utterance : (o.truth + 1) % labels.length));
    const wTruth = list.flatMap((o) => o.windows.map(() => o.truth));
    const wPred = list.flatMap((o) => o.windows);
    return {
      name,
      utterance: computeMetrics(labels, list.map((o) => o.truth), utterPred),
      window: computeMetrics(labels, wTruth, wPred),
    };
  };
  const corpora = [...new Set(outcomes.map((o) => o.corpus))].sort();
  const merged = section('merged', outcomes);
  const sections = corpora.map((c) => section(c, outcomes.filter((o) => o.corpus === c)));
  if (corpora.length > 1) sections.push(merged);
  return { sections, merged };
}
