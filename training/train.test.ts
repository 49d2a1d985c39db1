/**
 * End to end on a tiny slice of the real corpora: `undertone train` (core features, augmentation
 * with the telephone line, padding and lossy codecs run by ffmpeg in the feature workers,
 * PyTorch fit of a two-member seed ensemble with attentive pooling, ONNX export of the fused
 * graph, metadata, evaluation, report) then checks on what it wrote (parity to 1e-4 covers the
 * fused graph in onnxruntime). Runs the built CLI with Debian's python3-torch, as a user would.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelFiles } from '../core/model/metadata.js';
import { corporaDir } from '../test/corpora.js';
import { runCli, type CliResult } from '../test/cli.js';
import { parityError } from '../test/parity.js';

describe('undertone train (tiny run)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'undertone-train-'));
  const modelDir = path.join(dir, 'model');
  const reportDir = path.join(dir, 'report');
  let run: CliResult;

  beforeAll(async () => {
    run = await runCli(
      ['train', '--corpus', 'ravdess,savee', '--max-per-speaker', '4', '--epochs', '2', '--patience', '2', '--steps', '10', '--augment', '1', '--telephone', '0.5', '--pad', '0.5', '--codec', '0.5', '--norm', 'both',
        '--members', '2', '--pooling', 'attentive', '--teacher-out', path.join(dir, 'teacher.json'), '--out', modelDir, '--work', path.join(dir, 'work'), '--report', reportDir, '--name', 'tiny-test'],
      { UNDERTONE_CACHE: path.join(dir, 'cache'), UNDERTONE_CORPORA: corporaDir() },
    );
  }, 600_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 with per-epoch progress and a summary', () => {
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(run.stderr).toMatch(/fit: member 1\/2 epoch 1 loss/);
    expect(run.stderr).toMatch(/fit: member 2\/2 epoch 1 loss/);
    expect(run.stderr).toMatch(/features \(held-out-speakers\)/);
    expect(run.stdout).toMatch(/^summary: model in .* UAR/m);
  });

  it('writes a model whose metadata serving accepts, with disjoint speakers', async () => {
    const { metadata } = await readModelFiles(modelDir);
    expect(metadata.name).toBe('tiny-test');
    expect(metadata.labels.length).toBeGreaterThanOrEqual(7);
    expect(metadata.window.frames).toBe(300);
    const test = new Set(metadata.training.testSpeakers);
    expect(test.size).toBeGreaterThan(0);
    for (const s of metadata.training.validationSpeakers) expect(test.has(s)).toBe(false);
    // Training summary counts only training files: 4 per training speaker at most.
    for (const c of Object.values(metadata.training.corpora)) expect(c.files).toBeLessThanOrEqual(4 * c.speakers);
    expect(metadata.metrics).toHaveProperty('merged');
    expect(metadata.training.recipe).toMatchObject({ augmentCopies: 1, telephoneProb: 0.5, padProb: 0.5, codecProb: 0.5, members: 2, pooling: 'attentive' });
    // A seed ensemble (--members 2): each member's seed, epoch and temperature on record.
    const ensemble = metadata.training.recipe.ensemble as { seed: number; temperature: number }[];
    expect(ensemble.map((m) => m.seed)).toEqual([1, 2]);
    for (const m of ensemble) expect(m.temperature).toBeGreaterThan(0);
    // --teacher-out: the ensemble's scores of every training original, a teacher file for --teacher.
    const teacher = JSON.parse(readFileSync(path.join(dir, 'teacher.json'), 'utf8')) as { labels: string[]; sources: string[]; logits: number[][]; head: string };
    expect(teacher.labels).toEqual(metadata.labels);
    expect(teacher.head).toMatch(/^seed ensemble of this recipe/); // what a student's model card will name
    expect(metadata.card?.teacher).toBeUndefined(); // this model distilled nothing
    const trainFiles = Object.values(metadata.training.corpora).reduce((n, c) => n + c.files, 0);
    expect(teacher.sources.length).toBe(trainFiles);
    for (const row of teacher.logits) expect(row.reduce((a, l) => a + Math.exp(l), 0)).toBeCloseTo(1, 3);
  });

  it('refuses a --telephone, --pad or --codec that is not a probability, and --codec without ffmpeg', async () => {
    const bad = await runCli(['train', '--telephone', '1.5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--telephone must be a number from 0 to 1, got "1\.5"/);
    const badPad = await runCli(['train', '--pad', 'half']);
    expect(badPad.code).toBe(2);
    expect(badPad.stderr).toMatch(/--pad must be a number from 0 to 1, got "half"/);
    const badCodec = await runCli(['train', '--codec', '1.5']);
    expect(badCodec.code).toBe(2);
    expect(badCodec.stderr).toMatch(/--codec must be a number from 0 to 1, got "1\.5"/);
    // node found by its full path, and a PATH without ffmpeg: refused before any feature work.
    const noFfmpeg = await runCli(['train', '--codec', '0.5'], { PATH: '/nonexistent' });
    expect(noFfmpeg.code).toBe(2);
    expect(noFfmpeg.stderr).toMatch(/--codec needs ffmpeg: run scripts\/ensure-sox-ffmpeg\.sh/);
  });

  it('refuses an --arch it does not know (it used to fall back to the 1-D CNN)', async () => {
    const bad = await runCli(['train', '--arch', 'cnn3d']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--arch must be one of cnn1d, cnn2d, stem2d, crnn, got "cnn3d"/);
    const attentive = await runCli(['train', '--arch', 'stem2d', '--pooling', 'attentive']);
    expect(attentive.code).toBe(2);
    expect(attentive.stderr).toMatch(/--pooling attentive works with the 1-D CNN/);
  });

  it('scores the same in onnxruntime on TypeScript features as in PyTorch (1e-4)', async () => {
    const { maxDiff, windows } = await parityError(modelDir, corporaDir());
    expect(windows).toBeGreaterThan(0);
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('writes a report with a confusion-matrix image per corpus', () => {
    const md = readFileSync(path.join(reportDir, 'model.md'), 'utf8');
    expect(md).toMatch(/ravdess/);
    expect(md).toMatch(/savee/);
    for (const svg of ['model-ravdess.svg', 'model-savee.svg', 'model-merged.svg']) {
      expect(existsSync(path.join(reportDir, svg)), svg).toBe(true);
      expect(md).toContain(svg);
    }
  });
});
