import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../server/process/paths.js';
import type { CvSummary } from './cross-validation.js';

// Two real runs of docs/evaluation: `codec` (nested and RAVDESS folds) and `codec-loco` (LOCO folds).
const dir = await mkdtemp(join(tmpdir(), 'undertone-ablation-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
for (const tag of ['codec', 'codec-loco']) await copyFile(join(PROJECT_ROOT, 'docs/evaluation', `cv-${tag}.json`), join(dir, `cv-${tag}.json`));
const codec = JSON.parse(await readFile(join(dir, 'cv-codec.json'), 'utf8')) as CvSummary;
const script = join(PROJECT_ROOT, 'dist/training/ablation-table.js');
const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
const pct = (x: number) => (x * 100).toFixed(1);

describe('ablation-table', () => {
  it('prints one row per run, and per-fold tables with a run a row and a fold a column', () => {
    const out = run(dir);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    const lines = out.stdout.split('\n');
    const runTable = lines.slice(0, lines.indexOf(''));
    expect(runTable[0]).toMatch(/^\| run \| validation UAR % file \/ session \(choices\) \|/);
    expect(runTable.slice(2).map((l) => l.split(' | ')[0])).toEqual(['| codec-loco', '| codec']);
    const nested = codec.groups.find((g) => g.group === 'nested')!;
    const header = lines.find((l) => l.startsWith('| run: nested folds, UAR % file / session |'))!;
    expect(header).toBe(`| run: nested folds, UAR % file / session | ${nested.folds.map((f) => f.test).join(' | ')} | mean |`);
    const row = lines[lines.indexOf(header) + 2];
    const cells = row.split(' | ');
    expect(cells[0]).toBe('| codec');
    expect(cells[1]).toBe(`${pct(nested.folds[0].uar.file)} / ${pct(nested.folds[0].uar.session)}`);
    expect(row.endsWith(`**${pct(nested.uar.file.mean)} / ${pct(nested.uar.session.mean)}** |`)).toBe(true);
    // The LOCO table holds the LOCO run alone; the RAVDESS table names folds by number.
    const loco = lines.find((l) => l.startsWith('| run: loco folds'))!;
    expect(lines[lines.indexOf(loco) + 2]).toMatch(/^\| codec-loco \| /);
    expect(lines[lines.indexOf(loco) + 3]).not.toMatch(/^\| codec \| /);
    expect(lines.find((l) => l.startsWith('| run: ravdess folds'))).toMatch(/\| fold1 \| fold2 \| .* \| fold6 \| mean \|$/);
  });

  it('replaces its tables in a document and leaves the rest; a document without one is refused', async () => {
    const doc = join(dir, 'doc.md');
    const stale = (first: string) => `${first} x |\n|---|---:|\n| old | 1 |`;
    const text = [
      '# page',
      stale('| run | validation UAR % file / session (choices) |'),
      'between',
      stale('| run: nested folds, UAR % file / session |'),
      stale('| run: loco folds, UAR % file / session |'),
      'words',
      stale('| run: ravdess folds, UAR % file / session |'),
      'end',
    ].join('\n\n');
    await writeFile(doc, text);
    const ok = run(dir, '--into', doc);
    expect(ok.status).toBe(0);
    const written = await readFile(doc, 'utf8');
    expect(written).not.toContain('| old | 1 |');
    for (const kept of ['# page', 'between', 'words', 'end']) expect(written).toContain(kept);
    expect(written).toMatch(/^\| codec-loco \| /m);
    await writeFile(doc, '# a page without the tables\n');
    const refused = run(dir, '--into', doc);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('no table whose header starts with');
  });
});
