/**
 * Cross-validation runs of the same folds combined into one ensemble after the fact: each
 * window's calibrated scores averaged over the runs (training/eval/fold-ensemble.ts), then the
 * usual summary, reports and ablation row, as if one run had fitted the ensemble.
 *
 *   node dist/training/cv-ensemble.js --runs TAG1,TAG2[,...] --tag NAME [--work DIR] [--report DIR]
 *
 * Reads WORK/cv-TAGk/<fold>.json (default WORK .cache/work, where `undertone train --cv` writes),
 * writes the combined folds to WORK/cv-NAME/ (so a combination can be combined again), the reports
 * cv-NAME-GROUP-MODE and the summary cv-NAME.json to REPORT (default docs/evaluation), which
 * `node dist/training/ablation-table.js` shows as row NAME. Only folds every run has are combined.
 * The runs must have scored the same clips with the same windows (same corpora, plan and window
 * length); runs from before 2026-12-04 21:00 lack the window scores and are refused by name.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type CvSummary, type FoldResult, type GroupSummary, summariseGroup, summaryLines } from './cross-validation.js';
import { combineFold } from './eval/fold-ensemble.js';

/** Every refusal ends the same way: the problem named, exit 2. */
function fail(message: string): never {
  process.stderr.write(`cv-ensemble: ${message}\n`);
  process.exit(2);
}

const { values } = parseArgs({ options: { runs: { type: 'string' }, tag: { type: 'string' }, work: { type: 'string' }, report: { type: 'string' } } });
const tags = (values.runs ?? '').split(',').filter(Boolean);
if (tags.length < 2) fail('--runs TAG1,TAG2[,...] names at least two cross-validation runs (the --tag of each `undertone train --cv` run)');
if (!values.tag || !/^[\w.-]+$/.test(values.tag)) fail('--tag NAME is required (letters, digits, . _ -): the combination\'s row and report names');
if (tags.includes(values.tag)) fail(`--tag ${values.tag} is one of the runs combined; give the combination a name of its own`);
const work = resolve(values.work ?? '.cache/work');
const reportDir = resolve(values.report ?? 'docs/evaluation');

/** A run's fold results by fold name. */
async function readRun(tag: string): Promise<Map<string, FoldResult>> {
  const dir = join(work, `cv-${tag}`);
  if (!existsSync(dir)) fail(`${dir}: no such run (is --work the folder \`undertone train --cv --tag ${tag}\` wrote to?)`);
  const folds = new Map<string, FoldResult>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    try {
      const r = JSON.parse(await readFile(join(dir, f), 'utf8')) as FoldResult;
      folds.set(r.fold, r);
    } catch (e) {
      fail(`${join(dir, f)}: not a fold result (${(e as Error).message})`);
    }
  }
  if (folds.size === 0) fail(`${dir}: no fold results in it`);
  return folds;
}

const runs = await Promise.all(tags.map(readRun));
const names = [...runs[0].keys()].filter((name) => runs.every((r) => r.has(name)));
if (names.length === 0) fail(`the runs ${tags.join(', ')} share no fold`);
const left = runs.flatMap((r, k) => [...r.keys()].filter((n) => !names.includes(n)).map((n) => `${n} (${tags[k]})`));
if (left.length > 0) process.stderr.write(`cv-ensemble: folds not in every run, left out: ${left.join(', ')}\n`);

const outDir = join(work, `cv-${values.tag}`);
await mkdir(outDir, { recursive: true });
const combined: FoldResult[] = [];
for (const name of names) {
  let fold: FoldResult;
  try {
    fold = combineFold(runs.map((r) => r.get(name)!), tags);
  } catch (e) {
    fail((e as Error).message);
  }
  await writeFile(join(outDir, `${name}.json`), JSON.stringify(fold));
  combined.push(fold);
}

const command = `node dist/training/cv-ensemble.js --runs ${tags.join(',')} --tag ${values.tag}`;
const groups: GroupSummary[] = [];
for (const group of [...new Set(combined.map((f) => f.group))]) {
  groups.push(await summariseGroup(group, combined.filter((f) => f.group === group), { dir: reportDir, tag: values.tag, command }));
}
const summary: CvSummary = { tag: values.tag, command, combines: tags, groups, minutes: combined.reduce((s, f) => s + f.seconds, 0) / 60 };
await writeFile(join(reportDir, `cv-${values.tag}.json`), JSON.stringify(summary, null, 1));
for (const line of summaryLines(summary)) process.stdout.write(`${line}\n`);
process.stderr.write(`cv-ensemble: ${names.length} folds of ${tags.length} runs -> ${outDir}; reports and cv-${values.tag}.json in ${reportDir}\n`);
