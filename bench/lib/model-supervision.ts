/**
 * Writes what a supervision bench chose for a model into its model.json (`supervision`), where the
 * server takes it from (core/model/metadata.ts). The file is read as JSON and rewritten whole, so
 * every other field keeps its value and order; the result is checked by loading it as the server
 * does, so a bench never leaves a model the server refuses.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type ModelMetadata, validateMetadata } from '../../core/model/metadata.js';

type Supervision = NonNullable<ModelMetadata['supervision']>;

export async function writeModelSupervision(file: string, update: (current: Supervision) => Supervision): Promise<void> {
  const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  const current = (json.supervision as Supervision | undefined) ?? { chosen: {} };
  json.supervision = update(current);
  validateMetadata(json, dirname(file));
  await writeFile(file, JSON.stringify(json, null, 1));
}
