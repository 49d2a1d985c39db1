/**
 * Model metadata (`model.json` beside `model.onnx`): everything needed to feed the model exactly
 * as it was trained, plus what it was trained on and how well it did. Loading checks it against
 * this code: a model trained on other features is refused, never silently mis-fed.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FEATURE_CONFIG, type FeatureConfig, featureConfigHash, featureDim } from '../features/config.js';
import { isLabel, type Label } from '../labels.js';
import { type AlertRule, DEFAULT_ALERT_RULES, parseAlertRules } from '../supervision/alert-rules.js';
import { parseSmoothingSettings, type SmoothingSettings } from '../supervision/smoothing.js';
import type { Normalization, VoicingGate, WindowSpec } from './window.js';

export const METADATA_FILE = 'model.json';
export const ONNX_FILE = 'model.onnx';
export const METADATA_FORMAT = 'undertone-model/1';

export interface CorpusSummary {
  readonly files: number;
  readonly speakers: number;
  readonly seconds: number;
  readonly perLabel: Partial<Record<Label, number>>;
}

export interface ModelMetadata {
  readonly format: typeof METADATA_FORMAT;
  readonly name: string;
  readonly version: string;
  readonly createdAt: string;
  /** Output order of the model's score vector. */
  readonly labels: readonly Label[];
  readonly featureConfig: FeatureConfig;
  readonly featureConfigHash: string;
  readonly window: WindowSpec;
  readonly normalization: Normalization;
  readonly voicing: VoicingGate;
  /** ONNX input/output names and the sha256 of model.onnx. */
  readonly onnx: { readonly file: string; readonly sha256: string; readonly inputs: readonly ['features', 'mask']; readonly output: 'scores' };
  readonly training: {
    readonly corpora: Record<string, CorpusSummary>;
    readonly split: string;
    readonly testSpeakers: readonly string[];
    readonly validationSpeakers: readonly string[];
    readonly recipe: Record<string, unknown>;
    readonly durationSeconds?: number;
  };
  /** Score calibration folded into model.onnx (scores = softmax(logits / temperature)). */
  readonly calibration?: {
    readonly method: 'temperature';
    readonly temperature: number;
    readonly fittedOn: string;
    readonly validationEceBefore?: number;
    readonly validationEceAfter?: number;
  };
  /** Model card: intended use, and language and license of each training corpus (training/model-card.ts). */
  readonly card?: {
    readonly intendedUse: string;
    readonly notFor: string;
    readonly corpora: Record<string, CorpusSummary & { readonly language?: string; readonly license?: string; readonly commercialUseUnclear?: boolean }>;
    /** The teacher distilled into the model during training, if any (training/model-card.ts): its own description, the pretrained weights it was built on and their license, what it did. */
    readonly teacher?: { readonly description: string; readonly pretrained?: string; readonly license?: string; readonly role: string };
    /** Cross-validation of the recipe the model was trained with (training/model-card.ts crossValidationCard): test UAR per fold of each group. */
    readonly crossValidation?: readonly CrossValidationCard[];
  };
  /** Headline evaluation figures (see docs/ for the full report). */
  readonly metrics: Record<string, unknown>;
  /**
   * Supervision settings chosen for this model on its own validation speakers: each model's scores
   * are sharper or flatter, so the smoothing that steadies one over-smooths another, and a rule
   * that fires twice an hour on one model's neutral speech fires eight times on another's.
   * `smoothing` (`npm run bench:smoothing -- --write`): the server's --smoothing and a session's
   * start.smoothing lay fields over it; absent = DEFAULT_SMOOTHING. `rules` (`npm run bench:alerts
   * -- --tune --write`): the model's tuning of built-in rules, same ids, each replacing its
   * DEFAULT_ALERT_RULES entry; --alert-rules replaces the set as before. `chosen`: how each was
   * chosen, by "smoothing" or rule id.
   */
  readonly supervision?: {
    readonly smoothing?: SmoothingSettings;
    readonly rules?: readonly AlertRule[];
    readonly chosen: Readonly<Record<string, string>>;
  };
}

/** One group of folds (leave-one-corpus-out, or RAVDESS actor folds) of a cross-validation run, test figures only. */
export interface CrossValidationCard {
  /** `loco` or a corpus name (its speaker folds). */
  readonly group: string;
  /** What was cross-validated and how it relates to the shipped model. */
  readonly what: string;
  readonly tag: string;
  readonly command: string;
  /** UAR over the folds, file mode (each file alone) and session mode (a speaker's files streamed as one call). */
  readonly uar: Record<'file' | 'session', { readonly mean: number; readonly std: number; readonly min: number }>;
  readonly folds: readonly { readonly fold: string; readonly test: string; readonly uarFile: number; readonly uarSession: number }[];
}

export class ModelLoadError extends Error {
  constructor(message: string, readonly dir: string) {
    super(`model in ${dir}: ${message}`);
    this.name = 'ModelLoadError';
  }
}

