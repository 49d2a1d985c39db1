/**
 * Steady labels: label changes per minute and per-second accuracy, raw vs smoothed, on synthetic
 * calls of held-out speakers (bench/lib/synthetic-calls.ts). The smoothers' parameters are chosen
 * on the model's validation speakers; the figures that count are on its test speakers.
 *
 *   npm run bench:smoothing [-- --model DIR --seed 14 --max-seconds-per-speaker 600]
 *
 * Choice rules (fixed before looking at test figures), each on the validation calls:
 * accuracy first = the fewest changes/min among grid points at least as accurate as raw;
 * steadiness first = the highest accuracy among grid points with at most a third of raw's
 * changes/min. Both are reported on the test calls, beside the shipped default.
 */
import { parseArgs } from 'node:util';
import { modelDir } from '../server/process/paths.js';
import type { Label } from '../core/labels.js';
import { EmotionModel } from '../core/model/emotion-model.js';
import { DEFAULT_SMOOTHING, type SmoothingSettings } from '../core/supervision/smoothing.js';
import { announceConditions } from './lib/machine.js';
import { type LabelFigures, labelFigures, runMajorityAccuracy, truthChangesPerMinute } from './lib/supervision-eval.js';
import { type CallOptions, DEFAULT_CALL_OPTIONS, type ScoredCall, scoredCalls } from './lib/synthetic-calls.js';
import { parseOrExit } from './lib/args.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    seed: { type: 'string', default: String(DEFAULT_CALL_OPTIONS.seed) },
    'max-seconds-per-speaker': { type: 'string', default: String(DEFAULT_CALL_OPTIONS.maxSecondsPerSpeaker) },
  },
});
const callOptions: CallOptions = parseOrExit('bench:smoothing', () => {
  const seed = Number(values.seed);
  const max = Number(values['max-seconds-per-speaker']);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
  if (!(max > 0)) throw new Error(`--max-seconds-per-speaker must be a positive number, got ${values['max-seconds-per-speaker']}`);
  return { ...DEFAULT_CALL_OPTIONS, seed, maxSecondsPerSpeaker: max };
});

const MARGINS = [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3];

export const HMM_GRID: SmoothingSettings[] = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95].flatMap((persistence) =>
  [0.3, 0.5, 0.7, 1, 1.5].flatMap((observationWeight) =>
    MARGINS.map((switchMargin) => ({ ...DEFAULT_SMOOTHING, method: 'hmm' as const, persistence, observationWeight, switchMargin })),
  ),
);
export const EMA_GRID: SmoothingSettings[] = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7].flatMap((alpha) =>
  MARGINS.map((switchMargin) => ({ ...DEFAULT_SMOOTHING, method: 'ema' as const, alpha, switchMargin })),
);

interface Choice {
  readonly settings: SmoothingSettings;
  readonly val: LabelFigures;
}

/**
 * Two choices per method on the validation calls: accuracy first (the fewest changes among the
 * points at least as accurate as raw) and steadiness first (the most accurate point with at most
 * a third of raw's changes). Either is null when no grid point qualifies.
 */
function choose(grid: readonly SmoothingSettings[], calls: readonly ScoredCall[], labels: readonly Label[], raw: LabelFigures): { accuracyFirst: Choice | null; steadyFirst: Choice | null } {
  const scored = grid.map((settings) => ({ settings, val: labelFigures(calls, labels, settings) }));
  const notWorse = scored.filter((s) => s.val.accuracy >= raw.accuracy);
  const steady = scored.filter((s) => s.val.changesPerMinute * 3 <= raw.changesPerMinute);
  return {
    accuracyFirst: notWorse.length ? notWorse.reduce((a, b) => (b.val.changesPerMinute < a.val.changesPerMinute ? b : a)) : null,
    steadyFirst: steady.length ? steady.reduce((a, b) => (b.val.accuracy > a.val.accuracy ? b : a)) : null,
  };
}

