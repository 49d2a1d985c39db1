/**
 * `undertone predict` on real recordings in every common format (test/transcode.ts: corpus clips
 * transcoded by sox and ffmpeg in the setup): each gives the labels of the clip's 16 kHz
 * original, exactly (to float error) for the lossless formats at 16 kHz and within the stated
 * tolerances for resampled and lossy ones. The files go through one batch run (--jobs 2), so
 * this is also the batch path on real files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../test/cli.js';
import { corpusFile, manifestRows } from '../test/corpora.js';
import { agreement, type Agreement, type PredictedFile, referenceWav, TELEPHONE_REFERENCE, TELEPHONE_VARIANTS, type Variant, VARIANTS } from '../test/transcode.js';

const dir = mkdtempSync(path.join(tmpdir(), 'undertone-formats-'));
/**
 * 36 clips of 4 s or more, spread over the manifest (every corpus that has such clips): about 135
 * voiced seconds, so that the lossy variants' agreement is a measurement and not a coin toss (with
 * 12 clips, 44 s, one model measured 38.6 % on 8-bit PCM where the same model keeps 69.9 % of 216
 * validation-speaker seconds in `npm run bench:invariance`).
 */
const long = manifestRows().filter((r) => r.durationS >= 4);
const CLIPS = 36;
const clips = Array.from({ length: CLIPS }, (_, i) => long[Math.floor((i * long.length) / CLIPS)]);
const results = new Map<string, PredictedFile>();

beforeAll(async () => {
  const files: string[] = [];
  for (const [i, row] of clips.entries()) {
    const ref = await referenceWav(corpusFile(row), dir, `clip${i}.reference.wav`);
    files.push(ref);
    for (const v of VARIANTS) {
      const out = path.join(dir, `clip${i}.${v.name}`);
      v.make(ref, out);
      files.push(out);
    }
  }
  // One model for all, so the comparison is of the decoding alone (by default a G.711 file gets
  // the telephone-band model, as its live stream would: cli/predict-batch.test.ts).
  const r = await runCli(['predict', '--json', '--jobs', '2', '--band', 'wideband', ...files]);
  expect(r.code, r.stderr).toBe(0);
  // Telephone recordings at 8 kHz, with the model predict picks for them by default (narrowband).
  const phone: string[] = [];
  for (let i = 0; i < clips.length; i++) {
    const ref8k = path.join(dir, `clip${i}.${TELEPHONE_REFERENCE.name}`);
    TELEPHONE_REFERENCE.make(path.join(dir, `clip${i}.reference.wav`), ref8k);
    phone.push(ref8k);
    for (const v of TELEPHONE_VARIANTS) {
      const out = path.join(dir, `clip${i}.${v.name}`);
      v.make(ref8k, out);
      phone.push(out);
    }
  }
  const t = await runCli(['predict', '--json', '--jobs', '2', ...phone]);
  expect(t.code, t.stderr).toBe(0);
  for (const line of [...r.stdout.trim().split('\n'), ...t.stdout.trim().split('\n')]) {
    const p = JSON.parse(line) as PredictedFile & { model: string };
    if (phone.includes(p.file)) expect(p.model).toMatch(/narrowband/);
    results.set(p.file, p);
  }
}, 600_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Agreement of a variant's timelines with the references' (`reference`: file name suffix), over every clip. */
function compare(v: Variant, reference = 'reference.wav'): Agreement {
  const pairs = clips.map((_, i) => {
    const ref = results.get(path.join(dir, `clip${i}.${reference}`))!;
    const got = results.get(path.join(dir, `clip${i}.${v.name}`))!;
    expect(got, v.name).toBeDefined();
    return [ref, got] as const;
  });
  return agreement(pairs);
}

describe('undertone predict: every format gives the labels of the 16 kHz original', () => {
  const cases: [Variant, string][] = [...VARIANTS.map((v): [Variant, string] => [v, 'reference.wav']), ...TELEPHONE_VARIANTS.map((v): [Variant, string] => [v, TELEPHONE_REFERENCE.name])];
  for (const [v, reference] of cases) {
    it(`${v.name}: ${v.tolerance.minLabelAgreement * 100}% of voiced seconds with the label of ${reference}${v.tolerance.maxScoreDiff < 1 ? `, scores within ${v.tolerance.maxScoreDiff}` : ''}`, () => {
      const c = compare(v, reference);
      console.log(`${v.name}: ${JSON.stringify(c)}`);
      expect(c.lengthDiffs, 'timelines of another length').toBe(0);
      expect(c.seconds).toBeGreaterThanOrEqual(30);
      expect(c.labelAgreement).toBeGreaterThanOrEqual(v.tolerance.minLabelAgreement);
      expect(c.maxScoreDiff).toBeLessThanOrEqual(v.tolerance.maxScoreDiff);
      if (v.tolerance.minLabelAgreement === 1) expect(c.fileLabels).toBe(clips.length);
    });
  }
});
