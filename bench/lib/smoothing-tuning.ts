/**
 * What `npm run bench:smoothing` scans and how it chooses the shipped DEFAULT_SMOOTHING: the grids
 * of the two smoothers (core/supervision/smoothing.ts) and the choice rules, applied to figures
 * measured on the validation speakers' calls only. Kept apart from the bench script so that the
 * rules that pick a shipped default are tested (smoothing-tuning.test.ts).
 */
import { DEFAULT_SMOOTHING, type SmoothingSettings } from '../../core/supervision/smoothing.js';
import type { LabelFigures } from './supervision-eval.js';

/**
 * Hysteresis on the shown label: a margin (lead in smoothed score) or a ratio (lead in
 * log-probability), one at a time; { margin 0, ratio 1 } is none.
 */
const HYSTERESIS: readonly Pick<SmoothingSettings, 'switchMargin' | 'switchRatio'>[] = [
  ...[0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6].map((switchMargin) => ({ switchMargin, switchRatio: 1 })),
  ...[2, 3, 4, 5, 6, 8, 10].map((switchRatio) => ({ switchMargin: 0, switchRatio })),
];

/** Persistence down to 1/8 (no memory for eight labels): the model's 3-s windows already overlap by 2 s. */
export const HMM_GRID: readonly SmoothingSettings[] = [0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.7, 0.9].flatMap((persistence) =>
  [0.5, 0.7, 1, 1.25, 1.5, 2].flatMap((observationWeight) =>
    HYSTERESIS.map((h) => ({ ...DEFAULT_SMOOTHING, method: 'hmm' as const, persistence, observationWeight, ...h })),
  ),
);
export const EMA_GRID: readonly SmoothingSettings[] = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1].flatMap((alpha) =>
  HYSTERESIS.map((h) => ({ ...DEFAULT_SMOOTHING, method: 'ema' as const, alpha, ...h })),
);

/** Seconds of hindsight the settled label is tried with (0: none, the filter of the same chain). */
export const SETTLE_LAGS = [0, 1, 2, 3, 4, 5] as const;

/** The settled label's chain and hysteresis, at each lag; the filter's fields stay DEFAULT_SMOOTHING's. */
export const SETTLE_GRID: readonly SmoothingSettings[] = SETTLE_LAGS.flatMap((settleSeconds) =>
  [0.5, 0.8, 0.9, 0.95, 0.97].flatMap((settlePersistence) =>
    [0.5, 0.7, 1, 1.5].flatMap((settleObservationWeight) =>
      [1, 1.5, 2, 3, 4].map((settleSwitchRatio) => ({ ...DEFAULT_SMOOTHING, settleSeconds, settlePersistence, settleObservationWeight, settleSwitchRatio })),
    ),
  ),
);

/**
 * The settled label to ship: the shortest hindsight at which some grid point meets the target on
 * validation (at most a third of raw's changes, at least raw's accuracy), and at that lag the most
 * accurate such point; null when no lag has one (keep the current setting). Hindsight is delay a
 * supervisor waits for every settled label, so the least that meets the target wins.
 */
export function chooseSettling(scored: readonly Choice[], raw: LabelFigures): Choice | null {
  return settlingByLag(scored, raw).find((l) => l.choices.target)?.choices.target ?? null;
}

/** chooseSmoothing's three choices among the grid points of each lag, shortest lag first. */
export function settlingByLag(scored: readonly Choice[], raw: LabelFigures): { lag: number; choices: MethodChoices }[] {
  return SETTLE_LAGS.map((lag) => ({
    lag,
    choices: chooseSmoothing(
      scored.filter((c) => c.settings.settleSeconds === lag),
      raw,
    ),
  }));
}

/** A grid point with its validation figures. */
export interface Choice {
  readonly settings: SmoothingSettings;
  readonly val: LabelFigures;
}

export type MethodChoices = Record<'accuracyFirst' | 'steadyFirst' | 'target', Choice | null>;

/**
 * Three choices per method on the validation calls: accuracy first (the fewest changes among the
 * points at least as accurate as raw), steadiness first (the most accurate point with at most a
 * third of raw's changes) and target (the most accurate point that meets both: at most a third of
 * raw's changes and at least raw's accuracy). Each is null when no grid point qualifies; ties go to
 * the earlier grid point.
 */
export function chooseSmoothing(scored: readonly Choice[], raw: LabelFigures): MethodChoices {
  const notWorse = scored.filter((s) => s.val.accuracy >= raw.accuracy);
  const steady = scored.filter((s) => s.val.changesPerMinute * 3 <= raw.changesPerMinute);
  const both = steady.filter((s) => s.val.accuracy >= raw.accuracy);
  const mostAccurate = (pool: readonly Choice[]) => (pool.length ? pool.reduce((a, b) => (b.val.accuracy > a.val.accuracy ? b : a)) : null);
  return {
    accuracyFirst: notWorse.length ? notWorse.reduce((a, b) => (b.val.changesPerMinute < a.val.changesPerMinute ? b : a)) : null,
    steadyFirst: mostAccurate(steady),
    target: mostAccurate(both),
  };
}

/**
 * The setting to ship: the more accurate (on validation) of the methods' target choices, else of
 * their steadiness-first choices; null when no method has either (keep the default).
 */
export function settingToShip(methods: readonly MethodChoices[]): { choice: Choice; rule: 'target' | 'steadiness first' } | null {
  const targets = methods.map((m) => m.target).filter((c): c is Choice => c !== null);
  const steady = methods.map((m) => m.steadyFirst).filter((c): c is Choice => c !== null);
  const [pool, rule] = targets.length > 0 ? ([targets, 'target'] as const) : ([steady, 'steadiness first'] as const);
  if (pool.length === 0) return null;
  return { choice: pool.reduce((a, b) => (b.val.accuracy > a.val.accuracy ? b : a)), rule };
}

/** One line for the settled label's part of a setting. */
export function describeSettling(s: SmoothingSettings): string {
  const ratio = s.settleSwitchRatio > 1 ? ` ratio ${s.settleSwitchRatio}` : ' no hysteresis';
  return `settled after ${s.settleSeconds} s, p ${s.settlePersistence} w ${s.settleObservationWeight}${ratio}`;
}

/** One line for a setting (null: the raw per-second argmax). */
export function describeSmoothing(s: SmoothingSettings | null): string {
  if (!s) return 'raw (per-second argmax)';
  const hysteresis = [s.switchMargin > 0 && `margin ${s.switchMargin}`, s.switchRatio > 1 && `ratio ${s.switchRatio}`].filter(Boolean).join(' ') || 'no hysteresis';
  if (s.method === 'hmm') return `hmm p ${s.persistence} w ${s.observationWeight} ${hysteresis}`;
  if (s.method === 'ema') return `ema alpha ${s.alpha} ${hysteresis}`;
  return `none ${hysteresis}`;
}
