/**
 * Prints the ablation table (Markdown) from the summaries `undertone train --cv ravdess,loco --tag
 * TAG` writes (DIR/cv-TAG.json): one row per run, the validation speakers' UAR over all folds
 * (what choices are made on), LOCO and RAVDESS test UAR in file and session mode, calibration,
 * wall time and the command.
 *
 *   node dist/training/ablation-table.js [DIR] [--into docs/accuracy.md]
 *
 * With --into FILE the tables replace their namesakes in FILE (the table whose header row starts
 * with the same first cell: "run", "run: nested folds, ...", "run: loco folds, ...", "run: ravdess
 * folds, ...") instead of being printed; a table FILE lacks is an error.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type CvSummary, type GroupSummary, memberMeans, memberName } from './cross-validation.js';

const USAGE = 'usage: node dist/training/ablation-table.js [DIR (default docs/evaluation)] [--into FILE]';
function fail(why: string): never {
  process.stderr.write(`ablation-table: ${why}\n${USAGE}\n`);
  process.exit(2);
}
function parse() {
  try {
    return parseArgs({ options: { into: { type: 'string' }, help: { type: 'boolean' } }, allowPositionals: true });
  } catch (e) {
    return fail((e as Error).message);
  }
}
const { values, positionals } = parse();
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (positionals.length > 1) fail(`one folder of cv-*.json summaries, got ${positionals.length} arguments`);
const into = values.into;
const dir = resolve(positionals[0] ?? 'docs/evaluation');
if (!existsSync(dir) || !statSync(dir).isDirectory()) fail(`${dir}: not a folder (of cv-TAG.json summaries)`);
/** The printed tables, each its header row, rule and rows (printed with a blank line between). */
const tables: string[][] = [];
const table = (...header: string[]): string[] => {
  tables.push(header);
  return header;
};
const all = readdirSync(dir)
  .filter((f) => /^cv-.*\.json$/.test(f))
  .sort() // by file name, whatever order the file system lists them in
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as CvSummary | { groups?: undefined })
  .filter((r): r is CvSummary => Array.isArray(r.groups));
/** A run of the validation-corpus folds alone, tagged `<tag>-nested`, fills the nested column of row `<tag>`. */
const nestedOnly = (r: CvSummary) => r.groups.length === 1 && r.groups[0].group === 'nested' && r.tag.endsWith('-nested');
const runs = all.filter((r) => !nestedOnly(r) || !all.some((o) => o.tag === r.tag.slice(0, -'-nested'.length)));
function nestedOf(r: CvSummary): GroupSummary | undefined {
  return r.groups.find((g) => g.group === 'nested') ?? all.find((o) => nestedOnly(o) && o.tag === `${r.tag}-nested`)?.groups[0];
}
const pct = (x: number) => (x * 100).toFixed(1);
const cell = (g: GroupSummary | undefined, mode: 'file' | 'session') => (g ? `${pct(g.uar[mode].mean)} ± ${pct(g.uar[mode].std)}` : '—');
/** Mean validation UAR (file / session) over the folds that have one: a run's, or one member's. */
function meanValidation(uars: readonly (Record<'file' | 'session', number> | undefined)[]): string {
  const known = uars.filter((u) => u !== undefined);
  if (known.length === 0) return '—';
  const mean = (m: 'file' | 'session') => known.reduce((s, u) => s + u[m], 0) / known.length;
  return `${pct(mean('file'))} / ${pct(mean('session'))}`;
}

/**
 * Choice rule 3's two figures (docs/accuracy.md): the mean of file and session UAR over the
 * validation-corpus folds other than TESS (two voices in all: its seed spread swamps the rest),
 * and over the RAVDESS folds' validation actors.
 */
function ruleThree(r: CvSummary): string {
  const both = (u: Record<'file' | 'session', number>) => (100 * (u.file + u.session)) / 2;
  const mean = (xs: number[]) => (xs.length ? (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2) : '—');
  const corpora = nestedOf(r)?.folds.filter((f) => f.test !== 'tess').map((f) => both(f.uar)) ?? [];
  const actors = r.groups.find((g) => g.group === 'ravdess')?.folds.flatMap((f) => (f.validationUar ? [both(f.validationUar)] : [])) ?? [];
  return `${mean(corpora)} | ${mean(actors)}`;
}

/**
 * Mean validation-speaker UAR (file / session) over the run's LOCO and speaker-group folds, when
 * its summary has it. The validation-corpus folds (nested) have their own column: their
 * validation speakers are another set, so mixing them in would make rows with and without them
 * incomparable.
 */
function validation(r: CvSummary): string {
  return meanValidation(speakerGroups(r).flatMap((g) => g.folds.map((f) => f.validationUar)));
}

