/**
 * What `npm run bench:alerts -- --tune` scans and how it chooses: the candidate rules for a rule
 * on labels (sustained negative speech) or on arousal rises, and the one choice rule for both,
 * applied on the validation speakers' calls only (the test speakers' figures are reported beside
 * the choice, never used for it). Kept apart from the bench script so that the grids and the
 * choice, which decide the shipped DEFAULT_ALERT_RULES, are tested (alert-tuning.test.ts).
 */
import type { AlertRule } from '../../core/supervision/alert-rules.js';

/** k-of-N sustains scanned for label conditions. */
const COUNT_SUSTAINS: readonly (readonly [number, number])[] = [
  [2, 3],
  [3, 4],
  [3, 5],
  [4, 5],
  [4, 6],
  [5, 7],
  [6, 8],
  [7, 10],
];

/**
 * Candidates for a rule on labels (or any rule without an arousal rise):
 * - the rule's labels at several thresholds of their summed smoothed score, or (for a rule on
 *   labels) a bound on the smoothed valence instead (the score-weighted valence of all labels, so
 *   mass on happy/calm pulls it back up where a label sum does not), each with k of N and cooldown;
 * - evidence (CUSUM) on the labels' summed score, raw or smoothed (raw scores react at once and
 *   the sum does the steadying; smoothed ones have had it done already), optionally gated by a
 *   valence bound: a second adds nothing unless its valence is at most the bound, because a
 *   second whose negative mass comes with mass on calm or happy is weaker evidence than the sum says.
 */
export function labelRuleGrid(rule: AlertRule): AlertRule[] {
  const grid: AlertRule[] = [];
  const w = rule.when;
  // What the grid scans (the score threshold and the valence gate) is taken off the rule, so the
  // grid is the same whether it starts from a tuned rule or an untuned one.
  const { minScore: _scanned, valence: _alsoScanned, ...base } = w;
  const conditions: (typeof w)[] = w.labels
    ? [...[0.5, 0.6, 0.7, 0.8, 0.85, 0.9].map((minScore) => ({ ...base, minScore })), ...[-0.1, -0.2, -0.3, -0.4].map((max) => ({ valence: { max } }))]
    : [w];
  for (const when of conditions)
    for (const [k, of] of COUNT_SUSTAINS)
      for (const cooldownSeconds of [30, 60]) grid.push({ ...rule, when, input: 'smoothed', sustain: { k, of }, cooldownSeconds });
  if (w.labels) {
    for (const valence of [undefined, { max: -0.1 }, { max: -0.2 }, { max: -0.3 }])
      for (const input of ['raw', 'smoothed'] as const)
        for (const drift of [0.4, 0.5, 0.6, 0.7, 0.8])
          for (const threshold of [0.5, 1, 1.5, 2, 3, 4])
            for (const cooldownSeconds of [30, 60])
              grid.push({ ...rule, when: valence ? { ...base, valence } : base, input, sustain: { drift, threshold }, cooldownSeconds });
  }
  return grid;
}

/**
 * Candidates for a rule on arousal rises: the arousal level it must reach, the rise and the span
 * it is measured over, k of N, and the input (smoothed or raw affect); the rule's own cooldown.
 */
export function riseRuleGrid(rule: AlertRule): AlertRule[] {
  const grid: AlertRule[] = [];
  for (const input of ['smoothed', 'raw'] as const)
    for (const min of [0, 0.1, 0.2, 0.3, 0.4, 0.5])
      for (const by of [0.3, 0.4, 0.5, 0.6, 0.8, 1])
        for (const overSeconds of [5, 10])
          for (const [k, of] of [[1, 1], [2, 2], [2, 3], [3, 4], [3, 5]])
            grid.push({ ...rule, when: { arousal: { min }, arousalRise: { by, overSeconds } }, input, sustain: { k, of }, cooldownSeconds: rule.cooldownSeconds });
  return grid;
}

/** A candidate's validation figures, as the choice reads them. */
export interface Scored {
  readonly rule: AlertRule;
  /** Share of the targets (negative stretches, or arousal rises) detected. */
  readonly detectionRate: number;
  readonly medianDelayS: number;
  /** False alerts per hour over all neutral/calm speech. */
  readonly falsePerHour: number;
}

/**
 * The choice rule (fixed before the grids were first run): the highest detection among the
 * candidates with at most `maxFalsePerHour` false alerts an hour, ties to the lowest median delay
 * (the earliest candidate on a full tie). When no candidate meets the bound, the same over all of
 * them, and `boundMet` says so.
 */
export function chooseRule<T extends Scored>(candidates: readonly T[], maxFalsePerHour: number): { best: T; boundMet: boolean } {
  if (candidates.length === 0) throw new RangeError('no candidates to choose from');
  const ok = candidates.filter((c) => c.falsePerHour <= maxFalsePerHour);
  const pool = ok.length > 0 ? ok : candidates;
  const best = pool.reduce((a, b) => (b.detectionRate > a.detectionRate || (b.detectionRate === a.detectionRate && b.medianDelayS < a.medianDelayS) ? b : a));
  return { best, boundMet: ok.length > 0 };
}

/** One line for a rule: condition, sustain, cooldown. */
export function describeRule(r: AlertRule): string {
  const w = r.when;
  const parts = [
    w.labels && (w.minScore === undefined ? w.labels.join('|') : `${w.labels.join('|')} >= ${w.minScore}`),
    w.arousal && `arousal in [${w.arousal.min ?? '-1'}, ${w.arousal.max ?? '1'}]`,
    w.valence && `valence in [${w.valence.min ?? '-1'}, ${w.valence.max ?? '1'}]`,
    w.arousalRise && `rise >= ${w.arousalRise.by} over ${w.arousalRise.overSeconds} s`,
  ].filter(Boolean);
  const sustain = 'drift' in r.sustain ? `evidence drift ${r.sustain.drift} to ${r.sustain.threshold}` : `${r.sustain.k} of ${r.sustain.of}`;
  return `${r.input === 'raw' ? 'raw ' : ''}${parts.join(', ')}; ${sustain}; cooldown ${r.cooldownSeconds} s`;
}

/** The part of a rule a rules file carries after its id (what --tune prints as JSON). */
export function ruleJson(r: AlertRule): string {
  return JSON.stringify({ when: r.when, ...(r.input === 'raw' ? { input: 'raw' } : {}), sustain: r.sustain, cooldownSeconds: r.cooldownSeconds });
}
