/**
 * Escalation alerts on synthetic calls of held-out speakers: detection rate of sustained (>= 8 s)
 * negative stretches (angry, disgust, fearful, sad), median delay from the stretch's start, and
 * false alerts per hour of neutral/calm speech (neutral/calm runs inside the mixed calls plus
 * calls made only of each speaker's neutral and calm clips).
 *
 *   npm run bench:alerts [-- --alert-rules FILE --rule ID --model DIR --seed 14 --tune --max-false-per-hour 2 --channel g711-mulaw --write]
 *
 * The rules measured are those the server gives the model's sessions: the built-in set with the
 * model's own tuning of each (model.json supervision.rules), or --alert-rules FILE. --tune --write
 * stores the rule chosen on validation in the model's model.json, where the server takes it from.
 *
 * Without --alert-rules the built-in rules are measured; --rule picks the rule scored for
 * detection (default sustained-negative). --tune first scans the condition (the rule's labels at
 * several score thresholds, or a smoothed-valence bound), k of N and cooldown of that rule, and
 * evidence (CUSUM) sustains on its labels' raw or smoothed summed score, on the
 * validation speakers (choice: highest detection with <= --max-false-per-hour false alerts per
 * hour over all their neutral/calm speech, then lowest median delay) and reports the chosen one on
 * the test speakers beside the shipped rule. For a rule on arousal rises (arousalRise), --tune scans
 * instead the arousal level, the rise and its span, k of N and the input (smoothed or raw), scored
 * on arousal rises (below) with the same choice rule.
 * An alert counts for a stretch when it fires inside it or up to 3 s after (the model's window).
 * Rules with arousalRise are also scored on arousal rises: a run of angry/fearful/happy/surprised
 * (>= 5 s) right after one of neutral/calm/sad, detected when the rule fires from the change to
 * 3 s after that run.
 * "free" is the detection rate among stretches that did not begin within the rule's cooldown of
 * one of its alerts. Only a few minutes of neutral/calm held-out speech exist, so one false alert
 * weighs several per hour: the hours are printed beside every rate.
 */
import { parseArgs } from 'node:util';
import { modelDir } from '../server/process/paths.js';
import { EmotionModel } from '../core/model/emotion-model.js';
import { join } from 'node:path';
import { METADATA_FILE } from '../core/model/metadata.js';
import { type AlertRule, loadAlertRulesDoc, modelAlertRules, rulesOf } from '../core/supervision/alert-rules.js';
import { DEFAULT_SUPERVISOR_SETTINGS, type SupervisorSettings } from '../core/supervision/session-supervisor.js';
import { modelSmoothing } from '../core/supervision/smoothing.js';
import { parseOrExit } from './lib/args.js';
import { chooseRule, describeRule, labelRuleGrid, riseRuleGrid, ruleJson } from './lib/alert-tuning.js';
import { announceConditions } from './lib/machine.js';
import { writeModelSupervision } from './lib/model-supervision.js';
import { type AlertFigures, alertFigures, alertsOfRule, type FalseAlerts, NEUTRAL_CALM, riseFigures } from './lib/supervision-eval.js';
import { callChannel, DEFAULT_CALL_OPTIONS, describeCalls, type ScoredCall, scoredCalls } from './lib/synthetic-calls.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    seed: { type: 'string', default: String(DEFAULT_CALL_OPTIONS.seed) },
    'alert-rules': { type: 'string' },
    rule: { type: 'string', default: 'sustained-negative' },
    tune: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    'max-false-per-hour': { type: 'string', default: '2' },
    channel: { type: 'string' },
  },
});
const maxFalsePerHour = parseOrExit('bench:alerts', () => {
  const m = Number(values['max-false-per-hour']);
  if (!(m >= 0)) throw new Error(`--max-false-per-hour must be a number >= 0, got ${values['max-false-per-hour']}`);
  return m;
});

