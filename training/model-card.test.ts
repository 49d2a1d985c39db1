import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmotionModel } from '../core/model/emotion-model.js';
import { PROJECT_ROOT } from '../server/process/paths.js';
import type { CvSummary } from './cross-validation.js';
import { crossValidationCard, modelCard, teacherCard, teacherDescription } from './model-card.js';

const dir = await mkdtemp(join(tmpdir(), 'undertone-card-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('model card', () => {
  it('names every training corpus with its license, and flags non-commercial ones', () => {
    const card = modelCard({ ravdess: { files: 10, speakers: 2, seconds: 30, perLabel: {} }, cremad: { files: 4, speakers: 1, seconds: 9, perLabel: {} } });
    expect(card.corpora.ravdess.license).toBe('CC BY-NC-SA 4.0');
    expect(card.corpora.ravdess.commercialUseUnclear).toBe(true);
    expect(card.corpora.cremad.commercialUseUnclear).toBe(false);
    expect(card.teacher).toBeUndefined();
  });

  it('carries a distilled teacher with the license of the pretrained weights it was built on', async () => {
    const path = join(dir, 'ship.json');
    await writeFile(path, JSON.stringify({ labels: [], sources: [], logits: [], head: 'mn04 frozen (emb) + linear {"l2": 0.003}, chosen on validation speakers' }));
    const card = modelCard({}, teacherCard(await teacherDescription(path)));
    expect(card.teacher?.description).toMatch(/^mn04 frozen/);
    expect(card.teacher?.license).toBe('MIT, Copyright (c) 2022 Florian Schmid');
    expect(card.teacher?.pretrained).toMatch(/EfficientAT/);
    expect(card.teacher?.role).toMatch(/no part of the teacher is in model.onnx/);
  });

  it('describes a teacher file without a description by its name, with no license claimed', async () => {
    const path = join(dir, 'fold.json');
    await writeFile(path, JSON.stringify({ labels: [], sources: [], logits: [] }));
    const teacher = teacherCard(await teacherDescription(path));
    expect(teacher.description).toBe('teacher scores from fold.json (no description in the file)');
    expect(teacher.license).toBeUndefined();
  });

  // A real report of the shipped recipe: RAVDESS actor folds beside the nested validation corpora.
  const report = join(PROJECT_ROOT, 'docs/evaluation/cv-kd-ship.json');

  it('carries the test folds of a cross-validation run, never its validation corpora', async () => {
    const summary = JSON.parse(await readFile(report, 'utf8')) as CvSummary;
    const card = crossValidationCard(summary);
    expect(card.map((c) => c.group)).toEqual(['ravdess']);
    const ravdess = summary.groups.find((g) => g.group === 'ravdess');
    expect(card[0].folds).toHaveLength(ravdess?.folds.length ?? -1);
    expect(card[0].uar.file.mean).toBeCloseTo(ravdess?.uar.file.mean ?? -1, 4);
    expect(card[0].folds[0].uarSession).toBeCloseTo(ravdess?.folds[0].uar.session ?? -1, 4);
    expect(card[0].what).toMatch(/one net of the recipe/);
    // An ensemble run says so, from its own recipe.
    expect(crossValidationCard({ ...summary, recipe: { ...summary.recipe, members: 3 } })[0].what).toMatch(/a 3-net ensemble of the recipe/);
    expect(card[0].command).toMatch(/^undertone train --cv/);
  });

  it('writes them into a model.json that still loads, and names a report that is not one', async () => {
    const model = join(dir, 'model');
    await mkdir(model, { recursive: true });
    for (const f of ['model.json', 'model.onnx']) await copyFile(join(PROJECT_ROOT, 'models', f), join(model, f));
    const script = join(PROJECT_ROOT, 'dist/training/card-cv.js');
    const ok = spawnSync(process.execPath, [script, model, report], { encoding: 'utf8' });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/kd-ship ravdess UAR file \d+\.\d %, session \d+\.\d % over 6 folds/);
    const loaded = await EmotionModel.load(model);
    expect(loaded.metadata.card?.crossValidation?.[0].group).toBe('ravdess');
    const bad = join(dir, 'not-cv.json');
    await writeFile(bad, JSON.stringify({ tag: 'x' }));
    const before = await readFile(join(model, 'model.json'), 'utf8');
    const refused = spawnSync(process.execPath, [script, model, report, bad], { encoding: 'utf8' });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`${bad}: not a cross-validation summary`);
    expect(await readFile(join(model, 'model.json'), 'utf8')).toBe(before);
  });
});
