/**
 * Label sets per corpus in the fit (`--label-sets corpus`, loop.label_set_loss): a training
 * window's loss covers only the classes its corpus has. On a synthetic bundle where one feature
 * names the corpus and three hint the emotion, corpus `a` has no `sad` training clips and `b`
 * does: with every class in the loss the net learns that `a`'s voices are never sad (the corpus
 * shortcut) and scores `a`'s sad validation clips low; with label sets nothing teaches it that.
 * Measured at this seed: mean sad score 0.07 with every class, 0.21 with label sets (seeds 3, 5
 * and 7 of the bundle: 0.08 / 0.36, 0.04 / 0.15, 0.07 / 0.10). Runs fit.py with Debian's
 * python3-torch, as `undertone train` does.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fitArgs, runFit } from '../fit-runner.js';
import { LABELS, type SyntheticClip, writeSyntheticBundle } from '../../test/synthetic-bundle.js';
import { Rng } from '../augment/rng.js';

const dir = mkdtempSync(path.join(tmpdir(), 'undertone-label-sets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SAD = LABELS.indexOf('sad');
const A_LABELS = [LABELS.indexOf('neutral'), LABELS.indexOf('happy')];
const B_LABELS = [...A_LABELS, SAD];

/**
 * Corpora a and b, 4 speakers each (the 4th validates). Feature 0 names the corpus; features 1-3
 * hint the emotion (neutral, happy, sad) under clip-level noise, so the hint alone is uncertain
 * and the corpus prior matters. Training: a has neutral and happy only, b all three. The first 4
 * validation clips (the ones parity.json scores) are sad clips of corpus a: a corpus that does
 * have sad speech, as a new customer's would.
 */
function writeBundle(): string {
  const rng = new Rng(11);
  const gauss = () => {
    const u = Math.max(1e-9, rng.next());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  };
  const clips: SyntheticClip[] = Array.from({ length: 4 }, (_, k) => ({ source: `a/sad-${k}.opus`, corpus: 'a', speaker: 'a-3', label: SAD, part: 'validation' as const }));
  for (let k = 0; k < 96; k++) {
    const corpus = k % 2 === 0 ? 'a' : 'b';
    const n = Math.floor(k / 2);
    const labels = corpus === 'a' ? A_LABELS : B_LABELS;
    clips.push({ source: `${corpus}/${k}.opus`, corpus, speaker: `${corpus}-${n % 4}`, label: labels[n % labels.length], part: n % 4 === 3 ? 'validation' : 'train' });
  }
  const hint = clips.map((c) => [1, 2, 3].map((d) => (B_LABELS[d - 1] === c.label ? 1 : 0) + 0.8 * gauss()));
  return writeSyntheticBundle(path.join(dir, 'bundle'), clips, (k, d) => {
    if (d === 0) return clips[k].corpus === 'a' ? 2 : -2;
    if (d <= 3) return hint[k][d - 1] + 0.1 * gauss();
    return 0.1 * gauss();
  });
}

/** Mean calibrated score of `sad` over the sad clips of corpus a (the windows parity.json holds). */
async function sadOnA(bundle: string, labelSets: 'all' | 'corpus'): Promise<number> {
  const out = path.join(dir, `fit-${labelSets}`);
  await runFit(bundle, out, { epochs: 6, patience: 6, steps: 25, norm: 'global', augmented: false, specaugment: false, labelSets, threads: 1 }, () => {});
  const parity = JSON.parse(readFileSync(path.join(out, 'parity.json'), 'utf8')) as { windows: { source: string; scores: number[] }[] };
  const sad = parity.windows.filter((w) => w.source.startsWith('a/sad-'));
  expect(sad.length).toBe(4);
  return sad.reduce((s, w) => s + w.scores[SAD], 0) / sad.length;
}

describe('label sets per corpus (fit.py --label-sets)', () => {
  it('passes the mode to train_split.py as a flag', () => {
    expect(fitArgs({ labelSets: 'corpus' })).toEqual(['--label-sets', 'corpus']);
  });

  it("does not teach a corpus's voices to avoid the classes the corpus lacks", async () => {
    const bundle = writeBundle();
    const all = await sadOnA(bundle, 'all');
    const sets = await sadOnA(bundle, 'corpus');
    expect(all).toBeLessThan(0.1);
    expect(sets).toBeGreaterThan(2 * all);
  }, 180_000);
});
