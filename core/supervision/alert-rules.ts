/**
 * Alert rules: what must hold on the smoothed stream, for how many of the last voiced seconds,
 * before a rule fires, and how long it then stays quiet. Rules come from a JSON file
 * (`--alert-rules FILE`) or the built-in DEFAULT_ALERT_RULES; the schema is in docs/insight.md.
 *
 * File format: `{"rules": [RULE, ...], "includeDefaults": false}` (or a bare array of rules).
 * RULE:
 *   id               [A-Za-z0-9][A-Za-z0-9_-]{0,63}, unique (it labels the /metrics counter)
 *   description      optional text
 *   when             at least one condition; all must hold on a voiced second:
 *     labels         labels of the model; with minScore: their summed smoothed score >= minScore
 *     minScore       (0, 1], default 0.5 (only with labels)
 *     arousal        {min?, max?} bounds on the arousal (smoothed or raw: see input), within [-1, 1]
 *     valence        {min?, max?} bounds on the valence (smoothed or raw), within [-1, 1]
 *     arousalRise    {by, overSeconds}: arousal now minus its minimum over the previous
 *                    overSeconds voiced seconds >= by (by in (0, 2], overSeconds 1..600)
 *   input            "smoothed" (default) or "raw": which scores and affect of a second the
 *                    condition reads
 *   sustain          either {k, of}: the condition held on k of the last `of` voiced seconds, the
 *                    current one included (1 <= k <= of <= 600);
 *                    or {drift, threshold}: evidence accumulated (CUSUM) over voiced seconds:
 *                    sum = max(0, sum + x - drift), fire when sum >= threshold, where x is the
 *                    labels' summed score (0 where another bound fails; minScore is not used),
 *                    or 1/0 for a rule without labels (0 < drift < 1, 0 < threshold <= 600)
 *   cooldownSeconds  after firing, the rule is silent for this many seconds of stream time (0..86400)
 */
import { readFileSync } from 'node:fs';
import { isLabel, type Label } from '../labels.js';

export interface Bounds {
  readonly min?: number;
  readonly max?: number;
}

export interface RuleCondition {
  readonly labels?: readonly Label[];
  readonly minScore?: number;
  readonly arousal?: Bounds;
  readonly valence?: Bounds;
  readonly arousalRise?: { readonly by: number; readonly overSeconds: number };
}

/** The condition held on k of the last `of` voiced seconds. */
export interface CountSustain {
  readonly k: number;
  readonly of: number;
}

/** Evidence (CUSUM): per voiced second add the condition's score minus drift, floor 0; fire at threshold. */
export interface EvidenceSustain {
  readonly drift: number;
  readonly threshold: number;
}

export interface AlertRule {
  readonly id: string;
  readonly description?: string;
  readonly when: RuleCondition;
  /** Which view of a second the condition reads (default smoothed). */
  readonly input?: 'smoothed' | 'raw';
  readonly sustain: CountSustain | EvidenceSustain;
  readonly cooldownSeconds: number;
}

export const DEFAULT_MIN_SCORE = 0.5;

/**
 * The set built into the code, for a model whose model.json carries no tuning of its own; a model
 * that does (modelAlertRules; both shipped models since 2026-12-04) starts its sessions from that.
 * Each rule's condition, sustain and cooldown were chosen on the
 * validation speakers' synthetic calls by `npm run bench:alerts -- --tune [--rule rising-arousal]`
 * for the shipped 2-D stem ensemble, undertone-emotion-cnn 2026-12-03 (models/model.json createdAt
 * 2026-12-03T18:35:24.913Z) with the DEFAULT_SMOOTHING of that model: the highest detection with
 * at most 2 false alerts per hour of neutral/calm speech, then the lowest delay (docs/insight.md).
 * For this model that is a plain rule on the smoothed scores: negative mass of at least 0.85 in 2
 * of 3 voiced seconds (the valence-gated evidence rule chosen for the distilled 1-D ensemble
 * before it fired 10.6 times an hour on this model's neutral/calm test speech). On test speakers
 * it catches 33 % of sustained negative stretches at 1.3 false alerts an hour (the gated rule: 63
 * % at 10.2), and rising-arousal (smoothed arousal >= 0.4 after a rise of 0.5 over 10 s, 2 of 3)
 * 29 % of arousal rises at 8.9 false alerts an hour (docs/insight.md).
 */
export const DEFAULT_ALERT_RULES: readonly AlertRule[] = [
  {
    id: 'sustained-negative',
    description: 'Angry, disgusted, fearful or sad speech, held for several seconds',
    when: { labels: ['angry', 'disgust', 'fearful', 'sad'], minScore: 0.85 },
    sustain: { k: 2, of: 3 },
    cooldownSeconds: 30,
  },
  {
    id: 'rising-arousal',
    description: 'Arousal climbed steeply over the last few seconds to an activated level',
    when: { arousal: { min: 0.4 }, arousalRise: { by: 0.5, overSeconds: 10 } },
    sustain: { k: 2, of: 3 },
    cooldownSeconds: 60,
  },
];

