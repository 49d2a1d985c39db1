/**
 * Mean arousal/valence of single corpus files through the shipped model: each file scored by
 * `undertone predict`'s path (core/predict.ts), each voiced second mapped to the circumplex
 * (core/supervision/affect.ts), averaged over the file's voiced seconds. Shared by
 * `npm run bench:arousal` and the real-file test core/supervision/affect.corpus.test.ts.
 */
import { decodeAudioFile } from '../core/audio/decode-file.js';
import type { EmotionModel } from '../core/model/emotion-model.js';
import { predictSamples } from '../core/predict.js';
import { affectOf } from '../core/supervision/affect.js';
import { corpusFile, type ManifestRow } from './corpora.js';

export interface FileAffect {
  readonly row: ManifestRow;
  /** Means over the voiced seconds; null when no second was voiced. */
  readonly arousal: number | null;
  readonly valence: number | null;
}

export async function fileAffect(model: EmotionModel, row: ManifestRow): Promise<FileAffect> {
  const p = await predictSamples(model, await decodeAudioFile(corpusFile(row)));
  const voiced = p.timeline.filter((e) => e.voiced && e.scores);
  if (voiced.length === 0) return { row, arousal: null, valence: null };
  const points = voiced.map((e) => affectOf(e.scores!));
  return {
    row,
    arousal: points.reduce((s, x) => s + x.arousal, 0) / points.length,
    valence: points.reduce((s, x) => s + x.valence, 0) / points.length,
  };
}

/** RAVDESS file names: modality-channel-emotion-intensity-statement-repetition-actor; intensity 01 normal, 02 strong. */
export function ravdessIntensity(row: ManifestRow): 'normal' | 'strong' | null {
  const m = /(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)\.\w+$/.exec(row.path);
  if (!m) return null;
  return m[4] === '01' ? 'normal' : m[4] === '02' ? 'strong' : null;
}

export const HIGH_AROUSAL = ['angry', 'fearful', 'happy', 'surprised'] as const;
export const LOW_AROUSAL = ['neutral', 'calm', 'sad'] as const;

export interface IntensityPair {
  readonly speaker: string;
  readonly emotion: string;
  readonly normal: number;
  readonly strong: number;
}

/** Mean arousal of strong vs normal files per (actor, emotion), RAVDESS rows only. */
export function intensityPairs(files: readonly FileAffect[]): IntensityPair[] {
  const groups = new Map<string, { speaker: string; emotion: string; normal: number[]; strong: number[] }>();
  for (const f of files) {
    const intensity = ravdessIntensity(f.row);
    if (f.row.corpus !== 'ravdess' || !intensity || f.arousal === null) continue;
    const key = `${f.row.speaker}/${f.row.emotion}`;
    const g = groups.get(key) ?? { speaker: f.row.speaker, emotion: f.row.emotion, normal: [], strong: [] };
    g[intensity].push(f.arousal);
    groups.set(key, g);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return [...groups.values()].filter((g) => g.normal.length > 0 && g.strong.length > 0).map((g) => ({ speaker: g.speaker, emotion: g.emotion, normal: mean(g.normal), strong: mean(g.strong) }));
}

/** Mean of the files' mean arousal per emotion. */
export function arousalByEmotion(files: readonly FileAffect[]): Map<string, { mean: number; n: number }> {
  const sums = new Map<string, { sum: number; n: number }>();
  for (const f of files) {
    if (f.arousal === null) continue;
    const s = sums.get(f.row.emotion) ?? { sum: 0, n: 0 };
    s.sum += f.arousal;
    s.n++;
    sums.set(f.row.emotion, s);
  }
  return new Map([...sums].map(([e, s]) => [e, { mean: s.sum / s.n, n: s.n }]));
}