/** False alerts over all neutral/calm speech: the neutral/calm calls and the neutral/calm runs of the mixed calls. */
function allFalse(f: AlertFigures): FalseAlerts {
  const alerts = f.falseNeutralCalls.alerts + f.falseMixedCalls.alerts;
  const hours = f.falseNeutralCalls.hours + f.falseMixedCalls.hours;
  return { alerts, hours, perHour: alerts / hours };
}
const seed = parseOrExit('bench:alerts', () => {
  const s = Number(values.seed);
  if (!Number.isInteger(s)) throw new Error(`--seed must be an integer, got ${values.seed}`);
  return s;
});
const rulesDoc = values['alert-rules'] ? parseOrExit('bench:alerts', () => loadAlertRulesDoc(values['alert-rules']!)) : undefined;
if (values.write && (!values.tune || rulesDoc)) {
  process.stderr.write('bench:alerts: --write stores a tuned built-in rule in the model: it needs --tune and no --alert-rules\n');
  process.exit(2);
}
const dir = modelDir(values.model);
const model = await EmotionModel.load(dir);
// The rules the server gives this model's sessions: its own tuning of the built-in set (model.json), or the file's.
const builtIn = modelAlertRules(model.metadata.supervision?.rules);
const rules: readonly AlertRule[] = rulesDoc ? rulesOf(rulesDoc, builtIn) : builtIn;
const ruleId = values.rule!;
const rule = rules.find((r) => r.id === ruleId);
if (!rule) {
  process.stderr.write(`bench:alerts: --rule ${ruleId}: no such rule (have ${rules.map((r) => r.id).join(', ')})\n`);
  process.exit(2);
}

function line(name: string, f: AlertFigures): string {
  const fa = (x: FalseAlerts) => `${x.alerts}/${x.hours.toFixed(3)} h = ${x.perHour.toFixed(1)}/h`;
  return (
    `${name.padEnd(62)} ${`${f.detected}/${f.stretches}`.padStart(6)} ${(f.detectionRate * 100).toFixed(0).padStart(4)} % ${(f.detectionRateOutsideCooldown * 100).toFixed(0).padStart(4)} % ` +
    `${f.medianDelayS.toFixed(1).padStart(5)} s ${f.p90DelayS.toFixed(1).padStart(5)} s   ${fa(f.falseNeutralCalls).padEnd(20)} ${fa(f.falseMixedCalls)}`
  );
}
const HEADER =
  `${'rule'.padEnd(62)} ${'found'.padStart(6)} ${'rate'.padStart(6)} ${'free'.padStart(6)} ${'median'.padStart(7)} ${'p90'.padStart(7)}   ` +
  `${'false: neutral/calm calls'.padEnd(20)} false: neutral/calm runs of mixed calls`;


