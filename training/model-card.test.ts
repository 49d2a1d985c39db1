import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modelCard, teacherCard, teacherDescription } from './model-card.js';

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
});