/** Checks parsed metadata against this code's feature config and itself; throws ModelLoadError. */
export function validateMetadata(raw: unknown, dir: string, expected: FeatureConfig = FEATURE_CONFIG): ModelMetadata {
  const fail = (why: string): never => {
    throw new ModelLoadError(why, dir);
  };
  if (!raw || typeof raw !== 'object') fail(`${METADATA_FILE} is not a JSON object`);
  const m = raw as ModelMetadata;
  if (m.format !== METADATA_FORMAT) fail(`unknown metadata format ${JSON.stringify(m.format)} (expected ${METADATA_FORMAT})`);
  const codeHash = featureConfigHash(expected);
  if (m.featureConfigHash !== codeHash || featureConfigHash(m.featureConfig) !== codeHash) {
    fail(
      `${METADATA_FILE}: feature config mismatch: the model was trained with feature config ${m.featureConfigHash} ` +
        `but this build computes ${codeHash}; retrain the model (undertone train) or use the matching build`,
    );
  }
  if (!Array.isArray(m.labels) || m.labels.length < 2 || !m.labels.every((l) => typeof l === 'string' && isLabel(l))) {
    fail(`labels must be two or more of the known labels, got ${JSON.stringify(m.labels)}`);
  }
  if (new Set(m.labels).size !== m.labels.length) fail('labels repeat');
  const dim = featureDim(expected);
  const { mean, std } = m.normalization ?? {};
  if (!Array.isArray(mean) || !Array.isArray(std) || mean.length !== dim || std.length !== dim) {
    fail(`normalization must hold ${dim} means and stds`);
  }
  if (![...mean, ...std].every(Number.isFinite) || std.some((s) => s <= 0)) fail('normalization holds non-finite values or non-positive stds');
  const session = m.normalization.session;
  if (session !== undefined && (!(session.priorFrames >= 0) || !Number.isFinite(session.priorFrames) || !['both', 'session'].includes(session.layout))) {
    fail(`invalid session normalization ${JSON.stringify(session)} (priorFrames >= 0, layout "both" or "session")`);
  }
  if (!m.window || !Number.isInteger(m.window.frames) || m.window.frames < 10 || m.window.hopSeconds !== 1) {
    fail(`invalid window ${JSON.stringify(m.window)}`);
  }
  if (m.voicing?.method !== 'energy' || !Number.isFinite(m.voicing.thresholdDb) || !Number.isInteger(m.voicing.minVoicedFrames)) {
    fail(`invalid voicing gate ${JSON.stringify(m.voicing)}`);
  }
  if (!m.onnx || typeof m.onnx.file !== 'string' || typeof m.onnx.sha256 !== 'string') fail('onnx file entry missing');
  if (m.supervision !== undefined) return { ...m, supervision: validateSupervision(m.supervision, fail) };
  return m;
}

/** model.json `supervision`: every part checked as the server's flags are; fields smoothing leaves out take DEFAULT_SMOOTHING's. */
function validateSupervision(raw: unknown, fail: (why: string) => never): NonNullable<ModelMetadata['supervision']> {
  const where = `${METADATA_FILE} supervision`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(`${where} must be an object`);
  const { smoothing, rules, chosen, ...rest } = raw as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) fail(`${where}: unknown field ${JSON.stringify(unknown[0])} (known: smoothing, rules, chosen)`);
  if (typeof chosen !== 'object' || chosen === null || !Object.values(chosen).every((v) => typeof v === 'string')) {
    fail(`${where}.chosen must be an object of strings (how each part was chosen)`);
  }
  try {
    const builtIn = new Set(DEFAULT_ALERT_RULES.map((r) => r.id));
    const tuned = rules === undefined ? undefined : parseAlertRules(rules, `${where}.rules`);
    const stray = tuned?.find((r) => !builtIn.has(r.id));
    if (stray) fail(`${where}.rules: ${JSON.stringify(stray.id)} is not a built-in rule (a model tunes ${[...builtIn].join(', ')})`);
    return {
      ...(smoothing !== undefined ? { smoothing: parseSmoothingSettings(smoothing, where) } : {}),
      ...(tuned ? { rules: tuned } : {}),
      chosen: chosen as Record<string, string>,
    };
  } catch (e) {
    if (e instanceof ModelLoadError) throw e;
    return fail((e as Error).message);
  }
}

export interface LoadedModelFiles {
  readonly metadata: ModelMetadata;
  readonly onnxBytes: Uint8Array;
}

/** Reads and checks model.json and model.onnx from `dir` (hash included). */
export async function readModelFiles(dir: string): Promise<LoadedModelFiles> {
  let text: string;
  try {
    text = await readFile(join(dir, METADATA_FILE), 'utf8');
  } catch (e) {
    throw new ModelLoadError(`cannot read ${METADATA_FILE} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, dir);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ModelLoadError(`${METADATA_FILE} is not valid JSON (${(e as Error).message})`, dir);
  }
  const metadata = validateMetadata(raw, dir);
  let onnxBytes: Uint8Array;
  try {
    onnxBytes = await readFile(join(dir, metadata.onnx.file));
  } catch (e) {
    throw new ModelLoadError(`cannot read ${metadata.onnx.file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, dir);
  }
  const sha = sha256(onnxBytes);
  if (sha !== metadata.onnx.sha256) {
    throw new ModelLoadError(`${metadata.onnx.file} is damaged or replaced: sha256 ${sha.slice(0, 12)}… does not match the metadata's ${metadata.onnx.sha256.slice(0, 12)}…`, dir);
  }
  return { metadata, onnxBytes };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
