/**
 * Several cross-validation runs of the same folds combined after the fact: each window's
 * calibrated scores averaged over the runs, then each clip labelled by the mean of its windows'
 * scores, as a seed ensemble fitted in one run (train_split.py `Ensemble`) and `undertone predict`
 * label them. Why: an ensemble of K recipes is then measured from K ordinary runs, each also a
 * row of its own, instead of a K-times-longer run per combination.
 *
 * Test windows: runs written since 2026-12-04 21:00 (`window_prob`); validation windows, which
 * choices between combinations are made on: runs since 22:20 (`validation.windows`). Without the
 * latter the combination has no validation figure. Clips with no voiced window get class 0, as
 * Python's argmax of their zero row gives them. A run combined with itself keeps every window's
 * label; a clip's label can differ from the run's own in a near tie, since the run labels clips
 * from its uncalibrated scores (loop.py `utterance_predictions`) and the combination from
 * calibrated ones, as a fitted ensemble does.
 */
import type { FoldClip, FoldModeOutcome, FoldResult, FoldWindows, Mode } from '../cross-validation.js';
import { argmaxRow } from '../../core/model/argmax.js';
import { computeMetrics, expectedCalibrationError } from './metrics.js';

const MODES: readonly Mode[] = ['file', 'session'];

const argmax = (p: readonly number[]): number => argmaxRow(p, 0, p.length);

const sameClips = (a: readonly FoldClip[], b: readonly FoldClip[]) =>
  a.length === b.length && a.every((c, i) => c.source === b[i].source && c.truth === b[i].truth);

/** Why `runs` (tags beside them) cannot be combined for this fold, or undefined. */
function mismatch(runs: readonly FoldResult[], tags: readonly string[]): string | undefined {
  const [first] = runs;
  for (let k = 1; k < runs.length; k++) {
    const r = runs[k];
    const where = `${tags[k]} against ${tags[0]}, fold ${first.fold}`;
    if (r.fold !== first.fold) return `${where}: another fold (${r.fold})`;
    if (r.labels.join() !== first.labels.join()) return `${where}: other labels (${r.labels.join(', ')})`;
    if (!sameClips(r.test_clips, first.test_clips)) return `${where}: other test clips`;
    for (const mode of MODES) {
      if (r.test[mode].window_clip.join() !== first.test[mode].window_clip.join()) return `${where}: other ${mode}-mode windows`;
    }
  }
  for (let k = 0; k < runs.length; k++) {
    for (const mode of MODES) {
      const p = runs[k].test[mode].window_prob;
      if (!p) return `${tags[k]}, fold ${runs[k].fold}: no window scores (a run from before train_split.py stored window_prob)`;
      if (p.length !== runs[k].test[mode].window_clip.length) return `${tags[k]}, fold ${runs[k].fold}: ${p.length} ${mode}-mode score rows for ${runs[k].test[mode].window_clip.length} windows`;
    }
  }
  return undefined;
}

/** The validation windows of every run, when all have them for the same clips and windows; else undefined. */
function validationWindows(runs: readonly FoldResult[]): Record<Mode, FoldWindows>[] | undefined {
  const [first] = runs;
  if (!first.validation_clips || runs.some((r) => !r.validation?.windows || !r.validation_clips || !sameClips(r.validation_clips, first.validation_clips!))) return undefined;
  const all = runs.map((r) => r.validation!.windows!);
  const same = MODES.every((m) => all.every((w) => w[m].window_clip.join() === all[0][m].window_clip.join() && w[m].window_prob.length === w[m].window_clip.length));
  return same ? all : undefined;
}

