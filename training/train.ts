/**
 * From corpus rows and a speaker-independent split to a shipped model directory: features through
 * core (cached, augmented copies for training rows only), fitting in PyTorch, ONNX export, the
 * metadata serving checks, and an evaluation of the held-out speakers through the serving path.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FEATURE_CONFIG, featureConfigHash } from '../core/features/config.js';
import { LABELS, type Label } from '../core/labels.js';
import { EmotionModel } from '../core/model/emotion-model.js';
import { METADATA_FILE, METADATA_FORMAT, type CorpusSummary, type ModelMetadata, ONNX_FILE, sha256 } from '../core/model/metadata.js';
import { DEFAULT_VOICING, type Normalization } from '../core/model/window.js';
import { buildDataset, writeBundle } from './dataset.js';
import { evaluateModel, type Evaluation } from './evaluate.js';
import { type AugmentPolicy, DEFAULT_AUGMENT_POLICY } from './augment/index.js';
import { corpusNamed, type FitOptions, type FitResult, runFit } from './fit-runner.js';
import type { ManifestRow } from './manifest.js';
import { modelCard, teacherCard, teacherDescription } from './model-card.js';
import { speakersOf, type Split } from './splits.js';

/** The model name when `--name` is not given (the wideband model's). */
export const DEFAULT_MODEL_NAME = 'undertone-emotion-cnn';

export interface TrainOptions {
  readonly split: Split;
  /** Where model.onnx, model.json and parity.json go. */
  readonly modelDir: string;
  /** Scratch space for the bundle and fit outputs. */
  readonly workDir: string;
  readonly windowSeconds: number;
  readonly augmentCopies: number;
  /** What the augmented copies draw from (default DEFAULT_AUGMENT_POLICY: no telephone channel, no padding). */
  readonly augmentPolicy?: AugmentPolicy;
  readonly seed: number;
  readonly fit: FitOptions;
  readonly name?: string;
  readonly version?: string;
  readonly quiet?: boolean;
  /** Skip evaluating the test part (e.g. a split with no test speakers). */
  readonly skipEvaluation?: boolean;
}

export interface TrainResult {
  readonly metadata: ModelMetadata;
  readonly fit: FitResult;
  readonly evaluation?: Evaluation;
  readonly seconds: number;
}

export function summarizeCorpora(rows: readonly ManifestRow[]): Record<string, CorpusSummary> {
  const out: Record<string, CorpusSummary> = {};
  for (const corpus of [...new Set(rows.map((r) => r.corpus))].sort()) {
    const own = rows.filter((r) => r.corpus === corpus);
    const perLabel: Partial<Record<Label, number>> = {};
    for (const r of own) perLabel[r.emotion] = (perLabel[r.emotion] ?? 0) + 1;
    out[corpus] = {
      files: own.length,
      speakers: speakersOf(own).length,
      seconds: Math.round(own.reduce((s, r) => s + r.durationS, 0) * 10) / 10,
      perLabel,
    };
  }
  return out;
}

function log(quiet: boolean | undefined, line: string): void {
  if (!quiet) process.stderr.write(`${line}\n`);
}

/** The model's normalisation: the training originals' statistics, plus the session part of the recipe. */
function normalizationFor(global: Normalization, recipe: FitOptions, fit: FitResult): Normalization {
  const norm = recipe.norm ?? 'global';
  if (norm === 'global') return global;
  const priorFrames = Number(fit.args.prior_frames);
  return { ...global, session: { priorFrames, layout: norm } };
}

/** Temperature folded into model.onnx and what it did on the validation speakers' windows. */
function calibrationOf(fit: FitResult): ModelMetadata['calibration'] {
  return {
    method: 'temperature',
    temperature: fit.temperature,
    fittedOn: 'validation speakers, window level',
    ...(fit.validation ? { validationEceBefore: fit.validation.ece_window_raw, validationEceAfter: fit.validation.ece_window_calibrated } : {}),
  };
}

