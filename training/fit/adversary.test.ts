/**
 * Domain-adversarial training in the fit (nets.CorpusAdversary, loop.py, `--adversary W`): on a
 * small synthetic bundle of two "corpora" that differ by a large offset in one feature while the
 * labels are carried by another, the adversary names the corpus of almost every training window
 * when its reversed gradient is weak, and no better than about chance once the reversed gradient
 * is strong: the CNN has learnt features the corpus cannot be read from, and still the labels.
 * Runs fit.py with Debian's python3-torch, as `undertone train` does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fitArgs, runFit } from '../fit-runner.js';
import { type SyntheticClip, writeSyntheticBundle } from '../../test/synthetic-bundle.js';
import { Rng } from '../augment/rng.js';

const dir = mkdtempSync(path.join(tmpdir(), 'undertone-adv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * 64 clips of 8 speakers (4 per corpus; speaker 3 of each corpus validates), labels happy / sad
 * alternating within each speaker: feature 0 is +1 for happy and -1 for sad (plus noise), feature
 * 1 is +3 in corpus b and -3 in corpus a. Everything else is noise.
 */
function writeBundle(): string {
  const clips: SyntheticClip[] = Array.from({ length: 64 }, (_, k) => {
    const corpus = k % 2 === 0 ? 'a' : 'b';
    const speakerNo = Math.floor(k / 2) % 4;
    return { source: `synth/${corpus}/${k}.opus`, corpus, speaker: `${corpus}-${speakerNo}`, label: Math.floor(k / 8) % 2 === 0 ? 2 : 3, part: speakerNo === 3 ? 'validation' : 'train' };
  });
  const rng = new Rng(11);
  const random = () => rng.next();
  return writeSyntheticBundle(path.join(dir, 'bundle'), clips, (k, d) => {
    const noise = random() * 2 - 1;
    if (d === 0) return (clips[k].label === 2 ? 1 : -1) + 0.5 * noise;
    if (d === 1) return (clips[k].corpus === 'b' ? 3 : -3) + 0.5 * noise;
    return noise;
  });
}

interface Epoch {
  event: string;
  corpus_acc?: number;
}

/** The adversary's corpus accuracy over the last four epochs, and the validation UAR of the chosen weights. */
async function fitWith(bundle: string, weight: number): Promise<{ corpusAcc: number; validationUar: number }> {
  const out = path.join(dir, `fit-${weight}`);
  const epochs: Epoch[] = [];
  const fit = await runFit(
    bundle,
    out,
    { epochs: 6, patience: 6, steps: 25, norm: 'global', augmented: false, specaugment: false, adversary: weight, threads: 1 },
    (msg) => {
      if (msg.event === 'epoch') epochs.push(msg as Epoch);
    },
  );
  expect(epochs).toHaveLength(6);
  // The adversary's accuracy swings from epoch to epoch once the reversed gradient is strong (the
  // two sides of a min-max game: 0.14 to 0.87 within one run, seeds 11-15), so one epoch's reading
  // says little; the mean over the last four does (0.37-0.55 over those seeds, 1.00 when weak).
  const last = epochs.slice(2).map((e) => e.corpus_acc);
  for (const acc of last) expect(typeof acc).toBe('number');
  const corpusAcc = (last as number[]).reduce((a, b) => a + b, 0) / last.length;
  return { corpusAcc, validationUar: fit.validation!.uar_file };
}

describe('domain-adversarial training (fit.py --adversary)', () => {
  const bundle = writeBundle();

  it('passes the weight to train_split.py as a flag', () => {
    expect(fitArgs({ adversary: 0.3 })).toEqual(['--adversary', '0.3']);
  });

  it('a weak reversed gradient leaves the corpus readable; a strong one hides it, and the labels are still learnt', async () => {
    const weak = await fitWith(bundle, 0.001);
    const strong = await fitWith(bundle, 3);
    expect(weak.corpusAcc).toBeGreaterThan(0.95);
    expect(strong.corpusAcc).toBeLessThan(0.7);
    expect(weak.validationUar).toBe(1);
    expect(strong.validationUar).toBe(1);
  }, 180_000);
});