announceConditions();
const { validationSpeakers, testSpeakers } = model.metadata.training;
const options = { ...DEFAULT_CALL_OPTIONS, seed, ...parseOrExit('bench:alerts', () => callChannel(values.channel)) };
const progress = (c: ScoredCall) => process.stderr.write(`  scored a ${(c.durationMs / 1000).toFixed(0)} s call of ${c.speaker}\n`);
const t0 = Date.now();
const testMixed = await scoredCalls(model, testSpeakers, options, undefined, progress);
const testNeutral = await scoredCalls(model, testSpeakers, options, NEUTRAL_CALM, progress);
let valMixed: ScoredCall[] = [];
let valNeutral: ScoredCall[] = [];
if (values.tune) {
  valMixed = await scoredCalls(model, validationSpeakers, options, undefined, progress);
  valNeutral = await scoredCalls(model, validationSpeakers, options, NEUTRAL_CALM, progress);
}
await model.release();
const labels = model.labels;
// The smoothing the server gives this model's sessions (its model.json, else DEFAULT_SMOOTHING).
const settings: SupervisorSettings = { ...DEFAULT_SUPERVISOR_SETTINGS, smoothing: modelSmoothing(model.metadata), rules };
/** The supervisor settings with `r` in place of the rule under tune. */
const withRule = (r: AlertRule): SupervisorSettings => ({ ...settings, rules: rules.map((x) => (x.id === ruleId ? r : x)) });
const minutes = (calls: ScoredCall[]) => (calls.reduce((s, c) => s + c.durationMs, 0) / 60000).toFixed(1);
console.log(`model ${model.metadata.name} ${model.metadata.version}; ${describeCalls(options)}; smoothing ${JSON.stringify(settings.smoothing)}; scored in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(`test speakers ${testSpeakers.join(' ')}: ${testMixed.length} mixed calls (${minutes(testMixed)} min), ${testNeutral.length} neutral/calm calls (${minutes(testNeutral)} min)`);

if (values.tune) console.log(`validation speakers ${validationSpeakers.join(' ')}: ${valMixed.length} mixed calls (${minutes(valMixed)} min), ${valNeutral.length} neutral/calm calls (${minutes(valNeutral)} min)`);
if (values.tune && rule.when.arousalRise) await tuneRise();
else if (values.tune) {
  const grid = labelRuleGrid(rule);
  const scored = grid.map((candidate) => {
    const f = alertFigures(valMixed, valNeutral, labels, withRule(candidate), ruleId);
    return { rule: candidate, f, detectionRate: f.detectionRate, medianDelayS: f.medianDelayS, falsePerHour: allFalse(f).perHour };
  });
  console.log(`\nvalidation grid for ${ruleId}:`);
  console.log(HEADER);
  for (const x of scored) console.log(line(describeRule(x.rule), x.f));
  const { best, boundMet } = chooseRule(scored, maxFalsePerHour);
  const bf = allFalse(best.f);
  console.log(
    `chosen on validation (highest detection with <= ${maxFalsePerHour} false alerts/h over all ${bf.hours.toFixed(3)} h of neutral/calm speech, then lowest median delay): ${describeRule(best.rule)}` +
      `${boundMet ? '' : ' (no grid point met the false-alert bound; not enforced)'}; validation ${(best.f.detectionRate * 100).toFixed(0)} %, median ${best.f.medianDelayS.toFixed(1)} s, ${bf.alerts} false in ${bf.hours.toFixed(3)} h`,
  );
  console.log(`as JSON: ${ruleJson(best.rule)}`);
  await writeChoice(best.rule);
  const tuned = alertFigures(testMixed, testNeutral, labels, withRule(best.rule), ruleId);
  console.log(`\ntest speakers, ${ruleId}:`);
  console.log(HEADER);
  console.log(line(`tuned: ${describeRule(best.rule)}`, tuned));
}

/** --write: the rule chosen on validation becomes the model's own tuning of it (model.json supervision.rules). */
async function writeChoice(chosen: AlertRule): Promise<void> {
  if (!values.write) return;
  const file = join(dir, METADATA_FILE);
  const how = `npm run bench:alerts -- --tune --rule ${ruleId}: highest validation detection with <= ${maxFalsePerHour} false alerts/h, then lowest delay; ${describeCalls(options)}; smoothing ${JSON.stringify(settings.smoothing)}; ${new Date().toISOString()}`;
  await writeModelSupervision(file, (sup) => ({
    ...sup,
    rules: [...(sup.rules ?? []).filter((r) => r.id !== ruleId), chosen],
    chosen: { ...sup.chosen, [ruleId]: how },
  }));
  console.log(`written to ${file} (supervision.rules, ${ruleId})`);
}

/**
 * --tune for a rule on arousal rises: the level it must reach, the rise, the span the rise is
 * measured over, k of N and the input (smoothed or raw affect), scored on arousal rises (detection
 * and delay, riseFigures) and false alerts over all neutral/calm speech, on the validation
 * speakers; the same choice rule as for negative stretches; the choice reported on the test speakers.
 */
async function tuneRise(): Promise<void> {
  const grid = riseRuleGrid(rule!);
  const score = (r: AlertRule, mixed: ScoredCall[], neutral: ScoredCall[]) => {
    // One supervisor run per call serves both figures.
    const alertsOf = alertsOfRule(labels, withRule(r), ruleId);
    return {
      rise: riseFigures(mixed, labels, withRule(r), ruleId, undefined, alertsOf),
      falseAlerts: allFalse(alertFigures(mixed, neutral, labels, withRule(r), ruleId, undefined, alertsOf)),
    };
  };
  const scored = grid.map((candidate) => {
    const x = score(candidate, valMixed, valNeutral);
    return { rule: candidate, ...x, detectionRate: x.rise.detectionRate, medianDelayS: x.rise.medianDelayS, falsePerHour: x.falseAlerts.perHour };
  });
  const riseLine = (name: string, x: ReturnType<typeof score>) =>
    `${name.padEnd(78)} ${`${x.rise.detected}/${x.rise.rises}`.padStart(7)} ${(x.rise.detectionRate * 100).toFixed(0).padStart(4)} % ${x.rise.medianDelayS.toFixed(1).padStart(6)} s   ${x.falseAlerts.alerts}/${x.falseAlerts.hours.toFixed(3)} h = ${x.falseAlerts.perHour.toFixed(1)}/h`;
  const header = `${'rule'.padEnd(78)} ${'rises'.padStart(7)} ${'rate'.padStart(6)} ${'median'.padStart(8)}   false: all neutral/calm speech`;
  console.log(`\nvalidation grid for ${ruleId} (arousal rises: a neutral/calm/sad run, then an angry/fearful/happy/surprised run of >= 5 s):`);
  console.log(header);
  for (const x of scored) console.log(riseLine(describeRule(x.rule), x));
  const { best, boundMet } = chooseRule(scored, maxFalsePerHour);
  console.log(
    `chosen on validation (highest detection of rises with <= ${maxFalsePerHour} false alerts/h over all ${best.falseAlerts.hours.toFixed(3)} h of neutral/calm speech, then lowest median delay): ${describeRule(best.rule)}` +
      `${boundMet ? '' : ' (no grid point met the false-alert bound; not enforced)'}; validation ${(best.rise.detectionRate * 100).toFixed(0)} %, median ${best.rise.medianDelayS.toFixed(1)} s, ${best.falseAlerts.alerts} false in ${best.falseAlerts.hours.toFixed(3)} h`,
  );
  console.log(`as JSON: ${ruleJson(best.rule)}`);
  await writeChoice(best.rule);
  console.log(`\ntest speakers, ${ruleId}:`);
  console.log(header);
  console.log(riseLine(`as configured: ${describeRule(rule!)}`, score(rule!, testMixed, testNeutral)));
  console.log(riseLine(`tuned: ${describeRule(best.rule)}`, score(best.rule, testMixed, testNeutral)));
}

console.log(`\ntest speakers, every rule as configured${values['alert-rules'] ? ` in ${values['alert-rules']}` : ' (built-in set)'}; "found" is detection of negative stretches, which only rules on negative labels aim at:`);
console.log(HEADER);
for (const r of rules) console.log(line(`${r.id}: ${describeRule(r)}`.slice(0, 62), alertFigures(testMixed, testNeutral, labels, settings, r.id)));
for (const r of rules.filter((x) => x.when.arousalRise)) {
  const f = riseFigures(testMixed, labels, settings, r.id);
  console.log(
    `${r.id}: arousal rises (neutral/calm/sad run -> angry/fearful/happy/surprised run of >= 5 s) detected ${f.detected}/${f.rises} = ${(f.detectionRate * 100).toFixed(0)} %, median delay ${f.medianDelayS.toFixed(1)} s from the change`,
  );
}
