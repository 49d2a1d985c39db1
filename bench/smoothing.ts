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
 * changes/min; target = the highest accuracy among points meeting both (the target).
 * All are reported on the test calls, beside the shipped default. The last line names the
 * setting to ship: the more accurate (on validation) of the two methods' target choices, else of
 * their steadiness-first choices; copy it into DEFAULT_SMOOTHING (core/supervision/smoothing.ts).
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

/**
 * Hysteresis on the shown label: a margin (lead in smoothed score) or a ratio (lead in
 * log-probability), one at a time; { margin 0, ratio 1 } is none.
 */
const HYSTERESIS: readonly Pick<SmoothingSettings, 'switchMargin' | 'switchRatio'>[] = [
  ...[0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6].map((switchMargin) => ({ switchMargin, switchRatio: 1 })),
  ...[2, 3, 4, 5, 6, 8, 10].map((switchRatio) => ({ switchMargin: 0, switchRatio })),
];

/** Persistence down to 1/8 (no memory for eight labels): the model's 3-s windows already overlap by 2 s. */
export const HMM_GRID: SmoothingSettings[] = [0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.7, 0.9].flatMap((persistence) =>
  [0.5, 0.7, 1, 1.25, 1.5, 2].flatMap((observationWeight) =>
    HYSTERESIS.map((h) => ({ ...DEFAULT_SMOOTHING, method: 'hmm' as const, persistence, observationWeight, ...h })),
  ),
);
export const EMA_GRID: SmoothingSettings[] = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1].flatMap((alpha) =>
  HYSTERESIS.map((h) => ({ ...DEFAULT_SMOOTHING, method: 'ema' as const, alpha, ...h })),
);

interface Choice {
  readonly settings: SmoothingSettings;
  readonly val: LabelFigures;
}

/**
 * Three choices per method on the validation calls: accuracy first (the fewest changes among the
 * points at least as accurate as raw), steadiness first (the most accurate point with at most a
 * third of raw's changes) and target (the most accurate point that meets both: at most a third of
 * raw's changes and at least raw's accuracy). Each is null when no grid point qualifies.
 */
function choose(grid: readonly SmoothingSettings[], calls: readonly ScoredCall[], labels: readonly Label[], raw: LabelFigures): Record<'accuracyFirst' | 'steadyFirst' | 'target', Choice | null> {
  const scored = grid.map((settings) => ({ settings, val: labelFigures(calls, labels, settings) }));
  const notWorse = scored.filter((s) => s.val.accuracy >= raw.accuracy);
  const steady = scored.filter((s) => s.val.changesPerMinute * 3 <= raw.changesPerMinute);
  const both = steady.filter((s) => s.val.accuracy >= raw.accuracy);
  const mostAccurate = (pool: Choice[]) => (pool.length ? pool.reduce((a, b) => (b.val.accuracy > a.val.accuracy ? b : a)) : null);
  return {
    accuracyFirst: notWorse.length ? notWorse.reduce((a, b) => (b.val.changesPerMinute < a.val.changesPerMinute ? b : a)) : null,
    steadyFirst: mostAccurate(steady),
    target: mostAccurate(both),
  };
}

function describe(s: SmoothingSettings | null): string {
  if (!s) return 'raw (per-second argmax)';
  const hysteresis = [s.switchMargin > 0 && `margin ${s.switchMargin}`, s.switchRatio > 1 && `ratio ${s.switchRatio}`].filter(Boolean).join(' ') || 'no hysteresis';
  if (s.method === 'hmm') return `hmm p ${s.persistence} w ${s.observationWeight} ${hysteresis}`;
  if (s.method === 'ema') return `ema alpha ${s.alpha} ${hysteresis}`;
  return `none ${hysteresis}`;
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
  if (c.target) both(`${method}, target: ${describe(c.target.settings).replace(/^(hmm|ema) /, '')}`, c.target.settings);
  else console.log(`${method}, target: no grid point with 3x fewer changes and raw's accuracy on validation`);
}
both(`shipped default: ${describe(DEFAULT_SMOOTHING)}`, DEFAULT_SMOOTHING);
const targets = [hmm.target, ema.target].filter((c): c is Choice => c !== null);
const pool = targets.length > 0 ? targets : [hmm.steadyFirst, ema.steadyFirst].filter((c): c is Choice => c !== null);
console.log(
  `${'non-causal bound: majority raw label of each run'.padEnd(46)} ${(runMajorityAccuracy(val) * 100).toFixed(1).padStart(14)} %${' '.repeat(21)}   ${(runMajorityAccuracy(test) * 100).toFixed(1).padStart(14)} %`,
);
if (pool.length === 0) console.log('\nto ship: no grid point has 3x fewer changes on validation; keep the default');
else {
  const pick = pool.reduce((a, b) => (b.val.accuracy > a.val.accuracy ? b : a)).settings;
  const { method, persistence, observationWeight, alpha, switchMargin, switchRatio } = pick;
  console.log(`\nto ship (${targets.length > 0 ? 'target' : 'steadiness first'} rule, validation): ${JSON.stringify({ method, persistence, observationWeight, alpha, switchMargin, switchRatio })}`);
}
