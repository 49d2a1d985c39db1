/**
 * Cross-validation from one bundle: RAVDESS actor folds (the headline) and leave-one-corpus-out
 * (LOCO: train on every other corpus, test on the one left out). Features once for all folds
 * (cv-bundle.ts), every fold fitted by training/fit/cv.py, then one report per group and mode:
 * "file" scores each test file on its own (what `undertone predict` does), "session" streams each
 * test speaker's files one after another so the running normalisation has heard the speaker
 * before (what a live call gives). Choices (early stopping, temperature) use validation speakers
 * only; the test speakers are scored once.
 */
import { createHash } from 'node:crypto';
import { featureConfigHash } from '../core/features/config.js';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Label } from '../core/labels.js';
import { type AugmentPolicy } from './augment/index.js';
import { planOf, type PlannedFold, writeCvBundle } from './cv-bundle.js';
import { meanStd, type MeanStd } from './eval/metrics.js';
import { type Outcome, sectionsOf } from './evaluate.js';
import { corpusNamed, type FitMember, fitArgs, type FitOptions } from './fit-runner.js';
import type { ManifestRow } from './manifest.js';
import { runPython } from './python.js';
import { writeEvaluationReport } from './report.js';
import { leaveOneCorpusOut, nestedCorpusFolds, speakerFolds, type Split } from './splits.js';

/**
 * 'loco', 'nested' (nestedCorpusFolds: a validation corpus per LOCO fold, for choices), or a corpus
 * whose speakers are cross-validated in groups (e.g. 'ravdess': 6 actor folds).
 */
export type CvGroup = string;
export type Mode = 'file' | 'session';
export const MODES: readonly Mode[] = ['file', 'session'];

/** What a group of folds is: how its splits are made, and how its reports name and describe it. */
interface GroupKind {
  /** Every fold tests one whole corpus (else a group of one corpus's speakers). */
  readonly byCorpus: boolean;
  readonly title: string;
  readonly description: string;
  splits(rows: readonly ManifestRow[], folds: number): Split[];
}

const CORPUS_GROUPS: Record<string, GroupKind> = {
  loco: {
    byCorpus: true,
    title: 'Leave-one-corpus-out',
    description:
      'Each corpus in turn is the test set; the model trains on every other corpus (validation: about a sixth of their speakers). UAR over the test corpus\'s classes, prediction over all of the model\'s labels.',
    splits: (rows) => leaveOneCorpusOut(rows),
  },
  nested: {
    byCorpus: true,
    title: 'Validation-corpus (nested leave-one-corpus-out)',
    description:
      'For each LOCO test corpus X, the next corpus Y (name order) is scored by a model that never saw X and trains on the five others (validation: about a sixth of their speakers): a held-out corpus that is no LOCO test set, for choosing between recipes. UAR over Y\'s classes, prediction over all of the model\'s labels.',
    splits: (rows) => nestedCorpusFolds(rows),
  },
};

/** 'loco', 'nested', or the name of a corpus whose speakers are cross-validated in groups. */
function groupKind(group: CvGroup): GroupKind {
  return (
    CORPUS_GROUPS[group] ?? {
      byCorpus: false,
      title: `${group} speaker-group`,
      description: `${group} speakers in 6 groups (RAVDESS: 4 actors each); in each fold one group tests, the next validates, the other groups and every file of the other corpora present train.`,
      splits: (rows, folds) => speakerFolds(rows, group, folds, rows.filter((r) => r.corpus !== group)),
    }
  );
}

/** Why `groups` cannot be cross-validated on `rows` (a group that is neither loco, nested nor a corpus present), or undefined. */
export function cvGroupsError(rows: readonly ManifestRow[], groups: readonly CvGroup[]): string | undefined {
  const present = new Set(rows.map((r) => r.corpus));
  const bad = groups.find((g) => g !== 'loco' && g !== 'nested' && !present.has(g));
  return bad === undefined ? undefined : `--cv takes loco, nested or corpus names present (${[...present].sort().join(', ')}), comma-separated; got ${bad}`;
}

/** The folds of each group: LOCO, or 6 speaker-group folds of a corpus with every other corpus present training. */
export function cvPlan(rows: readonly ManifestRow[], groups: readonly CvGroup[], folds = 6): PlannedFold[] {
  return groups.flatMap((g) => planOf(g, groupKind(g).splits(rows, folds)));
}

/** A clip a fold scored: its file, corpus, speaker and true class (an index into the fold's labels). */
export interface FoldClip {
  source: string;
  corpus: string;
  speaker: string;
  truth: number;
}

