/**
 * Synthetic calls for the supervision benches: one held-out speaker's corpus clips back to back,
 * in runs of one emotion (each run draws a length of 5-20 s and takes that speaker's clips of the
 * emotion until it is reached), emotions changing from run to run. Every call is scored by the
 * same path as `undertone predict` (core/predict.ts predictSamples: StreamAnalyzer windows, the
 * shipped model), so its per-second labels are the server's. With a telephone channel the whole
 * call first goes down a simulated 8 kHz G.711 line (core/audio/telephone.ts: what the server
 * hears of a pcm_mulaw / pcm_alaw stream, scored there by the narrowband model). Seeded: the same
 * flags give the same calls.
 */
import { concatFloat32 } from '../../core/audio/concat.js';
import { parseTelephoneChannel, type TelephoneChannel, TELEPHONE_CHANNEL_NAMES, telephoneChannel, telephoneChannelName } from '../../core/audio/telephone.js';
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import { oneOf } from '../../server/process/parsers.js';
import { isLabel, type Label } from '../../core/labels.js';
import type { EmotionModel } from '../../core/model/emotion-model.js';
import { predictSamples, type TimelineEntry } from '../../core/predict.js';
import { corpusFile, type ManifestRow, manifestRows } from '../../test/corpora.js';
import { deriveSeed, Rng } from '../../training/augment/rng.js';

const SR = 16000;

export interface Run {
  readonly emotion: Label;
  readonly startMs: number;
  readonly endMs: number;
}

export interface ScoredCall {
  readonly speaker: string;
  readonly runs: readonly Run[];
  readonly durationMs: number;
  readonly timeline: readonly TimelineEntry[];
}

export interface CallOptions {
  readonly seed: number;
  /** Shortest and longest drawn run, s. */
  readonly minRunSeconds: number;
  readonly maxRunSeconds: number;
  /** Audio used per speaker at most (keeps one large speaker from dominating), s. */
  readonly maxSecondsPerSpeaker: number;
  /** Calls are cut at this length, s. */
  readonly callSeconds: number;
  /** A simulated telephone line each call goes through; absent = the corpus audio as stored. */
  readonly channel?: TelephoneChannel;
}

export const DEFAULT_CALL_OPTIONS: CallOptions = { seed: 14, minRunSeconds: 5, maxRunSeconds: 20, maxSecondsPerSpeaker: 600, callSeconds: 300 };

/** `--channel NAME` of the supervision benches: {} for none, else the channel; throws naming the flag (the server's flag parser). */
export function callChannel(name: string | undefined): { channel?: TelephoneChannel } {
  if (name === undefined) return {};
  // A name oneOf accepts always parses.
  return { channel: parseTelephoneChannel(oneOf(TELEPHONE_CHANNEL_NAMES)(name, '--channel'))! };
}

/** One line saying how the calls were made, for the benches' headers. */
export function describeCalls(o: CallOptions): string {
  const line = o.channel ? `, through a simulated ${telephoneChannelName(o.channel)} telephone line` : '';
  return `synthetic calls (runs of ${o.minRunSeconds}-${o.maxRunSeconds} s, seed ${o.seed}, <= ${o.maxSecondsPerSpeaker} s per speaker${line})`;
}

/** The truth of second k (covering (k-1) s .. k s): the run holding its midpoint. */
export function truthOf(runs: readonly Run[], entry: TimelineEntry): Label | null {
  const mid = Math.max(0, entry.endMs - 500);
  return runs.find((r) => mid >= r.startMs && mid < r.endMs)?.emotion ?? null;
}

function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** The held-out rows of `speakers` whose emotion the model knows, by speaker. */
export function speakerRows(speakers: readonly string[], labels: readonly Label[]): Map<string, ManifestRow[]> {
  const wanted = new Set(speakers);
  const out = new Map<string, ManifestRow[]>();
  for (const r of manifestRows()) {
    if (!wanted.has(r.speaker) || !isLabel(r.emotion) || !labels.includes(r.emotion)) continue;
    out.set(r.speaker, [...(out.get(r.speaker) ?? []), r]);
  }
  return out;
}