/** The run's groups whose validation speakers the choice column averages: all but the nested folds. */
function speakerGroups(r: CvSummary): GroupSummary[] {
  return r.groups.filter((g) => g.group !== 'nested');
}
const runTable = table('| run | validation UAR % file / session (choices) | validation corpus (nested) UAR % file / session | rule 3: validation corpora without TESS, mean of modes % | rule 3: RAVDESS validation actors, mean of modes % | LOCO UAR % file | LOCO UAR % session | LOCO min % (file) | RAVDESS 6-fold UAR % file | RAVDESS session | window ECE % raw -> calibrated | minutes | command |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
for (const r of runs) {
  const loco = r.groups.find((g) => g.group === 'loco');
  const rav = r.groups.find((g) => g.group === 'ravdess');
  const ece = loco ?? rav ?? r.groups[0];
  const nested = nestedOf(r);
  runTable.push(
    `| ${r.tag} | ${validation(r)} | ${nested ? `${pct(nested.uar.file.mean)} / ${pct(nested.uar.session.mean)}` : '—'} | ${ruleThree(r)} | ${cell(loco, 'file')} | ${cell(loco, 'session')} | ${loco ? pct(loco.uar.file.min) : '—'} | ${cell(rav, 'file')} | ${cell(rav, 'session')} | ${pct(ece.ece.raw)} -> ${pct(ece.ece.calibrated)} | ${r.minutes.toFixed(0)} | \`${r.command}\` |`,
  );
  // A seed ensemble's members, each scored alone in the same run: what single runs of the recipe give.
  const members = r.groups.map((g) => ({ group: g.group, means: memberMeans(g) }));
  const count = Math.min(...members.map((m) => m.means.length));
  for (let k = 0; k < count; k++) {
    const of = (group: string) => members.find((m) => m.group === group)?.means[k];
    const val = meanValidation(speakerGroups(r).flatMap((g) => g.folds.map((f) => f.members![k].validationUar)));
    const test = (group: string, mode: 'file' | 'session') => (of(group) ? pct(of(group)!.test[mode]) : '—');
    const nestedMember = of('nested');
    runTable.push(`| ${r.tag}: ${memberName(r, k, of(r.groups[0].group)!.seed)} alone | ${val} | ${nestedMember ? `${pct(nestedMember.test.file)} / ${pct(nestedMember.test.session)}` : '—'} | — | — | ${test('loco', 'file')} | ${test('loco', 'session')} | — | ${test('ravdess', 'file')} | ${test('ravdess', 'session')} | — | — | the run above |`);
  }
}

// Per-fold tables: one row per run, one column per fold (its test corpus or actors), each cell
// "file / session" UAR. Runs as rows keep the tables readable as runs accumulate (a column pair
// per run had grown past a hundred columns).
const foldHeader = (group: string) => `| run: ${group} folds, UAR % file / session |`;
for (const group of ['nested', 'loco', 'ravdess']) {
  const withGroup = all.filter((r) => r.groups.some((g) => g.group === group));
  if (withGroup.length === 0) continue;
  const first = withGroup[0].groups.find((g) => g.group === group)!.folds;
  const name = (f: (typeof first)[number]) => (group === 'ravdess' ? f.fold.replace(/^ravdess-/, '') : f.test);
  const foldTable = table(`${foldHeader(group)} ${first.map(name).join(' | ')} | mean |`, `|---|${first.map(() => '---:').join('|')}|---:|`);
  for (const r of withGroup) {
    const g = r.groups.find((x) => x.group === group)!;
    const cells = first.map((want) => {
      const f = g.folds.find((x) => x.fold === want.fold);
      return f ? `${pct(f.uar.file)} / ${pct(f.uar.session)}` : '—';
    });
    foldTable.push(`| ${r.tag} | ${cells.join(' | ')} | **${pct(g.uar.file.mean)} / ${pct(g.uar.session.mean)}** |`);
  }
}

if (into === undefined) {
  console.log(tables.map((t) => t.join('\n')).join('\n\n'));
} else {
  // Each table replaces the one in `into` whose header starts alike.
  let doc = readFileSync(into, 'utf8').split('\n');
  for (const t of tables) {
    // The run table's first cell ("run") heads other tables of the page too: it is keyed by two cells.
    const key = t === runTable ? '| run | validation UAR % file / session (choices) |' : `${t[0].split('|').slice(0, 2).join('|')}|`;
    const start = doc.findIndex((l) => l.startsWith(key));
    if (start < 0) throw new Error(`${into}: no table whose header starts with "${key}"`);
    let end = start;
    while (end < doc.length && doc[end].startsWith('|')) end++;
    doc = [...doc.slice(0, start), ...t, ...doc.slice(end)];
  }
  writeFileSync(into, doc.join('\n'));
  process.stderr.write(`ablation-table: ${tables.length} tables replaced in ${into}\n`);
}
