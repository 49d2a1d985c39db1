/**
 * Writes the test figures of cross-validation runs into a model's card (model.json
 * `card.crossValidation`), so the leave-one-corpus-out and speaker-fold numbers of the recipe
 * travel with the model file, beside the held-out figures `metrics` already holds.
 *
 *   node dist/training/card-cv.js MODEL_DIR docs/evaluation/cv-TAG.json [more cv-*.json]
 *
 * The entries replace what the card held before; a report that is missing or not a
 * cross-validation summary stops the command with its file named, and nothing is written.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { METADATA_FILE, type ModelMetadata } from '../core/model/metadata.js';
import type { CvSummary } from './cross-validation.js';
import { crossValidationCard } from './model-card.js';

function fail(why: string): never {
  process.stderr.write(`card-cv: ${why}\n`);
  process.exit(2);
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    return fail(`${path}: ${(e as Error).message}`);
  }
}

const [modelDir, ...reports] = process.argv.slice(2);
if (!modelDir || reports.length === 0) fail('usage: node dist/training/card-cv.js MODEL_DIR cv-TAG.json [cv-TAG2.json ...]');
const metaPath = join(modelDir, METADATA_FILE);
const meta = readJson(metaPath) as ModelMetadata;
if (!meta.card) fail(`${metaPath}: the model has no card to add to (train it with undertone train)`);
const entries = reports.flatMap((path) => {
  const summary = readJson(path) as Partial<CvSummary>;
  if (typeof summary.tag !== 'string' || typeof summary.command !== 'string' || !Array.isArray(summary.groups)) {
    return fail(`${path}: not a cross-validation summary (cv-TAG.json of undertone train --cv: tag, command, groups)`);
  }
  const card = crossValidationCard(summary as CvSummary);
  if (card.length === 0) fail(`${path}: no test folds (only validation corpora, --cv nested)`);
  return card;
});
writeFileSync(metaPath, JSON.stringify({ ...meta, card: { ...meta.card, crossValidation: entries } }, null, 1));
for (const e of entries) {
  process.stdout.write(`${metaPath}: ${e.tag} ${e.group} UAR file ${(e.uar.file.mean * 100).toFixed(1)} %, session ${(e.uar.session.mean * 100).toFixed(1)} % over ${e.folds.length} folds\n`);
}
