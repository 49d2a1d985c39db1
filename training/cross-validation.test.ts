/**
 * `undertone train --cv ravdess,loco` end to end on a tiny slice of the real corpora: one bundle,
 * every fold fitted by training/fit/cv.py, reports and the summary written. Checks the folds are
 * speaker-disjoint and that LOCO tests each corpus on a model that never heard it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corporaDir } from '../test/corpora.js';
import { PROJECT_ROOT, runCli, type CliResult } from '../test/cli.js';
import type { CvSummary, FoldResult } from './cross-validation.js';

describe('undertone train --cv ravdess,loco,nested (tiny run)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'undertone-cv-'));
  const reportDir = path.join(dir, 'report');
  const work = path.join(dir, 'work');
  let run: CliResult;

  beforeAll(async () => {
    run = await runCli(
      ['train', '--cv', 'ravdess,loco,nested', '--corpus', 'ravdess,savee,turev', '--max-per-speaker', '6', '--epochs', '1', '--steps', '4', '--augment', '0',
        '--norm', 'both', '--jobs', '2', '--work', work, '--report', reportDir, '--tag', 'tiny'],
      { UNDERTONE_CACHE: path.join(dir, 'cache'), UNDERTONE_CORPORA: corporaDir() },
    );
  }, 600_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 with per-fold progress and one summary line per group', () => {
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(run.stderr).toMatch(/== loco-savee \(\d+\/12\) ==/);
    expect(run.stdout).toMatch(/^summary: tiny ravdess: UAR file [\d.]+ ± [\d.]+ %/m);
    expect(run.stdout).toMatch(/^summary: tiny loco: UAR file [\d.]+ ± [\d.]+ %/m);
    expect(run.stdout).toMatch(/^summary: tiny nested: UAR file [\d.]+ ± [\d.]+ %/m);
  });

  it('plans speaker-disjoint folds; each LOCO fold tests one corpus none of whose speakers train or validate', () => {
    const bundle = readdirSync(work).find((d) => d.startsWith('cv-bundle-'))!;
    const plan = JSON.parse(readFileSync(path.join(work, bundle, 'plan.json'), 'utf8')).folds as { name: string; group: string; train: string[]; validation: string[]; test: string[] }[];
    expect(plan.map((f) => f.name)).toEqual([
      'ravdess-fold1', 'ravdess-fold2', 'ravdess-fold3', 'ravdess-fold4', 'ravdess-fold5', 'ravdess-fold6', 'loco-ravdess', 'loco-savee', 'loco-turev',
      'nested-savee-without-ravdess', 'nested-turev-without-savee', 'nested-ravdess-without-turev',
    ]);
    for (const f of plan) {
      const sets = [f.train, f.validation, f.test].map((s) => new Set(s));
      for (const [a, b] of [[0, 1], [0, 2], [1, 2]]) for (const s of sets[a]) expect(sets[b].has(s), `${f.name}: ${s}`).toBe(false);
      if (f.group === 'loco') {
        const corpus = f.name.slice('loco-'.length);
        expect(f.test.every((s) => s.startsWith(`${corpus}-`))).toBe(true);
        expect([...f.train, ...f.validation].some((s) => s.startsWith(`${corpus}-`))).toBe(false);
      }
      if (f.group === 'nested') {
        // Tests the validation corpus Y on a model that never saw the LOCO test corpus X in any part.
        const [, inner, outer] = /^nested-(\w+)-without-(\w+)$/.exec(f.name)!;
        expect(f.test.length).toBeGreaterThan(0);
        expect(f.test.every((s) => s.startsWith(`${inner}-`))).toBe(true);
        expect([...f.train, ...f.validation, ...f.test].some((s) => s.startsWith(`${outer}-`))).toBe(false);
        expect([...f.train, ...f.validation].some((s) => s.startsWith(`${inner}-`))).toBe(false);
        expect(f.train.length).toBeGreaterThan(0);
      }
    }
  });

  it('writes the summary with per-fold UAR in file and session mode, and a report with confusion matrices per mode', () => {
    const summary = JSON.parse(readFileSync(path.join(reportDir, 'cv-tiny.json'), 'utf8')) as CvSummary;
    const loco = summary.groups.find((g) => g.group === 'loco')!;
    expect(loco.folds.map((f) => f.test)).toEqual(['ravdess', 'savee', 'turev']);
    for (const f of loco.folds) {
      for (const m of ['file', 'session'] as const) {
        expect(f.uar[m]).toBeGreaterThanOrEqual(0);
        // The validation speakers' UAR, which choices between runs are made on.
        expect(f.validationUar![m]).toBeGreaterThan(0);
      }
    }
    for (const mode of ['file', 'session']) {
      const md = readFileSync(path.join(reportDir, `cv-tiny-loco-${mode}.md`), 'utf8');
      for (const corpus of ['ravdess', 'savee', 'turev']) {
        expect(md).toContain(`cv-tiny-loco-${mode}-${corpus}.svg`);
        expect(existsSync(path.join(reportDir, `cv-tiny-loco-${mode}-${corpus}.svg`))).toBe(true);
      }
    }
  });

  it('cv-plan writes the same folds and speakers as the run\'s bundle, without computing features (the teacher\'s plan)', async () => {
    const bundle = readdirSync(work).find((d) => d.startsWith('cv-bundle-'))!;
    const speakers = (f: { name: string; group: string; train: string[]; validation: string[]; test: string[] }) => ({ name: f.name, group: f.group, train: f.train, validation: f.validation, test: f.test });
    const fromBundle = JSON.parse(readFileSync(path.join(work, bundle, 'plan.json'), 'utf8')).folds.map(speakers);
    const out = path.join(dir, 'plan.json');
    const script = path.join(PROJECT_ROOT, 'dist/training/teacher/cv-plan.js');
    const env = { ...process.env, UNDERTONE_CORPORA: corporaDir() };
    const made = spawnSync(process.execPath, [script, '--cv', 'ravdess,loco,nested', '--corpus', 'ravdess,savee,turev', '--max-per-speaker', '6', '--out', out], { encoding: 'utf8', env });
    expect(made.status, made.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).folds.map(speakers)).toEqual(fromBundle);
    const bad = spawnSync(process.execPath, [script, '--cv', 'nested,klingon', '--out', out], { encoding: 'utf8', env });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--cv takes loco, nested or corpus names present \(.*ravdess.*\).*got klingon/);
  });

  it('stores every test window\'s calibrated scores, and cv-ensemble combines runs from them (a run with itself keeps each window\'s label)', () => {
    const foldDir = path.join(work, 'cv-tiny');
    const names = readdirSync(foldDir).filter((f) => f.endsWith('.json')).sort();
    expect(names.length).toBe(12);
    const read = (d: string, f: string) => JSON.parse(readFileSync(path.join(d, f), 'utf8')) as FoldResult;
    for (const f of names) {
      const r = read(foldDir, f);
      for (const mode of ['file', 'session'] as const) {
        const t = r.test[mode];
        expect(t.window_prob!.length).toBe(t.window_pred.length);
        t.window_prob!.forEach((p, w) => {
          expect(p.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 3);
          // The temperature keeps each window's order of classes (ties aside).
          expect(p[t.window_pred[w]]).toBe(Math.max(...p));
        });
      }
    }
    // The validation windows too, as positions in validation_clips (what a combination is judged on).
    for (const f of names) {
      const r = read(foldDir, f);
      const w = r.validation!.windows!;
      expect(w.file.window_clip.length).toBe(w.file.window_prob.length);
      expect(Math.max(...w.session.window_clip)).toBeLessThan(r.validation_clips!.length);
    }
    const script = path.join(PROJECT_ROOT, 'dist/training/cv-ensemble.js');
    const made = spawnSync(process.execPath, [script, '--runs', 'tiny,tiny', '--tag', 'tiny-x2', '--work', work, '--report', reportDir], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/^summary: tiny-x2 nested: UAR file [\d.]+ ± [\d.]+ %/m);
    // Its members are the runs, named by tag (not by seed).
    expect(made.stdout).toMatch(/^summary: tiny-x2 nested member run tiny alone: validation UAR/m);
    const summary = JSON.parse(readFileSync(path.join(reportDir, 'cv-tiny-x2.json'), 'utf8')) as CvSummary;
    expect(summary.combines).toEqual(['tiny', 'tiny']);
    expect(summary.groups.map((g) => g.group).sort()).toEqual(['loco', 'nested', 'ravdess']);
    expect(existsSync(path.join(reportDir, 'cv-tiny-x2-loco-session.md'))).toBe(true);
    for (const f of names) {
      const own = read(foldDir, f);
      const both = read(path.join(work, 'cv-tiny-x2'), f);
      expect(both.test.file.window_pred).toEqual(own.test.file.window_pred);
      expect(both.validation!.uar_file).toBeGreaterThanOrEqual(0);
      expect(both.validation!.windows!.file.window_prob).toEqual(own.validation!.windows!.file.window_prob);
      expect(both.members!.map((m) => m.test.session?.uar)).toEqual([own.test.session.uar, own.test.session.uar]);
    }
    const missing = spawnSync(process.execPath, [script, '--runs', 'tiny,nope', '--tag', 'x', '--work', work, '--report', reportDir], { encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cv-ensemble: .*cv-nope: no such run/);
  });

  it('--net-seed fits other nets on the same bundle, scoring the same windows, so the two runs combine', async () => {
    const other = await runCli(
      ['train', '--cv', 'ravdess,loco,nested', '--corpus', 'ravdess,savee,turev', '--max-per-speaker', '6', '--epochs', '1', '--steps', '4', '--augment', '0',
        '--norm', 'both', '--jobs', '2', '--work', work, '--report', reportDir, '--tag', 'tiny-n5', '--net-seed', '5'],
      { UNDERTONE_CACHE: path.join(dir, 'cache'), UNDERTONE_CORPORA: corporaDir() },
    );
    expect(other.code, other.stderr.slice(-2000)).toBe(0);
    expect(other.stderr).toMatch(/bundle: reused/);
    const names = readdirSync(path.join(work, 'cv-tiny')).filter((f) => f.endsWith('.json')).sort();
    let differ = 0;
    for (const f of names) {
      const a = JSON.parse(readFileSync(path.join(work, 'cv-tiny', f), 'utf8')) as FoldResult & { args: { net_seed: number | null } };
      const b = JSON.parse(readFileSync(path.join(work, 'cv-tiny-n5', f), 'utf8')) as FoldResult & { args: { net_seed: number | null } };
      expect([a.args.net_seed, b.args.net_seed]).toEqual([null, 5]);
      // The session order is --seed's: the same windows of the same clips in both modes.
      for (const mode of ['file', 'session'] as const) expect(b.test[mode].window_clip, `${f} ${mode}`).toEqual(a.test[mode].window_clip);
      if (JSON.stringify(b.test.file.window_prob) !== JSON.stringify(a.test.file.window_prob)) differ++;
    }
    expect(differ).toBeGreaterThan(names.length / 2);
    const made = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'dist/training/cv-ensemble.js'), '--runs', 'tiny,tiny-n5', '--tag', 'tiny-seeds', '--work', work, '--report', reportDir], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/^summary: tiny-seeds loco: UAR file [\d.]+ ± [\d.]+ %/m);
  }, 600_000);

  // After the tests that read the fold results: this one rewrites one of them.
  it('--resume keeps the folds the same recipe finished and fits again the one whose recipe differs, naming why', async () => {
    const foldDir = path.join(work, 'cv-tiny');
    const names = readdirSync(foldDir).filter((f) => f.endsWith('.json')).sort();
    const before = new Map(names.map((f) => [f, readFileSync(path.join(foldDir, f), 'utf8')]));
    // As if loco-savee had been fitted with another seed: the only fold that must be fitted again.
    const changed = JSON.parse(before.get('loco-savee.json')!) as FoldResult & { args: Record<string, unknown> };
    writeFileSync(path.join(foldDir, 'loco-savee.json'), JSON.stringify({ ...changed, args: { ...changed.args, seed: 7 } }));
    const again = await runCli(
      ['train', '--cv', 'ravdess,loco,nested', '--corpus', 'ravdess,savee,turev', '--max-per-speaker', '6', '--epochs', '1', '--steps', '4', '--augment', '0',
        '--norm', 'both', '--jobs', '2', '--work', work, '--report', reportDir, '--tag', 'tiny', '--resume'],
      { UNDERTONE_CACHE: path.join(dir, 'cache'), UNDERTONE_CORPORA: corporaDir() },
    );
    expect(again.code, again.stderr.slice(-2000)).toBe(0);
    expect(again.stderr.match(/kept from the earlier run/g)?.length).toBe(11);
    expect(again.stderr).toMatch(/loco-savee: fitted again, the earlier result is not kept: recipe differs in seed \(7 then, 1 now\)/);
    expect(again.stderr.match(/: epoch 1 loss/g)?.length).toBe(1);
    for (const f of names) if (f !== 'loco-savee.json') expect(readFileSync(path.join(foldDir, f), 'utf8'), f).toBe(before.get(f));
    expect((JSON.parse(readFileSync(path.join(foldDir, 'loco-savee.json'), 'utf8')) as { args: { seed: number } }).args.seed).toBe(1);
    expect(again.stdout).toMatch(/^summary: tiny loco: UAR file [\d.]+ ± [\d.]+ %/m);
    const alone = await runCli(['train', '--resume', '--corpus', 'ravdess']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--resume .* needs --cv/);
  }, 600_000);

  it('refuses an unknown fold group, naming the groups it takes', async () => {
    const bad = await runCli(['train', '--cv', 'crema', '--corpus', 'ravdess']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--cv takes loco, nested or corpus names present \(ravdess\)/);
  });
});
