/**
 * Several cross-validation runs of the same folds combined after the fact: each window's
 * calibrated scores averaged over the runs, then each clip labelled by the mean of its windows'
 * scores, as a seed ensemble fitted in one run (train_split.py `Ensemble`) and `undertone predict`
 * label them. Why: an ensemble of K recipes is then measured from K ordinary runs, each also a
 * row of its own, instead of a K-times-longer run per combination.
 *
 * Needs runs written since 2026-12-04 21:00 (train_split.py stores `window_prob`). Clips with no
 * voiced window get class 0, as Python's argmax of their zero row gives them. A run combined with
 * itself keeps every window's label; a clip's label can differ from the run's own in a near tie,
 * since the run labels clips from its uncalibrated scores (loop.py `utterance_predictions`) and
 * the combination from calibrated ones, as a fitted ensemble does.
 */
import type { FoldModeOutcome, FoldResult, Mode } from '../cross-validation.js';
import { computeMetrics, expectedCalibrationError } from './metrics.js';

const MODES: readonly Mode[] = ['file', 'session'];

function argmax(p: readonly number[]): number {
  let best = 0;
  for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
  return best;
}

/** Why `runs` (tags beside them) cannot be combined for this fold, or undefined. */
function mismatch(runs: readonly FoldResult[], tags: readonly string[]): string | undefined {
  const [first] = runs;
  for (let k = 1; k < runs.length; k++) {
    const r = runs[k];
    const where = `${tags[k]} against ${tags[0]}, fold ${first.fold}`;
    if (r.fold !== first.fold) return `${where}: another fold (${r.fold})`;
    if (r.labels.join() !== first.labels.join()) return `${where}: other labels (${r.labels.join(', ')})`;
    if (r.test_clips.length !== first.test_clips.length || r.test_clips.some((c, i) => c.source !== first.test_clips[i].source || c.truth !== first.test_clips[i].truth)) {
      return `${where}: other test clips`;
    }
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

function combineMode(runs: readonly FoldResult[], mode: Mode): FoldModeOutcome {
  const [first] = runs;
  const k = first.labels.length;
  const windowClip = first.test[mode].window_clip;
  const prob = windowClip.map((_, w) => {
    const row = new Array<number>(k).fill(0);
    for (const r of runs) {
      const p = r.test[mode].window_prob![w];
      for (let c = 0; c < k; c++) row[c] += p[c] / runs.length;
    }
    return row;
  });
  const clipSum = first.test_clips.map(() => new Array<number>(k).fill(0));
  windowClip.forEach((clip, w) => {
    for (let c = 0; c < k; c++) clipSum[clip][c] += prob[w][c];
  });
  const uttPred = clipSum.map(argmax);
  const truth = first.test_clips.map((c) => c.truth);
  const windowTruth = windowClip.map((clip) => truth[clip]);
  const ece = expectedCalibrationError(prob, windowTruth);
  return {
    uar: computeMetrics(first.labels, truth, uttPred).uar,
    acc: uttPred.filter((p, i) => p === truth[i]).length / truth.length,
    utt_pred: uttPred,
    window_pred: prob.map(argmax),
    window_clip: windowClip,
    window_prob: prob,
    // The runs' scores are calibrated already: there is no raw figure apart from the calibrated one.
    ece_window_raw: ece,
    ece_window_calibrated: ece,
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
  return {
    fold: first.fold,
    group: first.group,
    labels: first.labels,
    best_epoch: Math.max(...runs.map((r) => r.best_epoch)),
    epochs_run: Math.max(...runs.map((r) => r.epochs_run)),
    seconds: runs.reduce((s, r) => s + r.seconds, 0),
    temperature: 1,
    test_clips: first.test_clips,
    test: { file: combineMode(runs, 'file'), session: combineMode(runs, 'session') },
    // Each run alone on the same clips, as a fitted ensemble lists its members.
    members: runs.map((r, i) => ({
      seed: i + 1,
      best_epoch: r.best_epoch,
      temperature: r.temperature,
      test: { file: { uar: r.test.file.uar, acc: r.test.file.acc }, session: { uar: r.test.session.uar, acc: r.test.session.acc } },
    })),
  };
}