/** Windows of a fold's clips in one mode and their calibrated scores (4 decimals). */
export interface FoldWindows {
  /** Each window's clip, as a position in the fold's clip list. */
  window_clip: number[];
  window_prob: number[][];
}

/** A fold's test outcome in one mode, as training/fit/train_split.py `outcomes` writes it. */
export interface FoldModeOutcome {
  uar: number;
  acc: number;
  utt_pred: number[];
  window_pred: number[];
  /** Each window's clip, as a position in the fold's test_clips. */
  window_clip: number[];
  /** Each window's calibrated scores (4 decimals); absent in runs before 2026-12-04 21:00. */
  window_prob?: number[][];
  ece_window_raw: number;
  ece_window_calibrated: number;
}

export interface FoldResult {
  fold: string;
  group: CvGroup;
  labels: Label[];
  best_epoch: number;
  epochs_run: number;
  seconds: number;
  temperature: number;
  test_clips: FoldClip[];
  /**
   * The validation speakers' UAR of the chosen weights: what choices between runs are made on;
   * since 2026-12-04 22:20 also each validation window's calibrated scores per mode.
   */
  validation?: { uar_file: number; uar_session: number; ece_window_raw: number; ece_window_calibrated: number; windows?: Record<Mode, FoldWindows> };
  /** The validation clips, which `validation.windows` point into (runs since 2026-12-04 22:20). */
  validation_clips?: FoldClip[];
  test: Record<Mode, FoldModeOutcome>;
  /** A seed ensemble's members, each scored alone on the same clips (train_split.py --members). */
  members?: FitMember[];
}

export interface GroupSummary {
  readonly group: CvGroup;
  readonly folds: {
    fold: string;
    test: string;
    uar: Record<Mode, number>;
    /** Validation speakers' UAR (choices are made on it, never on `uar`). */
    validationUar?: Record<Mode, number>;
    ece: { raw: number; calibrated: number };
    bestEpoch: number;
    minutes: number;
    /** A seed ensemble's members alone: validation and test UAR per member (what one run of the recipe gives). */
    members?: { seed: number; validationUar?: Record<Mode, number>; uar: Record<Mode, number> }[];
  }[];
  readonly uar: Record<Mode, MeanStd & { min: number }>;
  readonly windowUar: Record<Mode, number>;
  readonly ece: { raw: number; calibrated: number };
}

export interface CvSummary {
  readonly tag: string;
  readonly command: string;
  /** The fitting recipe; absent for a combination of runs (training/cv-ensemble.ts), which has `combines`. */
  readonly recipe?: FitOptions & { augmentCopies: number };
  /** The runs (tags) whose window scores this summary's folds average. */
  readonly combines?: readonly string[];
  readonly groups: GroupSummary[];
  readonly minutes: number;
}

function outcomesOf(r: FoldResult, mode: Mode): Outcome[] {
  const t = r.test[mode];
  const windows: number[][] = r.test_clips.map(() => []);
  t.window_clip.forEach((c, k) => windows[c].push(t.window_pred[k]));
  return r.test_clips.map((c, i) => ({ corpus: c.corpus, truth: c.truth, utterance: t.utt_pred[i], windows: windows[i] }));
}

