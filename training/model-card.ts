/**
 * The model card fields of model.json: what each training corpus is (language, license, as
 * ../shared/corpora/README.md records them) and what the model is for. models/README.md is the
 * human-readable card; these fields travel with the model file itself.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { CorpusSummary, CrossValidationCard, ModelMetadata } from '../core/model/metadata.js';
import type { CvSummary } from './cross-validation.js';

export interface CorpusCard {
  readonly language: string;
  readonly license: string;
  /** True when the license forbids commercial use or no usable license is known. */
  readonly commercialUseUnclear: boolean;
}

export const CORPUS_CARDS: Readonly<Record<string, CorpusCard>> = {
  ravdess: { language: 'English (North American), acted', license: 'CC BY-NC-SA 4.0', commercialUseUnclear: true },
  tess: { language: 'English (Canadian), acted', license: 'CC BY-NC-ND 4.0', commercialUseUnclear: true },
  savee: { language: 'English (British), acted', license: 'no open license: research use after registration with the University of Surrey', commercialUseUnclear: true },
  cremad: { language: 'English (US), acted', license: 'ODbL 1.0 (database), DbCL 1.0 (contents)', commercialUseUnclear: false },
  nemo: { language: 'Polish, acted', license: 'CC BY-NC-SA 4.0', commercialUseUnclear: true },
  ased: { language: 'Amharic, acted', license: 'none stated by the authors', commercialUseUnclear: true },
  turev: { language: 'Turkish single words, acted', license: 'unclear: README says CC BY-NC-ND 4.0, LICENSE file is GPL v3', commercialUseUnclear: true },
};

/** A model whose scores were distilled into this one during training (training/teacher/): its shape is model.json's (core/model/metadata.ts). */
export type TeacherCard = NonNullable<NonNullable<ModelMetadata['card']>['teacher']>;

/**
 * Pretrained weights a teacher can be built on, by the name its description starts with. Why on
 * the card: ../shared/pretrained/README.md asks that the license notice stay with any model
 * derived from the weights, and a student distilled from their scores is derived from them.
 */
const PRETRAINED_CARDS: Readonly<Record<string, { readonly pretrained: string; readonly license: string }>> = {
  mn04: {
    pretrained: 'EfficientAT MobileNetV3 mn04, AudioSet-pretrained (Schmid et al., ICASSP 2023; ../shared/pretrained/efficientat-mn04)',
    license: 'MIT, Copyright (c) 2022 Florian Schmid',
  },
};

/** The description a teacher file carries (its `head` field; training/teacher/soft_labels.py, train_split.py --teacher-out). */
export async function teacherDescription(path: string): Promise<string> {
  const doc = JSON.parse(await readFile(path, 'utf8')) as { head?: unknown };
  return typeof doc.head === 'string' ? doc.head : `teacher scores from ${basename(path)} (no description in the file)`;
}

export function teacherCard(description: string): TeacherCard {
  const known = Object.entries(PRETRAINED_CARDS).find(([name]) => description.startsWith(name));
  return {
    description,
    ...(known ? known[1] : {}),
    role: 'its scores of the training clips were distilled into this model during training; no part of the teacher is in model.onnx or runs at inference',
  };
}

export interface ModelCard {
  readonly intendedUse: string;
  readonly notFor: string;
  readonly corpora: Record<string, CorpusSummary & Partial<CorpusCard>>;
  readonly teacher?: TeacherCard;
}

export function modelCard(corpora: Record<string, CorpusSummary>, teacher?: TeacherCard): ModelCard {
  const out: Record<string, CorpusSummary & Partial<CorpusCard>> = {};
  for (const [name, summary] of Object.entries(corpora)) out[name] = { ...summary, ...(CORPUS_CARDS[name] ?? {}) };
  return {
    intendedUse: 'Per-second estimate of which of eight acted emotion categories speech sounds most like, with calibrated scores, aggregated and reviewed by people (supervisor views, QA sampling, research).',
    notFor: 'Decisions about a person without human review; inferring what a person actually feels; covert monitoring. Trained on acted speech only; several training corpora are non-commercial or unlicensed (see corpora and models/README.md).',
    corpora: out,
    ...(teacher ? { teacher } : {}),
  };
}

/**
 * The test figures of a cross-validation run (`undertone train --cv ... --tag TAG`, its
 * cv-TAG.json) as model-card entries, one per group of folds. The `nested` group is left out:
 * its held-out corpora are validation data that choices were made on, not test figures.
 */
export function crossValidationCard(summary: CvSummary): CrossValidationCard[] {
  const round = (x: number) => Math.round(x * 10_000) / 10_000;
  const stats = (m: { mean: number; std: number; min: number }) => ({ mean: round(m.mean), std: round(m.std), min: round(m.min) });
  // What was cross-validated, from the run's own recipe: one net, or an ensemble of several.
  const members = summary.recipe?.members ?? 1;
  const nets = summary.combines
    ? `the runs ${summary.combines.join(', ')} combined (window scores averaged)`
    : members === 1 ? 'one net of the recipe' : `a ${members}-net ensemble of the recipe`;
  return summary.groups
    .filter((g) => g.group !== 'nested')
    .map((g) => ({
      group: g.group,
      what: g.group === 'loco'
        ? `leave-one-corpus-out: trained on every other corpus, tested on all of this one; ${nets}`
        : `${g.group} speaker folds: test speakers never heard in training or validation; ${nets}`,
      tag: summary.tag,
      command: summary.command,
      uar: { file: stats(g.uar.file), session: stats(g.uar.session) },
      folds: g.folds.map((f) => ({ fold: f.fold, test: f.test, uarFile: round(f.uar.file), uarSession: round(f.uar.session) })),
    }));
}