/** A rules file that cannot be used; the message names the file and the problem. */
export class AlertRulesError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'AlertRulesError';
  }
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const RULE_KEYS = ['id', 'description', 'when', 'input', 'sustain', 'cooldownSeconds'];
const WHEN_KEYS = ['labels', 'minScore', 'arousal', 'valence', 'arousalRise'];

type Fail = (problem: string) => never;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unknownKeys(obj: Record<string, unknown>, known: readonly string[], where: string, fail: Fail): void {
  for (const k of Object.keys(obj)) if (!known.includes(k)) fail(`${where}: unknown field ${JSON.stringify(k)} (known: ${known.join(', ')})`);
}

function numberIn(v: unknown, min: number, max: number, where: string, fail: Fail, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)))
    fail(`${where} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v as number;
}

function bounds(v: unknown, where: string, fail: Fail): Bounds {
  if (!isObject(v)) fail(`${where} must be an object {min?, max?}`);
  const o = v as Record<string, unknown>;
  unknownKeys(o, ['min', 'max'], where, fail);
  if (o.min === undefined && o.max === undefined) fail(`${where} needs min or max`);
  const min = o.min === undefined ? undefined : numberIn(o.min, -1, 1, `${where}.min`, fail);
  const max = o.max === undefined ? undefined : numberIn(o.max, -1, 1, `${where}.max`, fail);
  if (min !== undefined && max !== undefined && min > max) fail(`${where}: min ${min} is above max ${max}`);
  return { ...(min !== undefined && { min }), ...(max !== undefined && { max }) };
}

function parseRule(raw: unknown, index: number, fail: Fail): AlertRule {
  const at = `rules[${index}]`;
  if (!isObject(raw)) fail(`${at} must be an object`);
  const r = raw as Record<string, unknown>;
  unknownKeys(r, RULE_KEYS, at, fail);
  if (typeof r.id !== 'string' || !ID_PATTERN.test(r.id)) fail(`${at}.id must match ${ID_PATTERN.source}, got ${JSON.stringify(r.id)}`);
  const id = r.id as string;
  const where = `rule ${JSON.stringify(id)}`;
  if (r.description !== undefined && typeof r.description !== 'string') fail(`${where}: description must be a string`);
  if (!isObject(r.when)) fail(`${where}: when must be an object with at least one of ${WHEN_KEYS.join(', ')}`);
  const w = r.when as Record<string, unknown>;
  unknownKeys(w, WHEN_KEYS, `${where}: when`, fail);
  const when: { -readonly [K in keyof RuleCondition]: RuleCondition[K] } = {};
  if (w.labels !== undefined) {
    if (!Array.isArray(w.labels) || w.labels.length === 0) fail(`${where}: when.labels must be a non-empty array of labels`);
    for (const l of w.labels as unknown[]) if (typeof l !== 'string' || !isLabel(l)) fail(`${where}: when.labels has unknown label ${JSON.stringify(l)}`);
    when.labels = [...new Set(w.labels as Label[])];
    when.minScore = w.minScore === undefined ? DEFAULT_MIN_SCORE : numberIn(w.minScore, 0, 1, `${where}: when.minScore`, fail);
    if (when.minScore === 0) fail(`${where}: when.minScore must be above 0 (0 would match every second)`);
  } else if (w.minScore !== undefined) fail(`${where}: when.minScore needs when.labels`);
  if (w.arousal !== undefined) when.arousal = bounds(w.arousal, `${where}: when.arousal`, fail);
  if (w.valence !== undefined) when.valence = bounds(w.valence, `${where}: when.valence`, fail);
  if (w.arousalRise !== undefined) {
    const ar = w.arousalRise;
    if (!isObject(ar)) fail(`${where}: when.arousalRise must be an object {by, overSeconds}`);
    const o = ar as Record<string, unknown>;
    unknownKeys(o, ['by', 'overSeconds'], `${where}: when.arousalRise`, fail);
    const by = numberIn(o.by, 0, 2, `${where}: when.arousalRise.by`, fail);
    if (by === 0) fail(`${where}: when.arousalRise.by must be above 0`);
    when.arousalRise = { by, overSeconds: numberIn(o.overSeconds, 1, 600, `${where}: when.arousalRise.overSeconds`, fail, true) };
  }
  if (Object.keys(when).length === 0) fail(`${where}: when needs at least one of labels, arousal, valence, arousalRise`);
  if (r.input !== undefined && r.input !== 'smoothed' && r.input !== 'raw') fail(`${where}: input must be "smoothed" or "raw", got ${JSON.stringify(r.input)}`);
  if (!isObject(r.sustain)) fail(`${where}: sustain must be an object {k, of} or {drift, threshold}`);
  const s = r.sustain as Record<string, unknown>;
  let sustain: CountSustain | EvidenceSustain;
  if ('drift' in s || 'threshold' in s) {
    unknownKeys(s, ['drift', 'threshold'], `${where}: sustain`, fail);
    const drift = numberIn(s.drift, 0, 1, `${where}: sustain.drift`, fail);
    if (drift === 0 || drift === 1) fail(`${where}: sustain.drift must be strictly between 0 and 1 (0 never drains the evidence, 1 never lets it grow)`);
    const threshold = numberIn(s.threshold, 0, 600, `${where}: sustain.threshold`, fail);
    if (threshold === 0) fail(`${where}: sustain.threshold must be above 0`);
    if (w.minScore !== undefined) fail(`${where}: when.minScore has no meaning with sustain {drift, threshold} (the drift plays its part)`);
    delete when.minScore;
    sustain = { drift, threshold };
  } else {
    unknownKeys(s, ['k', 'of'], `${where}: sustain`, fail);
    const of = numberIn(s.of, 1, 600, `${where}: sustain.of`, fail, true);
    sustain = { k: numberIn(s.k, 1, of, `${where}: sustain.k`, fail, true), of };
  }
  const cooldownSeconds = numberIn(r.cooldownSeconds, 0, 86400, `${where}: cooldownSeconds`, fail);
  return {
    id,
    ...(typeof r.description === 'string' && { description: r.description }),
    when,
    ...(r.input !== undefined && { input: r.input as 'smoothed' | 'raw' }),
    sustain,
    cooldownSeconds,
  };
}

/** A validated rules document: its own rules, and whether the built-in set comes first. */
export interface AlertRulesDoc {
  readonly rules: readonly AlertRule[];
  /** `"includeDefaults": true`: each session's built-in rules (its model's tuned ones) come first. */
  readonly includeDefaults: boolean;
}

/** Validates a parsed rules document; `file` names it in every error. */
export function parseAlertRulesDoc(doc: unknown, file: string): AlertRulesDoc {
  const fail: Fail = (problem) => {
    throw new AlertRulesError(file, problem);
  };
  let rawRules: unknown;
  let includeDefaults = false;
  if (Array.isArray(doc)) rawRules = doc;
  else if (isObject(doc)) {
    unknownKeys(doc, ['rules', 'includeDefaults'], 'top level', fail);
    if (!Array.isArray(doc.rules)) fail('top level: rules must be an array');
    rawRules = doc.rules;
    if (doc.includeDefaults !== undefined && typeof doc.includeDefaults !== 'boolean') fail('top level: includeDefaults must be true or false');
    includeDefaults = doc.includeDefaults === true;
  } else fail('must be a JSON object {"rules": [...]} or an array of rules');
  const rules = (rawRules as unknown[]).map((r, i) => parseRule(r, i, fail));
  // Tuned built-in rules keep the built-in ids, so this check holds for every model's set too.
  const seen = new Set<string>(includeDefaults ? DEFAULT_ALERT_RULES.map((r) => r.id) : []);
  for (const r of rules) {
    if (seen.has(r.id)) fail(`rule id ${JSON.stringify(r.id)} appears twice${includeDefaults ? ' (the defaults included)' : ''}`);
    seen.add(r.id);
  }
  return { rules, includeDefaults };
}

/** The rules a document gives a session whose built-in set is `builtIn` (DEFAULT_ALERT_RULES, or its model's tuned set). */
export function rulesOf(doc: AlertRulesDoc, builtIn: readonly AlertRule[] = DEFAULT_ALERT_RULES): AlertRule[] {
  return doc.includeDefaults ? [...builtIn, ...doc.rules] : [...doc.rules];
}

/** Validates a parsed rules document and returns its rules, with DEFAULT_ALERT_RULES first if it includes the defaults. */
export function parseAlertRules(doc: unknown, file: string): AlertRule[] {
  return rulesOf(parseAlertRulesDoc(doc, file));
}

/**
 * A model's built-in set: DEFAULT_ALERT_RULES, each replaced by the model's own tuning of it if
 * its model.json has one (`supervision.rules`, written by `bench:alerts --tune --write`: the
 * same rule chosen on that model's validation speakers).
 */
export function modelAlertRules(tuned: readonly AlertRule[] | undefined): readonly AlertRule[] {
  if (!tuned || tuned.length === 0) return DEFAULT_ALERT_RULES;
  return DEFAULT_ALERT_RULES.map((r) => tuned.find((t) => t.id === r.id) ?? r);
}

/** Reads and validates a rules file (once, at start); every problem is an AlertRulesError naming the file. */
export function loadAlertRulesDoc(file: string): AlertRulesDoc {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AlertRulesError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new AlertRulesError(file, `not valid JSON: ${(e as Error).message}`);
  }
  return parseAlertRulesDoc(doc, file);
}

/** Reads a rules file and returns its rules, with DEFAULT_ALERT_RULES first if it includes the defaults. */
export function loadAlertRules(file: string): AlertRule[] {
  return rulesOf(loadAlertRulesDoc(file));
}
