/**
 * Steady labels: label changes per minute and per-second accuracy, raw vs smoothed, on synthetic
 * calls of held-out speakers (bench/lib/synthetic-calls.ts). The smoothers' parameters are chosen
 * on the model's validation speakers; the figures that count are on its test speakers.
 *
 *   npm run bench:smoothing [-- --model DIR --seed 14 --max-seconds-per-speaker 600 --channel g711-mulaw --write]
 *
 * --channel puts every call through a simulated telephone line first (for the narrowband model,
 * `--model models/narrowband`: what the server scores of a G.711 stream).
 *
 * Choice rules (fixed before looking at test figures), each on the validation calls:
 * accuracy first = the fewest changes/min among grid points at least as accurate as raw;
 * steadiness first = the highest accuracy among grid points with at most a third of raw's
 * changes/min; target = the highest accuracy among points meeting both (the target).
 * All are reported on the test calls, beside the model's current setting (model.json
 * `supervision.smoothing`, else DEFAULT_SMOOTHING). The filter to ship: the more accurate (on
 * validation) of the two methods' target choices, else of their steadiness-first choices.
 *
 * Then the settled label (core/supervision/settling.ts, fixed-lag smoothing): for each lag, the
 * target choice on validation at that lag, reported on test; the one to ship is the shortest lag
 * with a target choice (bench/lib/smoothing-tuning.ts chooseSettling). --write stores both in the
 * model's model.json, where the server takes them from for every session of that model
 * (core/supervision/smoothing.ts modelSmoothing).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { modelDir } from '../server/process/paths.js';
import { EmotionModel } from '../core/model/emotion-model.js';
import { METADATA_FILE } from '../core/model/metadata.js';
import { DEFAULT_SMOOTHING, modelSmoothing, type SmoothingSettings } from '../core/supervision/smoothing.js';
import { announceConditions } from './lib/machine.js';
import { writeModelSupervision } from './lib/model-supervision.js';
import { type LabelFigures, labelFigures, runMajorityAccuracy, settledLabelFigures, truthChangesPerMinute } from './lib/supervision-eval.js';
import { type CallOptions, callChannel, DEFAULT_CALL_OPTIONS, describeCalls, type ScoredCall, scoredCalls } from './lib/synthetic-calls.js';
import { parseOrExit } from './lib/args.js';
import {
  chooseSettling,
  chooseSmoothing,
  describeSettling,
  describeSmoothing,
  EMA_GRID,
  HMM_GRID,
  SETTLE_GRID,
  settingToShip,
  settlingByLag,
} from './lib/smoothing-tuning.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    seed: { type: 'string', default: String(DEFAULT_CALL_OPTIONS.seed) },
    'max-seconds-per-speaker': { type: 'string', default: String(DEFAULT_CALL_OPTIONS.maxSecondsPerSpeaker) },
    channel: { type: 'string' },
    write: { type: 'boolean', default: false },
  },
});
const callOptions: CallOptions = parseOrExit('bench:smoothing', () => {
  const seed = Number(values.seed);
  const max = Number(values['max-seconds-per-speaker']);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
  if (!(max > 0)) throw new Error(`--max-seconds-per-speaker must be a positive number, got ${values['max-seconds-per-speaker']}`);
  return { ...DEFAULT_CALL_OPTIONS, seed, maxSecondsPerSpeaker: max, ...callChannel(values.channel) };
});

announceConditions();
const dir = modelDir(values.model);
const model = await EmotionModel.load(dir);
const current = modelSmoothing(model.metadata);
const { validationSpeakers, testSpeakers } = model.metadata.training;
const labels = model.labels;
const t0 = Date.now();
const progress = (c: ScoredCall) => process.stderr.write(`  scored a ${(c.durationMs / 1000).toFixed(0)} s call of ${c.speaker}\n`);
const val = await scoredCalls(model, validationSpeakers, callOptions, undefined, progress);
const test = await scoredCalls(model, testSpeakers, callOptions, undefined, progress);
await model.release();
const minutes = (calls: ScoredCall[]) => calls.reduce((s, c) => s + c.durationMs, 0) / 60000;
console.log(`model ${model.metadata.name} ${model.metadata.version}; ${describeCalls(callOptions)}, scored in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(`validation: ${val.length} calls, ${minutes(val).toFixed(1)} min, speakers ${validationSpeakers.join(' ')}`);
console.log(`test:       ${test.length} calls, ${minutes(test).toFixed(1)} min, speakers ${testSpeakers.join(' ')}`);

const rawVal = labelFigures(val, labels, null);
const scoreGrid = (grid: readonly SmoothingSettings[]) => grid.map((settings) => ({ settings, val: labelFigures(val, labels, settings) }));
const hmm = chooseSmoothing(scoreGrid(HMM_GRID), rawVal);
const ema = chooseSmoothing(scoreGrid(EMA_GRID), rawVal);
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
both(describeSmoothing(null), null);
for (const [method, c] of [['ema (baseline)', ema], ['hmm', hmm]] as const) {
  if (c.accuracyFirst) both(`${method}, accuracy first: ${describeSmoothing(c.accuracyFirst.settings).replace(/^(hmm|ema) /, '')}`, c.accuracyFirst.settings);
  else console.log(`${method}, accuracy first: no grid point as accurate as raw on validation`);
  if (c.steadyFirst) both(`${method}, steadiness first: ${describeSmoothing(c.steadyFirst.settings).replace(/^(hmm|ema) /, '')}`, c.steadyFirst.settings);
  else console.log(`${method}, steadiness first: no grid point with 3x fewer changes on validation`);
  if (c.target) both(`${method}, target: ${describeSmoothing(c.target.settings).replace(/^(hmm|ema) /, '')}`, c.target.settings);
  else console.log(`${method}, target: no grid point with 3x fewer changes and raw's accuracy on validation`);
}
both(`${model.metadata.supervision ? "the model's setting" : 'DEFAULT_SMOOTHING'}: ${describeSmoothing(current)}`, current);
console.log(
  `${'non-causal bound: majority raw label of each run'.padEnd(46)} ${(runMajorityAccuracy(val) * 100).toFixed(1).padStart(14)} %${' '.repeat(21)}   ${(runMajorityAccuracy(test) * 100).toFixed(1).padStart(14)} %`,
);

console.log(`\nsettled labels (fixed-lag smoothing, the filter's own fields as above): at each lag, the most accurate validation point with 3x fewer changes and raw's accuracy`);
const settleScored = SETTLE_GRID.map((settings) => ({ settings, val: settledLabelFigures(val, labels, settings) }));
for (const { lag, choices: atLag } of settlingByLag(settleScored, rawVal)) {
  const c = atLag.target ?? atLag.steadyFirst;
  if (!c) {
    console.log(`after ${lag} s: no grid point with 3x fewer changes on validation`);
    continue;
  }
  const name = `${atLag.target ? 'target' : 'steadiness first'}: ${describeSettling(c.settings)}`;
  console.log(`${name.padEnd(46)} ${cells(c.val, rawVal)}   ${cells(settledLabelFigures(test, labels, c.settings), rawTest)}`);
}
const currentName = `${model.metadata.supervision ? "the model's setting" : 'DEFAULT_SMOOTHING'}: ${describeSettling(current)}`;
console.log(`${currentName.padEnd(46)} ${cells(settledLabelFigures(val, labels, current), rawVal)}   ${cells(settledLabelFigures(test, labels, current), rawTest)}`);
const settle = chooseSettling(settleScored, rawVal);

const ship = settingToShip([hmm, ema]);
if (!ship) console.log('\nto ship: no grid point has 3x fewer changes on validation; keep the filter as it is');
else {
  const { method, persistence, observationWeight, alpha, switchMargin, switchRatio } = ship.choice.settings;
  console.log(`\nto ship (${ship.rule} rule, validation): ${JSON.stringify({ method, persistence, observationWeight, alpha, switchMargin, switchRatio })}`);
}
const settleFields = (x: SmoothingSettings) => ({
  settleSeconds: x.settleSeconds,
  settlePersistence: x.settlePersistence,
  settleObservationWeight: x.settleObservationWeight,
  settleSwitchRatio: x.settleSwitchRatio,
});
if (!settle) console.log('settled, to ship: no lag meets the target on validation; keep it as it is');
else console.log(`settled, to ship (the shortest lag meeting the target on validation): ${JSON.stringify(settleFields(settle.settings))}`);
if (values.write && (ship || settle)) {
  const chosen: SmoothingSettings = { ...(ship ? ship.choice.settings : current), ...settleFields(settle ? settle.settings : current) };
  const file = join(dir, METADATA_FILE);
  const rules = [ship ? `filter: ${ship.rule} rule` : 'filter kept', settle ? 'settled: shortest lag meeting the target' : 'settled kept'].join(', ');
  const how = `npm run bench:smoothing, ${rules}, on the validation speakers' ${describeCalls(callOptions)}, ${new Date().toISOString()}`;
  await writeModelSupervision(file, (sup) => ({ ...sup, smoothing: chosen, chosen: { ...sup.chosen, smoothing: how } }));
  console.log(`written to ${file} (supervision.smoothing)`);
}