function describe(s: SmoothingSettings | null): string {
  if (!s) return 'raw (per-second argmax)';
  if (s.method === 'hmm') return `hmm p ${s.persistence} w ${s.observationWeight} margin ${s.switchMargin}`;
  if (s.method === 'ema') return `ema alpha ${s.alpha} margin ${s.switchMargin}`;
  return 'none';
}

announceConditions();
const model = await EmotionModel.load(modelDir(values.model));
const { validationSpeakers, testSpeakers } = model.metadata.training;
const labels = model.labels;
const t0 = Date.now();
const progress = (c: ScoredCall) => process.stderr.write(`  scored a ${(c.durationMs / 1000).toFixed(0)} s call of ${c.speaker}\n`);
const val = await scoredCalls(model, validationSpeakers, callOptions, undefined, progress);
const test = await scoredCalls(model, testSpeakers, callOptions, undefined, progress);
await model.release();
const minutes = (calls: ScoredCall[]) => calls.reduce((s, c) => s + c.durationMs, 0) / 60000;
console.log(`model ${model.metadata.name} ${model.metadata.version}; synthetic calls (runs of ${callOptions.minRunSeconds}-${callOptions.maxRunSeconds} s, seed ${callOptions.seed}, <= ${callOptions.maxSecondsPerSpeaker} s per speaker), scored in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(`validation: ${val.length} calls, ${minutes(val).toFixed(1)} min, speakers ${validationSpeakers.join(' ')}`);
console.log(`test:       ${test.length} calls, ${minutes(test).toFixed(1)} min, speakers ${testSpeakers.join(' ')}`);

const rawVal = labelFigures(val, labels, null);
const hmm = choose(HMM_GRID, val, labels, rawVal);
const ema = choose(EMA_GRID, val, labels, rawVal);
const rawTest = labelFigures(test, labels, null);
console.log(`\nvalidation speakers (${rawVal.seconds} voiced seconds), then the same settings on the test speakers (${rawTest.seconds} voiced seconds);`);
console.log(`silenceDecay ${DEFAULT_SMOOTHING.silenceDecay} throughout; the true emotion changes ${truthChangesPerMinute(val).toFixed(2)} (validation) and ${truthChangesPerMinute(test).toFixed(2)} (test) times per voiced minute.`);
console.log(`${'labels'.padEnd(46)} ${'validation: accuracy  changes/min  fewer'.padStart(43)}   ${'test: accuracy  changes/min  fewer'}`);
function both(name: string, settings: SmoothingSettings | null): void {
  const v = labelFigures(val, labels, settings);
  const t = labelFigures(test, labels, settings);
  console.log(`${name.padEnd(46)} ${cells(v, rawVal)}   ${cells(t, rawTest)}`);
}
function cells(f: LabelFigures, raw: LabelFigures): string {
  return `${(f.accuracy * 100).toFixed(1).padStart(14)} % ${f.changesPerMinute.toFixed(2).padStart(11)} ${(raw.changesPerMinute / f.changesPerMinute).toFixed(2).padStart(6)}x`;
}
both(describe(null), null);
for (const [method, c] of [['ema (baseline)', ema], ['hmm', hmm]] as const) {
  if (c.accuracyFirst) both(`${method}, accuracy first: ${describe(c.accuracyFirst.settings).replace(/^(hmm|ema) /, '')}`, c.accuracyFirst.settings);
  else console.log(`${method}, accuracy first: no grid point as accurate as raw on validation`);
  if (c.steadyFirst) both(`${method}, steadiness first: ${describe(c.steadyFirst.settings).replace(/^(hmm|ema) /, '')}`, c.steadyFirst.settings);
  else console.log(`${method}, steadiness first: no grid point with 3x fewer changes on validation`);
}
both(`shipped default: ${describe(DEFAULT_SMOOTHING)}`, DEFAULT_SMOOTHING);
console.log(
  `${'non-causal bound: majority raw label of each run'.padEnd(46)} ${(runMajorityAccuracy(val) * 100).toFixed(1).padStart(14)} %${' '.repeat(21)}   ${(runMajorityAccuracy(test) * 100).toFixed(1).padStart(14)} %`,
);
