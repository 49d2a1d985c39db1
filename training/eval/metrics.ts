/**
 * Classification metrics for evaluation: accuracy, UAR, macro-F1, per-class precision/recall/F1
 * and the confusion matrix. The `Metrics` object is what `undertone evaluate --json` prints, so
 * its field names (`n`, `accuracy`, `uar`, `macroF1`, `perClass`, `confusion`) are part of the
 * CLI's output format: do not rename them.
 */
import type { Label } from '../../core/labels.js';
import { argmaxRow } from '../../core/model/argmax.js';

export interface ClassMetrics {
  /** TP / (TP + FP). 0 when the class was never predicted. */
  readonly precision: number;
  /** TP / support. 0 when the class has no support (and then it is left out of UAR and macro-F1). */
  readonly recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  readonly f1: number;
  /** Number of samples whose true label is this class. */
  readonly support: number;
}

export interface Confusion {
  /** Row and column order of `matrix`. */
  readonly labels: Label[];
  /** matrix[trueIdx][predIdx] = number of samples with that true and predicted label. */
  readonly matrix: number[][];
}

export interface Metrics {
  /** Number of samples evaluated. */
  readonly n: number;
  /** Fraction of samples predicted correctly. NaN when n = 0 (printed as null in JSON). */
  readonly accuracy: number;
  /**
   * Unweighted average recall: the mean of per-class recall over the classes with support > 0
   * (classes absent from the ground truth are excluded, not counted as recall 0).
   * NaN when n = 0.
   */
  readonly uar: number;
  /** Mean of per-class F1 over the classes with support > 0. NaN when n = 0. */
  readonly macroF1: number;
  /** One entry per label of `labels`, in that order. */
  readonly perClass: Partial<Record<Label, ClassMetrics>>;
  readonly confusion: Confusion;
}

function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

function checkIndices(name: string, values: readonly number[], k: number): void {
  values.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v >= k) {
      throw new RangeError(`${name}[${i}] = ${v} is not a label index in [0, ${k})`);
    }
  });
}

/**
 * Metrics of predictions `pred` against ground truth `truth`; both hold indices into `labels`.
 * Throws RangeError when the arrays differ in length, an index is out of range, or `labels` is
 * empty or has duplicates.
 */
export function computeMetrics(labels: readonly Label[], truth: readonly number[], pred: readonly number[]): Metrics {
  const k = labels.length;
  if (k === 0) throw new RangeError('computeMetrics: empty label set');
  if (new Set(labels).size !== k) throw new RangeError(`computeMetrics: duplicate labels in [${labels.join(', ')}]`);
  if (truth.length !== pred.length) {
    throw new RangeError(`computeMetrics: ${truth.length} true labels but ${pred.length} predictions`);
  }
  checkIndices('truth', truth, k);
  checkIndices('pred', pred, k);

  const matrix = labels.map(() => new Array<number>(k).fill(0));
  for (let i = 0; i < truth.length; i++) matrix[truth[i]][pred[i]]++;

  const n = truth.length;
  let correct = 0;
  const perClass: Partial<Record<Label, ClassMetrics>> = {};
  const recalls: number[] = [];
  const f1s: number[] = [];
  for (let c = 0; c < k; c++) {
    const tp = matrix[c][c];
    correct += tp;
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < k; j++) {
      support += matrix[c][j];
      predicted += matrix[j][c];
    }
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass[labels[c]] = { precision, recall, f1, support };
    if (support > 0) {
      recalls.push(recall);
      f1s.push(f1);
    }
  }

  return {
    n,
    accuracy: n > 0 ? correct / n : NaN,
    uar: mean(recalls),
    macroF1: mean(f1s),
    perClass,
    confusion: { labels: [...labels], matrix },
  };
}

export interface MeanStd {
  readonly mean: number;
  /** Sample standard deviation (n − 1 denominator); 0 for a single value. */
  readonly std: number;
  /** Number of values aggregated. */
  readonly n: number;
}

/**
 * Mean and sample standard deviation of per-fold values (e.g. each fold's UAR), for reporting
 * cross-validation as mean ± std. NaN values (folds with no samples) are ignored; with no
 * values left, mean and std are NaN.
 */
export function meanStd(values: readonly number[]): MeanStd {
  const xs = values.filter((v) => !Number.isNaN(v));
  const m = mean(xs);
  if (xs.length < 2) return { mean: m, std: xs.length === 1 ? 0 : NaN, n: xs.length };
  let ss = 0;
  for (const x of xs) ss += (x - m) ** 2;
  return { mean: m, std: Math.sqrt(ss / (xs.length - 1)), n: xs.length };
}

/**
 * Expected calibration error of the top-class probability over `bins` equal-width bins of
 * confidence, as training/fit/loop.py `ece` computes it (so figures from either side compare).
 */
export function expectedCalibrationError(probs: readonly (readonly number[])[], truth: readonly number[], bins = 15): number {
  if (probs.length !== truth.length) throw new RangeError(`expectedCalibrationError: ${probs.length} score rows but ${truth.length} true labels`);
  const conf = new Array<number>(bins).fill(0);
  const hits = new Array<number>(bins).fill(0);
  const count = new Array<number>(bins).fill(0);
  probs.forEach((p, i) => {
    const top = argmaxRow(p, 0, p.length);
    // Bins are (lo, hi]: a confidence of exactly 0 falls in none, as on the Python side.
    if (p[top] <= 0) return;
    const b = Math.min(bins - 1, Math.ceil(p[top] * bins) - 1);
    conf[b] += p[top];
    hits[b] += top === truth[i] ? 1 : 0;
    count[b]++;
  });
  let total = 0;
  for (let b = 0; b < bins; b++) if (count[b] > 0) total += (count[b] / probs.length) * Math.abs(conf[b] / count[b] - hits[b] / count[b]);
  return total;
}
