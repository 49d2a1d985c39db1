/**
 * Combining cross-validation runs after the fact (fold-ensemble.ts): the arithmetic on a
 * hand-worked fold, the refusals that name the run and what differs, and the calibration error
 * against training/fit/loop.py's own `ece` on the same scores (Debian's python3, as training runs it).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../test/cli.js';
import type { FoldModeOutcome, FoldResult } from '../cross-validation.js';
import { Rng } from '../augment/rng.js';
import { combineFold } from './fold-ensemble.js';
import { expectedCalibrationError } from './metrics.js';

const LABELS3 = ['neutral', 'happy', 'sad'] as const;

/** A fold of three clips (truth neutral, happy, sad); clip 0 has two windows, clips 1 and 2 one each. */
function fold(windowProb: number[][], over: Partial<FoldResult> = {}): FoldResult {
  const mode = (): FoldModeOutcome => ({
    uar: 0.5, acc: 0.5, utt_pred: [0, 0, 0], window_pred: windowProb.map(() => 0), window_clip: [0, 0, 1, 2],
    window_prob: windowProb, ece_window_raw: 0, ece_window_calibrated: 0,
  });
  return {
    fold: 'nested-savee-without-ravdess', group: 'nested', labels: [...LABELS3], best_epoch: 3, epochs_run: 5, seconds: 60, temperature: 1.2,
    test_clips: [0, 1, 2].map((truth) => ({ source: `savee/${truth}.opus`, corpus: 'savee', speaker: 'savee-dc', truth })),
    test: { file: mode(), session: mode() },
    ...over,
  };
}

describe('combineFold', () => {
  // Run A: clip 0 neutral (0.6, 0.2 on its windows) ... B disagrees on clip 1.
  const a = fold([[0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]);
  const b = fold([[0.5, 0.4, 0.1], [0.6, 0.3, 0.1], [0.5, 0.1, 0.4], [0.1, 0.1, 0.8]]);

  it('averages each window\'s scores over the runs, then labels each clip by the mean of its windows', () => {
    const c = combineFold([a, b], ['a', 'b']);
    const p = c.test.file.window_prob!;
    expect(p[0][0]).toBeCloseTo(0.55, 12);
    expect(p[2][1]).toBeCloseTo(0.45, 12);
    // Windows: (0.55 .35 .1) (0.4 0.5 0.1) (0.3 0.45 0.25) (0.15 0.15 0.7).
    expect(c.test.file.window_pred).toEqual([0, 1, 1, 2]);
    // Clip 0: mean (0.475, 0.425, 0.1) -> neutral; clip 1 happy; clip 2 sad: all right.
    expect(c.test.file.utt_pred).toEqual([0, 1, 2]);
    expect(c.test.file.uar).toBe(1);
    expect(c.test.session.acc).toBe(1);
    // Each run alone is listed as a fitted ensemble lists its members.
    expect(c.members!.map((m) => m.test.file?.uar)).toEqual([0.5, 0.5]);
    expect(c.seconds).toBe(120);
  });

  it('keeps every window\'s label when a run is combined with itself', () => {
    const c = combineFold([a, a], ['a', 'a-again']);
    expect(c.test.session.window_pred).toEqual([0, 1, 1, 2]);
    expect(c.test.session.window_prob).toEqual(a.test.session.window_prob);
  });

  it('refuses runs that scored other clips or windows, or lack window scores, naming the run and the fold', () => {
    const otherClips = fold(a.test.file.window_prob!, { test_clips: a.test_clips.map((c, i) => ({ ...c, source: i === 2 ? 'savee/x.opus' : c.source })) });
    expect(() => combineFold([a, otherClips], ['a', 'b'])).toThrow(/cannot combine b against a, fold nested-savee-without-ravdess: other test clips/);
    const otherWindows = fold(a.test.file.window_prob!);
    otherWindows.test.session = { ...otherWindows.test.session, window_clip: [0, 1, 1, 2] };
    expect(() => combineFold([a, otherWindows], ['a', 'b'])).toThrow(/other session-mode windows/);
    const old = fold(a.test.file.window_prob!);
    delete old.test.file.window_prob;
    expect(() => combineFold([a, old], ['a', 'old-run'])).toThrow(/old-run, fold nested-savee-without-ravdess: no window scores/);
  });
});

describe('combineFold on validation windows', () => {
  // Two validation clips (neutral, sad), one window each; run A gets the sad one wrong, B right.
  const withValidation = (file: number[][]): FoldResult => fold([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], {
    validation_clips: [0, 2].map((truth) => ({ source: `ravdess/${truth}.opus`, corpus: 'ravdess', speaker: 'ravdess-01', truth })),
    validation: {
      uar_file: 0.5, uar_session: 0.5, ece_window_raw: 0.2, ece_window_calibrated: 0.1,
      windows: { file: { window_clip: [0, 1], window_prob: file }, session: { window_clip: [0, 1], window_prob: file } },
    },
  });

  it('scores the combination on the validation speakers, which choices are made on', () => {
    const a = withValidation([[0.9, 0.05, 0.05], [0.7, 0, 0.3]]);
    const b = withValidation([[0.6, 0.2, 0.2], [0.1, 0.1, 0.8]]);
    const c = combineFold([a, b], ['a', 'b']);
    // Sad clip: (0.4, 0.05, 0.55) -> sad; neutral clip (0.75, ...) -> neutral: both right.
    expect(c.validation!.uar_file).toBe(1);
    expect(c.validation!.windows!.session.window_prob[1]).toEqual([0.4, 0.05, 0.55]);
    expect(c.members!.map((m) => m.validation?.uar_file)).toEqual([0.5, 0.5]);
  });

  it('gives no validation figure when a run lacks the validation windows (a run from before they were stored)', () => {
    const a = withValidation([[0.9, 0.05, 0.05], [0.7, 0, 0.3]]);
    const old = withValidation([[0.6, 0.2, 0.2], [0.1, 0.1, 0.8]]);
    delete old.validation!.windows;
    expect(combineFold([a, old], ['a', 'old']).validation).toBeUndefined();
  });
});

describe('expectedCalibrationError', () => {
  it('equals training/fit/loop.py ece on the same scores (15 bins)', () => {
    const rng = new Rng(3);
    const probs = Array.from({ length: 400 }, () => {
      const raw = LABELS3.map(() => rng.next() ** 3);
      const sum = raw.reduce((s, x) => s + x, 0);
      return raw.map((x) => x / sum);
    });
    const truth = probs.map(() => Math.floor(rng.next() * 3));
    const script = 'import json,sys; sys.path.insert(0, "training/fit"); import numpy as np; from loop import ece; d=json.load(sys.stdin); print(ece(np.array(d["p"]), np.array(d["t"])))';
    const py = spawnSync('/usr/bin/python3', ['-c', script], { cwd: PROJECT_ROOT, input: JSON.stringify({ p: probs, t: truth }), encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const ours = expectedCalibrationError(probs, truth);
    expect(ours).toBeGreaterThan(0.01);
    expect(ours).toBeCloseTo(Number(py.stdout.trim()), 10);
  });

  it('refuses scores and labels of different lengths', () => {
    expect(() => expectedCalibrationError([[1, 0]], [0, 1])).toThrow(/1 score rows but 2 true labels/);
  });
});
