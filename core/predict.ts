/**
 * Per-second emotion timeline of a whole signal, and its overall label: the computation behind
 * `undertone predict` and evaluation. The live server produces the same entries one at a time
 * (same StreamAnalyzer windows, same model, same toTimelineEntry), so they agree to float error.
 */
import type { Label } from './labels.js';
import type { EmotionMessage, Scores } from './protocol/emotion.js';
import { argmaxRow } from './model/argmax.js';
import type { EmotionModel } from './model/emotion-model.js';
import type { ModelMetadata } from './model/metadata.js';
import { type DueWindow, StreamAnalyzer } from './stream-analyzer.js';

export type { Scores };

/** One second of a timeline: the `emotion` message of the protocol without its type tag. */
export type TimelineEntry = Omit<EmotionMessage, 'type'>;

export interface Prediction {
  readonly timeline: TimelineEntry[];
  /** Argmax of the mean voiced-window scores; null when no second was voiced. */
  readonly label: Label | null;
  readonly scores: Scores | null;
  readonly durationMs: number;
}

/** Largest batch handed to onnxruntime at once when scoring a file. */
const FILE_BATCH = 64;

export function analyzerFor(metadata: ModelMetadata): StreamAnalyzer {
  return new StreamAnalyzer({ window: metadata.window, normalization: metadata.normalization, voicing: metadata.voicing });
}

export function windowMs(metadata: ModelMetadata): number {
  const { hopLength, sampleRate } = metadata.featureConfig;
  return (metadata.window.frames * hopLength * 1000) / sampleRate;
}

/** Builds a timeline entry from a due window and (when voiced) its row of scores. */
export function toTimelineEntry(
  due: DueWindow,
  metadata: ModelMetadata,
  scores?: Float32Array,
  row = 0,
): TimelineEntry {
  const sr = metadata.featureConfig.sampleRate;
  const endMs = (due.point.endSample * 1000) / sr;
  const startMs = Math.max(0, endMs - windowMs(metadata));
  if (!due.voiced || !scores) return { second: due.point.second, startMs, endMs, voiced: false };
  const labels = metadata.labels;
  const named: Scores = {};
  labels.forEach((l, j) => (named[l] = scores[row * labels.length + j]));
  return { second: due.point.second, startMs, endMs, voiced: true, label: labels[argmaxRow(scores, row, labels.length)], scores: named };
}

/** Scores due windows in batches; returns one entry per window, in order. */
export async function scoreWindows(model: EmotionModel, due: DueWindow[]): Promise<TimelineEntry[]> {
  const voiced = due.filter((d) => d.voiced);
  const T = model.windowFrames;
  const dim = model.dim;
  const rowScores = new Map<DueWindow, { scores: Float32Array; row: number }>();
  for (let i = 0; i < voiced.length; i += FILE_BATCH) {
    const batch = voiced.slice(i, i + FILE_BATCH);
    const features = new Float32Array(batch.length * T * dim);
    const mask = new Float32Array(batch.length * T);
    batch.forEach((d, b) => {
      features.set(d.features, b * T * dim);
      mask.set(d.mask, b * T);
    });
    const scores = await model.score(features, mask, batch.length);
    batch.forEach((d, b) => rowScores.set(d, { scores, row: b }));
  }
  return due.map((d) => {
    const s = rowScores.get(d);
    return toTimelineEntry(d, model.metadata, s?.scores, s?.row);
  });
}

/** Mean of the voiced entries' scores and its argmax (the utterance-level decision). */
export function poolTimeline(timeline: readonly TimelineEntry[], labels: readonly Label[]): { label: Label | null; scores: Scores | null } {
  const voiced = timeline.filter((e) => e.voiced && e.scores);
  if (voiced.length === 0) return { label: null, scores: null };
  const scores: Scores = {};
  for (const l of labels) scores[l] = voiced.reduce((s, e) => s + (e.scores![l] ?? 0), 0) / voiced.length;
  const label = labels.reduce((best, l) => (scores[l]! > scores[best]! ? l : best), labels[0]);
  return { label, scores };
}

/** Timeline and overall label of a mono 16 kHz signal. */
export async function predictSamples(model: EmotionModel, samples: Float32Array): Promise<Prediction> {
  const analyzer = analyzerFor(model.metadata);
  const due = [...analyzer.push(samples), ...analyzer.finish()];
  const timeline = await scoreWindows(model, due);
  const pooled = poolTimeline(timeline, model.labels);
  return { timeline, ...pooled, durationMs: (samples.length * 1000) / model.metadata.featureConfig.sampleRate };
}