export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  const started = Date.now();
  const { split } = options;
  const windowFrames = Math.round(options.windowSeconds * (FEATURE_CONFIG.sampleRate / FEATURE_CONFIG.hopLength));
  log(options.quiet, `split ${split.name}: ${split.train.length} train / ${split.validation.length} validation / ${split.test.length} test files; ` +
    `${speakersOf(split.train).length} / ${speakersOf(split.validation).length} / ${speakersOf(split.test).length} speakers`);
  const augmentPolicy = options.augmentPolicy ?? DEFAULT_AUGMENT_POLICY;
  const dataset = await buildDataset(split, { augmentCopies: options.augmentCopies, augmentPolicy, seed: options.seed, quiet: options.quiet });
  const present = new Set(dataset.clips.filter((c) => c.part === 'train').map((c) => c.row.emotion));
  const labels = LABELS.filter((l) => present.has(l));
  const bundleDir = join(options.workDir, 'bundle');
  const fitDir = join(options.workDir, 'fit');
  await writeBundle(bundleDir, dataset, labels, windowFrames);
  const fit = await runFit(bundleDir, fitDir, options.fit, (msg) => {
    if (options.quiet) return;
    const member = msg.members ? `member ${msg.member}/${msg.members} ` : '';
    if (msg.event === 'start') log(false, `fit: ${member}${msg.train_clips} training clips, ${msg.val_clips} validation clips, ${msg.params} parameters, seed ${msg.seed}`);
    else if (msg.event === 'epoch') {
      const val = msg.val_uar_file !== undefined ? ` val UAR file ${(Number(msg.val_uar_file) * 100).toFixed(1)}% session ${(Number(msg.val_uar_session) * 100).toFixed(1)}%` : '';
      log(false, `fit: ${member}epoch ${msg.epoch} loss ${Number(msg.loss).toFixed(3)}${val}${corpusNamed(msg)} (${Number(msg.seconds).toFixed(1)} s, best epoch ${msg.best_epoch})`);
    } else if (msg.event === 'early_stop') log(false, `fit: ${member}early stop at epoch ${msg.epoch}, best ${msg.best_epoch}`);
  });
  await mkdir(options.modelDir, { recursive: true });
  await copyFile(join(fitDir, ONNX_FILE), join(options.modelDir, ONNX_FILE));
  await copyFile(join(fitDir, 'parity.json'), join(options.modelDir, 'parity.json'));
  const onnxBytes = await readFile(join(options.modelDir, ONNX_FILE));
  const trainRows = dataset.clips.filter((c) => c.part === 'train' && !c.augment).map((c) => c.row);
  let metadata: ModelMetadata = {
    format: METADATA_FORMAT,
    name: options.name ?? DEFAULT_MODEL_NAME,
    version: options.version ?? new Date().toISOString().slice(0, 10),
    createdAt: new Date().toISOString(),
    labels,
    featureConfig: FEATURE_CONFIG,
    featureConfigHash: featureConfigHash(FEATURE_CONFIG),
    window: { frames: windowFrames, hopSeconds: 1 },
    normalization: normalizationFor(dataset.normalization, options.fit, fit),
    voicing: DEFAULT_VOICING,
    onnx: { file: ONNX_FILE, sha256: sha256(onnxBytes), inputs: ['features', 'mask'], output: 'scores' },
    training: {
      corpora: summarizeCorpora(trainRows),
      split: split.name,
      testSpeakers: speakersOf(split.test),
      validationSpeakers: speakersOf(split.validation),
      recipe: {
        windowSeconds: options.windowSeconds,
        augmentCopies: options.augmentCopies,
        ...(augmentPolicy.telephoneProb > 0 ? { telephoneProb: augmentPolicy.telephoneProb } : {}),
        ...(augmentPolicy.padProb > 0 ? { padProb: augmentPolicy.padProb } : {}),
        ...(augmentPolicy.roomProb > 0 ? { roomProb: augmentPolicy.roomProb } : {}),
        ...(augmentPolicy.codecProb > 0 ? { codecProb: augmentPolicy.codecProb } : {}),
        seed: options.seed,
        ...fit.args, bestEpoch: fit.best_epoch, params: fit.params,
        ...(fit.members ? {
          ensemble: fit.members.map((m) => ({
            seed: m.seed, bestEpoch: m.best_epoch, temperature: m.temperature,
            ...(m.validation ? { validationUar: { file: m.validation.uar_file, session: m.validation.uar_session } } : {}),
          })),
        } : {}) },
    },
    calibration: calibrationOf(fit),
    card: modelCard(summarizeCorpora(trainRows), options.fit.teacher ? teacherCard(await teacherDescription(options.fit.teacher)) : undefined),
    metrics: { bestValidationScore: fit.best_val_score },
  };
  await writeFile(join(options.modelDir, METADATA_FILE), JSON.stringify(metadata, null, 1));
  let evaluation: Evaluation | undefined;
  if (!options.skipEvaluation && split.test.length > 0) {
    const model = await EmotionModel.load(options.modelDir);
    evaluation = await evaluateModel(model, split.test, { quiet: options.quiet });
    await model.release();
    const headline = (name: string) => evaluation!.sections.find((s) => s.name === name);
    const metrics: Record<string, unknown> = { bestValidationScore: fit.best_val_score };
    for (const s of evaluation.sections) {
      metrics[s.name] = {
        utterance: { n: s.utterance.n, accuracy: s.utterance.accuracy, uar: s.utterance.uar, macroF1: s.utterance.macroF1 },
        window: { n: s.window.n, accuracy: s.window.accuracy, uar: s.window.uar, macroF1: s.window.macroF1 },
      };
    }
    if (!headline('merged')) metrics.merged = metrics[evaluation.merged.name];
    metadata = { ...metadata, metrics };
    await writeFile(join(options.modelDir, METADATA_FILE), JSON.stringify(metadata, null, 1));
  }
  return { metadata, fit, evaluation, seconds: (Date.now() - started) / 1000 };
}