export async function runCrossValidation(options: {
  rows: readonly ManifestRow[];
  groups: readonly CvGroup[];
  tag: string;
  command: string;
  workDir: string;
  reportDir: string;
  augmentCopies: number;
  augmentPolicy?: AugmentPolicy;
  seed: number;
  windowFrames: number;
  fit: FitOptions;
  /** Fitting processes run side by side, each on its share of the folds (one PyTorch thread each by default). */
  jobs?: number;
  /** Keep each fold result already in the run's folder that the same recipe on the same bundle wrote (a run cut off and started again). */
  resume?: boolean;
  log: (line: string) => void;
}): Promise<CvSummary> {
  const started = Date.now();
  const plan = cvPlan(options.rows, options.groups);
  // The bundle depends only on the features, the clips, their augmentation and the plan: runs that
  // differ only in the fitting recipe share it (written once, then reused).
  const key = createHash('sha1')
    .update(JSON.stringify({ features: featureConfigHash(), files: options.rows.map((r) => r.path), aug: options.augmentCopies, policy: policyKey(options.augmentPolicy), seed: options.seed, T: options.windowFrames, plan }))
    .digest('hex')
    .slice(0, 12);
  const bundleDir = join(options.workDir, `cv-bundle-${key}`);
  options.log(`bundle ${bundleDir}: ${options.rows.length} files, ${plan.length} folds (${plan.map((f) => f.name).join(', ')})`);
  if (!existsSync(join(bundleDir, 'complete'))) {
    await writeCvBundle(bundleDir, options.rows, plan, { augmentCopies: options.augmentCopies, augmentPolicy: options.augmentPolicy, seed: options.seed, windowFrames: options.windowFrames });
    await writeFile(join(bundleDir, 'complete'), `${new Date().toISOString()}\n`);
  } else options.log('bundle: reused (same clips, augmentation and plan)');
  const outDir = join(options.workDir, `cv-${options.tag}`);
  const names = plan.filter((f) => options.groups.includes(f.group)).map((f) => f.name);
  let foldsStarted = 0;
  const onLine = (msg: Record<string, unknown>): void => {
    if (msg.event === 'fold') options.log(`\n== ${msg.fold} (${++foldsStarted}/${names.length}) ==`);
    else if (msg.event === 'fold_kept') options.log(`\n== ${msg.fold} (${++foldsStarted}/${names.length}) kept from the earlier run: test UAR file ${pct(msg.uar_file)} %, session ${pct(msg.uar_session)} % ==`);
    else if (msg.event === 'fold_refit') options.log(`${msg.fold}: fitted again, the earlier result is not kept: ${msg.reason}`);
    else if (msg.event === 'start') options.log(`${msg.fold}${msg.members ? ` member ${msg.member}/${msg.members}` : ''}: ${msg.train_clips} training clips (${msg.train_originals} originals), ${msg.val_clips} validation, ${msg.test_clips} test, ${msg.params} parameters`);
    else if (msg.event === 'epoch') {
      options.log(`${msg.fold}: epoch ${msg.epoch} loss ${Number(msg.loss).toFixed(3)} val UAR file ${pct(msg.val_uar_file)} session ${pct(msg.val_uar_session)}${corpusNamed(msg)} (${msg.seconds_total} s, best ${msg.best_epoch})`);
    } else if (msg.event === 'fold_done') options.log(`${msg.fold}: test UAR file ${pct(msg.uar_file)} %, session ${pct(msg.uar_session)} % (best epoch ${msg.best_epoch}, ${msg.seconds} s)`);
  };
  // Folds dealt round-robin to the jobs; each job is one cv.py on its own folds (--folds).
  const jobs = Math.max(1, Math.min(options.jobs ?? 1, names.length));
  const shares = Array.from({ length: jobs }, (_, j) => names.filter((_, k) => k % jobs === j));
  await Promise.all(shares.map((share) => runPython('cv.py', ['--bundle', bundleDir, '--out', outDir, '--folds', share.join(','), ...(options.resume ? ['--resume', '1'] : []), ...fitArgs(options.fit)], onLine)));
  const groups: GroupSummary[] = [];
  for (const group of options.groups) {
    const results = await Promise.all(plan.filter((f) => f.group === group).map(async (f) => JSON.parse(await readFile(join(outDir, `${f.name}.json`), 'utf8')) as FoldResult));
    groups.push(await summariseGroup(group, results, { dir: options.reportDir, tag: options.tag, command: options.command }));
  }
  const summary: CvSummary = { tag: options.tag, command: options.command, recipe: { ...options.fit, augmentCopies: options.augmentCopies }, groups, minutes: (Date.now() - started) / 60000 };
  await writeFile(join(options.reportDir, `cv-${options.tag}.json`), JSON.stringify(summary, null, 1));
  return summary;
}

/**
 * One group's folds summarised (UAR per fold and mean, ECE, members alone) and its report per
 * mode written to `report.dir` as cv-TAG-GROUP-MODE: what a run ends with, and what a combination
 * of runs (training/cv-ensemble.ts) is reported as.
 */
