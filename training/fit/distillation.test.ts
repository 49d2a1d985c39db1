/**
 * Distillation in the fit (training/fit/teacher.py, loop.py): on a small synthetic bundle whose
 * labels never say `sad`, a teacher that scores every clip `sad` is learned when the distillation
 * term carries all the weight (--kd-alpha 1), and not at all when it carries none (--kd-alpha 0):
 * the term really reaches the student. A teacher that lacks a training clip stops the fit with a
 * message naming the file. Runs fit.py with Debian's python3-torch, as `undertone train` does.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fitArgs, runFit } from '../fit-runner.js';
import { LABELS, type SyntheticClip, writeSyntheticBundle } from '../../test/synthetic-bundle.js';
import { Rng } from '../augment/rng.js';

const dir = mkdtempSync(path.join(tmpdir(), 'undertone-kd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 48 clips of 4 speakers (3 train, 1 validation), random features, labels cycling over every class but sad. */
function writeBundle(): { bundle: string; sources: string[] } {
  const clips: SyntheticClip[] = Array.from({ length: 48 }, (_, k) => ({
    source: `synth/${k}.opus`, corpus: 'synth', speaker: `synth-${k % 4}`, label: [0, 1, 2, 4, 5, 6, 7][k % 7], part: k % 4 === 3 ? 'validation' : 'train',
  }));
  const rng = new Rng(7);
  const random = () => rng.next();
  const bundle = writeSyntheticBundle(path.join(dir, 'bundle'), clips, () => random() * 2 - 1);
  return { bundle, sources: clips.map((c) => c.source) };
}

/** A teacher that gives every listed clip the scores of `sad`. */
function writeTeacher(sources: readonly string[], name: string): string {
  const file = path.join(dir, name);
  const logits = sources.map(() => LABELS.map((l) => (l === 'sad' ? 6 : 0)));
  writeFileSync(file, JSON.stringify({ labels: LABELS, sources, logits }));
  return file;
}

/** Share of the validation windows whose calibrated argmax is `sad`. */
async function sadShare(bundle: string, teacher: string, alpha: number): Promise<number> {
  const out = path.join(dir, `fit-${alpha}`);
  await runFit(bundle, out, { epochs: 4, patience: 4, steps: 25, norm: 'global', augmented: false, specaugment: false, teacher, kdAlpha: alpha, kdTemperature: 2, threads: 1 }, () => {});
  const parity = JSON.parse(readFileSync(path.join(out, 'parity.json'), 'utf8')) as { windows: { scores: number[] }[] };
  expect(parity.windows.length).toBeGreaterThan(0);
  const sad = LABELS.indexOf('sad');
  return parity.windows.filter((w) => w.scores.indexOf(Math.max(...w.scores)) === sad).length / parity.windows.length;
}

describe('distillation (fit.py --teacher)', () => {
  const { bundle, sources } = writeBundle();

  it('passes the teacher and its weights to train_split.py as flags', () => {
    expect(fitArgs({ teacher: '/t.json', kdAlpha: 0.5, kdTemperature: 2 })).toEqual(['--teacher', '/t.json', '--kd-alpha', '0.5', '--kd-temperature', '2']);
  });

  it('learns the teacher with --kd-alpha 1, and only the labels with --kd-alpha 0', async () => {
    const teacher = writeTeacher(sources, 'teacher.json');
    expect(await sadShare(bundle, teacher, 1)).toBe(1);
    expect(await sadShare(bundle, teacher, 0)).toBe(0);
  }, 120_000);

  it('stops with the file named when a training clip has no teacher scores', async () => {
    const partial = writeTeacher(sources.slice(0, 10), 'partial.json');
    await expect(runFit(bundle, path.join(dir, 'fit-partial'), { epochs: 1, steps: 2, norm: 'global', teacher: partial, threads: 1 }, () => {})).rejects.toThrow(
      /partial\.json: \d+ training clips have no teacher scores/,
    );
  }, 60_000);
});
