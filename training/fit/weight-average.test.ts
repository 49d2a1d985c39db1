/**
 * Weight averaging in the fit (`--ema`, loop.WeightAverage): the net validated, kept and exported
 * is an exponential moving average of the weights over every batch. On a synthetic bundle whose
 * features hint the emotion under noise, the averaged net still learns (validation UAR far above
 * chance), every batch fed the average, and it is not the plain fit's net: the same seed trains
 * the same trajectory, so the two exports differ only by the averaging. Runs fit.py with Debian's
 * python3-torch, as `undertone train` does.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fitArgs, runFit } from '../fit-runner.js';
import { LABELS, type SyntheticClip, writeSyntheticBundle } from '../../test/synthetic-bundle.js';
import { Rng } from '../augment/rng.js';

const dir = mkdtempSync(path.join(tmpdir(), 'undertone-ema-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CLASSES = [LABELS.indexOf('neutral'), LABELS.indexOf('happy'), LABELS.indexOf('sad'), LABELS.indexOf('angry')];

/** 96 clips of 4 speakers (the 4th validates); features 1-4 hint the clip's class under noise. */
function writeBundle(): string {
  const rng = new Rng(5);
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(1e-9, rng.next()))) * Math.cos(2 * Math.PI * rng.next());
  const clips: SyntheticClip[] = Array.from({ length: 96 }, (_, k) => ({
    source: `synth/${k}.opus`, corpus: 'synth', speaker: `synth-${k % 4}`, label: CLASSES[Math.floor(k / 4) % 4], part: k % 4 === 3 ? 'validation' : 'train',
  }));
  return writeSyntheticBundle(path.join(dir, 'bundle'), clips, (k, d) => (d >= 1 && d <= 4 ? (CLASSES[d - 1] === clips[k].label ? 1 : 0) : 0) + 1.2 * gauss());
}

const options = { epochs: 4, patience: 4, steps: 25, norm: 'global', augmented: false, specaugment: false, seed: 3, threads: 1 } as const;

function parityScores(out: string): number[][] {
  const parity = JSON.parse(readFileSync(path.join(out, 'parity.json'), 'utf8')) as { windows: { scores: number[] }[] };
  return parity.windows.map((w) => w.scores);
}

describe('weight averaging (fit.py --ema)', () => {
  const bundle = writeBundle();

  it('passes the decay (and AdamW\'s weight decay, the schedule) to train_split.py as flags', () => {
    expect(fitArgs({ ema: 0.998 })).toEqual(['--ema', '0.998']);
    expect(fitArgs({ weightDecay: 0.05 })).toEqual(['--weight-decay', '0.05']);
    expect(fitArgs({ lrSchedule: 'constant' })).toEqual(['--lr-schedule', 'constant']);
  });

  it('validates and exports the averaged weights, which learn and differ from the last step', async () => {
    const plain = await runFit(bundle, path.join(dir, 'plain'), options, () => {});
    const averaged = await runFit(bundle, path.join(dir, 'ema'), { ...options, ema: 0.98 }, () => {});
    expect(plain.ema_updates).toBe(0);
    expect(averaged.ema_updates).toBe(averaged.epochs_run * options.steps);
    // Four classes: chance is 0.25.
    expect(averaged.best_val_score).toBeGreaterThan(0.6);
    const a = parityScores(path.join(dir, 'plain'));
    const b = parityScores(path.join(dir, 'ema'));
    expect(b.length).toBe(a.length);
    // Compared as log-probabilities: a confident net's top score is 1 in both, the others are not.
    const largest = Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(Math.log(v) - Math.log(b[i][j])))));
    expect(largest).toBeGreaterThan(0.05);
  }, 120_000);

  it('averages a run whose learning rate is held after warm-up (--lr-schedule constant), and still learns', async () => {
    const held = await runFit(bundle, path.join(dir, 'constant'), { ...options, ema: 0.98, lrSchedule: 'constant' }, () => {});
    expect(held.args.lr_schedule).toBe('constant');
    expect(held.ema_updates).toBe(held.epochs_run * options.steps);
    expect(held.best_val_score).toBeGreaterThan(0.6);
  }, 120_000);
});
