/**
 * The shipped model's speaker split, as JSON for the teacher's Python side.
 *
 *   node dist/training/teacher/ship-split.js [--corpora DIR] [--out /work/cache/teacher/ship-split.json]
 *
 * Why: `undertone train` without --cv trains the shipped models on heldOutSplit(every manifest
 * row) (cli/train.ts). Soft labels for that split must never come from a head that saw its test
 * speakers, so the teacher reads the split from the same function instead of re-deriving it in
 * Python. Output: { name, train, validation, test } (speaker ids), the shape of a CV plan fold.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { corporaRoot, readManifest } from '../manifest.js';
import { heldOutSplit, speakersOf } from '../splits.js';
import { DEFAULT_TEACHER_DIR } from './paths.js';

const { values } = parseArgs({ options: { corpora: { type: 'string' }, out: { type: 'string' } } });
const root = corporaRoot(values.corpora);
const split = heldOutSplit((await readManifest(join(root, 'manifest.csv'), root)).rows);
const fold = { name: 'ship', group: 'ship', train: speakersOf(split.train), validation: speakersOf(split.validation), test: speakersOf(split.test) };
const out = resolve(values.out ?? join(DEFAULT_TEACHER_DIR, 'ship-split.json'));
await writeFile(out, `${JSON.stringify(fold, null, 1)}\n`);
process.stderr.write(`ship-split: ${fold.train.length} train, ${fold.validation.length} validation, ${fold.test.length} test speakers -> ${out}\n`);