/** Window scores averaged over the runs, and the clip labels and figures they give. */
function combine(labels: readonly string[], clips: readonly FoldClip[], windowClip: readonly number[], probs: readonly (readonly number[][])[]) {
  const k = labels.length;
  const prob = windowClip.map((_, w) => {
    const row = new Array<number>(k).fill(0);
    for (const p of probs) for (let c = 0; c < k; c++) row[c] += p[w][c] / probs.length;
    return row;
  });
  const clipSum = clips.map(() => new Array<number>(k).fill(0));
  windowClip.forEach((clip, w) => {
    for (let c = 0; c < k; c++) clipSum[clip][c] += prob[w][c];
  });
  const uttPred = clipSum.map(argmax);
  const truth = clips.map((c) => c.truth);
  return {
    // Stored at the runs' own precision (4 decimals); labels and figures come from the exact means.
    prob: prob.map((row) => row.map((x) => Math.round(x * 1e4) / 1e4)),
    windowPred: prob.map(argmax),
    uttPred,
    uar: computeMetrics(labels as FoldResult['labels'], truth, uttPred).uar,
    acc: uttPred.filter((p, i) => p === truth[i]).length / truth.length,
    ece: expectedCalibrationError(prob, windowClip.map((clip) => truth[clip])),
    exact: prob,
  };
}

function combineTest(runs: readonly FoldResult[], mode: Mode): FoldModeOutcome {
  const [first] = runs;
  const windowClip = first.test[mode].window_clip;
  const c = combine(first.labels, first.test_clips, windowClip, runs.map((r) => r.test[mode].window_prob!));
  return {
    uar: c.uar,
    acc: c.acc,
    utt_pred: c.uttPred,
    window_pred: c.windowPred,
    window_clip: windowClip,
    window_prob: c.prob,
    // The runs' scores are calibrated already: there is no raw figure apart from the calibrated one.
    ece_window_raw: c.ece,
    ece_window_calibrated: c.ece,
  };
}

function combineValidation(runs: readonly FoldResult[], windows: readonly Record<Mode, FoldWindows>[]): NonNullable<FoldResult['validation']> {
  const [first] = runs;
  const per = {} as Record<Mode, ReturnType<typeof combine>>;
  for (const mode of MODES) per[mode] = combine(first.labels, first.validation_clips!, windows[0][mode].window_clip, windows.map((w) => w[mode].window_prob));
  // File and session windows pooled, as train_split.py `validation_windows` pools them for its ECE.
  const pooledTruth = MODES.flatMap((m) => windows[0][m].window_clip.map((clip) => first.validation_clips![clip].truth));
  const ece = expectedCalibrationError([...per.file.exact, ...per.session.exact], pooledTruth);
  return {
    uar_file: per.file.uar,
    uar_session: per.session.uar,
    ece_window_raw: ece,
    ece_window_calibrated: ece,
    windows: {
      file: { window_clip: windows[0].file.window_clip, window_prob: per.file.prob },
      session: { window_clip: windows[0].session.window_clip, window_prob: per.session.prob },
    },
  };
}

/**
 * One fold of several runs combined. Throws, naming the run and fold, when they differ in fold,
 * labels, test clips or windows, or when a run has no window scores.
 */
export function combineFold(runs: readonly FoldResult[], tags: readonly string[]): FoldResult {
  if (runs.length === 0) throw new RangeError('combineFold: no runs');
  if (tags.length !== runs.length) throw new RangeError(`combineFold: ${runs.length} runs but ${tags.length} tags`);
  const why = mismatch(runs, tags);
  if (why) throw new Error(`cannot combine ${why}`);
  const [first] = runs;
  const validation = validationWindows(runs);
  return {
    fold: first.fold,
    group: first.group,
    labels: first.labels,
    best_epoch: Math.max(...runs.map((r) => r.best_epoch)),
    epochs_run: Math.max(...runs.map((r) => r.epochs_run)),
    seconds: runs.reduce((s, r) => s + r.seconds, 0),
    temperature: 1,
    test_clips: first.test_clips,
    test: { file: combineTest(runs, 'file'), session: combineTest(runs, 'session') },
    ...(validation ? { validation: combineValidation(runs, validation), validation_clips: first.validation_clips } : {}),
    // Each run alone on the same clips, as a fitted ensemble lists its members.
    members: runs.map((r, i) => ({
      seed: i + 1,
      best_epoch: r.best_epoch,
      temperature: r.temperature,
      ...(r.validation ? { validation: { uar_file: r.validation.uar_file, uar_session: r.validation.uar_session, ece_window_raw: r.validation.ece_window_raw, ece_window_calibrated: r.validation.ece_window_calibrated } } : {}),
      test: { file: { uar: r.test.file.uar, acc: r.test.file.acc }, session: { uar: r.test.session.uar, acc: r.test.session.acc } },
    })),
  };
}
