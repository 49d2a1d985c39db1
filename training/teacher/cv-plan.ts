/**
 * A cross-validation plan (each fold's train / validation / test speakers), as JSON for the
 * teacher's Python side, without building the feature bundle.
 *
 *   node dist/training/teacher/cv-plan.js --cv nested,ravdess [--corpus a,b] [--max-per-speaker N] [--corpora DIR] [--out FILE]
 *
 * --corpus and --max-per-speaker select rows as `undertone train` does (selectRows): the plan depends
 * on them (validation speakers are chosen by their files).
 *
 * Why: `undertone train --cv G` writes the same plan into its bundle (cv-bundle-KEY/plan.json),
 * but only after computing every clip's features (~50 min with --codec). The teacher's soft labels
 * (probe.py / soft_labels.py --plan) must exist before the distilled run starts, so on a machine
 * without the bundle this writes the plan from the same function (cvPlan) first. Folds, speakers
 * and order are those of the run; the per-fold normalisation statistics, which the teacher does
 * not read, are left out.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cvGroupsError, cvPlan } from '../cross-validation.js';
import { corporaRoot, readManifest, selectRows } from '../manifest.js';
import { integer } from '../../server/process/parsers.js';
import { DEFAULT_TEACHER_DIR } from './paths.js';

const { values } = parseArgs({ options: { cv: { type: 'string' }, corpus: { type: 'string' }, 'max-per-speaker': { type: 'string' }, corpora: { type: 'string' }, out: { type: 'string' } } });
/** Every refusal ends the same way: the problem named, exit 2, nothing written. */
function fail(message: string): never {
  process.stderr.write(`cv-plan: ${message}\n`);
  process.exit(2);
}

const groups = (values.cv ?? '').split(',').filter(Boolean);
if (groups.length === 0) fail('--cv GROUPS is required (loco, nested or corpus names, comma-separated, as for undertone train --cv)');
let maxPerSpeaker: number | undefined;
try {
  maxPerSpeaker = values['max-per-speaker'] === undefined ? undefined : integer(1, 1e9)(values['max-per-speaker'], '--max-per-speaker');
} catch (e) {
  fail((e as Error).message);
}
const root = corporaRoot(values.corpora);
const rows = selectRows((await readManifest(join(root, 'manifest.csv'), root)).rows, { corpus: values.corpus, maxPerSpeaker });
const error = cvGroupsError(rows, groups);
if (error) fail(error);
const folds = cvPlan(rows, groups);
const out = resolve(values.out ?? join(DEFAULT_TEACHER_DIR, `plan-${groups.join('-')}.json`));
await writeFile(out, `${JSON.stringify({ folds }, null, 1)}\n`);
process.stderr.write(`cv-plan: ${folds.length} folds (${folds.map((f) => f.name).join(', ')}) -> ${out}\n`);