export async function summariseGroup(group: CvGroup, results: readonly FoldResult[], report: { dir: string; tag: string; command: string }): Promise<GroupSummary> {
  await mkdir(report.dir, { recursive: true });
  const labels = results[0].labels;
  const folds = results.map((r) => ({
    fold: r.fold,
    test: groupKind(group).byCorpus ? r.test_clips[0].corpus : [...new Set(r.test_clips.map((c) => c.speaker))].join(' '),
    uar: { file: r.test.file.uar, session: r.test.session.uar },
    ...(r.validation ? { validationUar: { file: r.validation.uar_file, session: r.validation.uar_session } } : {}),
    ece: { raw: r.test.file.ece_window_raw, calibrated: r.test.file.ece_window_calibrated },
    bestEpoch: r.best_epoch,
    minutes: r.seconds / 60,
    ...(r.members ? {
      members: r.members.map((m) => ({
        seed: m.seed,
        ...(m.validation ? { validationUar: { file: m.validation.uar_file, session: m.validation.uar_session } } : {}),
        uar: { file: m.test.file?.uar ?? NaN, session: m.test.session?.uar ?? NaN },
      })),
    } : {}),
  }));
  const stat = (m: Mode) => ({ ...meanStd(folds.map((f) => f.uar[m])), min: Math.min(...folds.map((f) => f.uar[m])) });
  const windowUar = {} as Record<Mode, number>;
  for (const mode of MODES) {
    const outcomes = results.flatMap((r) => outcomesOf(r, mode));
    const ev = sectionsOf(labels, outcomes);
    windowUar[mode] = ev.merged.window.uar;
    const base = `cv-${report.tag}-${group}-${mode}`;
    await writeEvaluationReport(report.dir, base, { ...ev, outcomes, labels, skippedLabels: {}, failures: [], unvoicedFiles: 0 }, {
      title: `${groupKind(group).title} cross-validation, ${mode} mode (${report.tag})`,
      split: `${groupKind(group).description} ${describeMode(mode)} Per fold: ${folds.map((f) => `${f.fold} (${f.test}) ${pct(f.uar[mode])} %`).join('; ')}. Mean UAR ${pct(stat(mode).mean)} ± ${pct(stat(mode).std)} %. Confusion matrices pool the test predictions of all folds.`,
      notes: `Command: \`${report.command}\`.`,
    });
  }
  return {
    group,
    folds,
    uar: { file: stat('file'), session: stat('session') },
    windowUar,
    ece: { raw: meanStd(folds.map((f) => f.ece.raw)).mean, calibrated: meanStd(folds.map((f) => f.ece.calibrated)).mean },
  };
}

/**
 * The policy as the bundle key sees it: the room and codec fields (added after bundles were keyed)
 * are left out while they are off, so a policy without them keeps the key, and the bundle, it had
 * before.
 */
function policyKey(policy: AugmentPolicy | undefined): Partial<AugmentPolicy> | null {
  if (!policy) return null;
  const { roomProb, roomRt60Range, roomDrrDbRange, roomShelfDbRange, codecProb, codecKinds, ...rest } = policy;
  return {
    ...rest,
    ...(roomProb > 0 ? { roomProb, roomRt60Range, roomDrrDbRange, roomShelfDbRange } : {}),
    ...(codecProb > 0 ? { codecProb, codecKinds } : {}),
  };
}

function describeMode(mode: Mode): string {
  return mode === 'file'
    ? 'File mode: each test file analysed on its own, as `undertone predict` does.'
    : 'Session mode: each test speaker\'s files streamed one after another in a seeded random order through one running normalisation, as a live call of that speaker (the same as file mode for a model without session normalisation).';
}

function pct(x: unknown): string {
  return (Number(x) * 100).toFixed(1);
}

/** One line per group for the summary at the end of a run. */
export function summaryLines(s: CvSummary): string[] {
  return s.groups.flatMap((g) => [
    `summary: ${s.tag} ${g.group}: UAR file ${pct(g.uar.file.mean)} ± ${pct(g.uar.file.std)} % (min ${pct(g.uar.file.min)}), session ${pct(g.uar.session.mean)} ± ${pct(g.uar.session.std)} % (min ${pct(g.uar.session.min)}); window ECE ${pct(g.ece.raw)} -> ${pct(g.ece.calibrated)} % after temperature`,
    ...memberLines(s, g),
  ]);
}

/** A seed ensemble's members alone, averaged over the folds: the single runs the ensemble is measured against. */
export function memberMeans(g: GroupSummary): { seed: number; validation: Record<Mode, number>; test: Record<Mode, number> }[] {
  const count = Math.min(...g.folds.map((f) => f.members?.length ?? 0));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return Array.from({ length: count }, (_, k) => ({
    seed: g.folds[0].members![k].seed,
    validation: { file: mean(g.folds.map((f) => f.members![k].validationUar?.file ?? NaN)), session: mean(g.folds.map((f) => f.members![k].validationUar?.session ?? NaN)) },
    test: { file: mean(g.folds.map((f) => f.members![k].uar.file)), session: mean(g.folds.map((f) => f.members![k].uar.session)) },
  }));
}

/** How a member is named in summaries and tables: its seed, or for a combination of runs the run's tag. */
export function memberName(s: Pick<CvSummary, 'combines'>, k: number, seed: number): string {
  return s.combines ? `run ${s.combines[k]}` : `seed ${seed}`;
}

function memberLines(s: CvSummary, g: GroupSummary): string[] {
  return memberMeans(g).map((m, k) => `summary: ${s.tag} ${g.group} member ${memberName(s, k, m.seed)} alone: validation UAR file ${pct(m.validation.file)} / session ${pct(m.validation.session)} %, test UAR file ${pct(m.test.file)} / session ${pct(m.test.session)} %`);
}