interface Plan {
  readonly rows: { row: ManifestRow; emotion: Label }[];
}

/** Orders one speaker's clips into runs of one emotion; cut into calls of at most callSeconds. */
function planCalls(rows: readonly ManifestRow[], rng: Rng, o: CallOptions, emotions?: ReadonlySet<Label>): Plan[] {
  const byEmotion = new Map<Label, ManifestRow[]>();
  for (const r of rows) {
    const e = r.emotion as Label;
    if (emotions && !emotions.has(e)) continue;
    byEmotion.set(e, [...(byEmotion.get(e) ?? []), r]);
  }
  for (const [e, list] of byEmotion) byEmotion.set(e, shuffled(list, rng));
  const plans: Plan[] = [];
  let current: Plan['rows'] = [];
  let callS = 0;
  let totalS = 0;
  let previous: Label | null = null;
  while (totalS < o.maxSecondsPerSpeaker) {
    const choices = [...byEmotion.keys()].filter((e) => byEmotion.get(e)!.length > 0 && (e !== previous || byEmotion.size === 1));
    if (choices.length === 0) break;
    const emotion = rng.pick(choices);
    const target = rng.uniform(o.minRunSeconds, o.maxRunSeconds);
    let runS = 0;
    const list = byEmotion.get(emotion)!;
    while (runS < target && list.length > 0) {
      const row = list.pop()!;
      current.push({ row, emotion });
      runS += row.durationS;
    }
    previous = emotion;
    callS += runS;
    totalS += runS;
    if (callS >= o.callSeconds) {
      plans.push({ rows: current });
      current = [];
      callS = 0;
      previous = null;
    }
  }
  if (current.length > 0) plans.push({ rows: current });
  return plans;
}

async function renderAndScore(model: EmotionModel, speaker: string, plan: Plan, channel: TelephoneChannel | undefined): Promise<ScoredCall> {
  const parts: Float32Array[] = [];
  const runs: Run[] = [];
  let at = 0;
  for (const { row, emotion } of plan.rows) {
    const x = await decodeAudioFile(corpusFile(row));
    parts.push(x);
    const startMs = (at * 1000) / SR;
    at += x.length;
    const endMs = (at * 1000) / SR;
    const last = runs.at(-1);
    if (last && last.emotion === emotion) runs[runs.length - 1] = { ...last, endMs };
    else runs.push({ emotion, startMs, endMs });
  }
  const joined = concatFloat32(parts);
  // Same length out as in: the runs' times hold on the line too.
  const samples = channel ? telephoneChannel(joined, channel) : joined;
  const p = await predictSamples(model, samples);
  return { speaker, runs, durationMs: p.durationMs, timeline: p.timeline };
}

/**
 * Builds and scores the calls of `speakers`; `emotions` restricts the clips used (e.g. neutral
 * and calm only for false-alarm calls). `onCall` reports progress.
 */
export async function scoredCalls(
  model: EmotionModel,
  speakers: readonly string[],
  o: CallOptions = DEFAULT_CALL_OPTIONS,
  emotions?: ReadonlySet<Label>,
  onCall?: (c: ScoredCall) => void,
): Promise<ScoredCall[]> {
  const bySpeaker = speakerRows(speakers, model.labels);
  const out: ScoredCall[] = [];
  for (const [i, speaker] of speakers.entries()) {
    const rows = bySpeaker.get(speaker);
    if (!rows) continue;
    const rng = new Rng(deriveSeed(o.seed, i + (emotions ? 1000 : 0)));
    for (const plan of planCalls(rows, rng, o, emotions)) {
      const call = await renderAndScore(model, speaker, plan, o.channel);
      out.push(call);
      onCall?.(call);
    }
  }
  return out;
}
