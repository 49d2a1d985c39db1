/**
 * The grids and choice rules of `bench:smoothing`, which pick the shipped DEFAULT_SMOOTHING: the
 * shipped setting is a point of its grid, and each rule picks what its docstring says on
 * hand-made validation figures (raw: 50 % accurate, 18 changes a minute).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SMOOTHING, type SmoothingSettings } from '../../core/supervision/smoothing.js';
import {
  type Choice,
  chooseSettling,
  chooseSmoothing,
  describeSettling,
  describeSmoothing,
  EMA_GRID,
  HMM_GRID,
  SETTLE_GRID,
  settingToShip,
} from './smoothing-tuning.js';
import type { LabelFigures } from './supervision-eval.js';

const RAW: LabelFigures = { seconds: 1000, accuracy: 0.5, changesPerMinute: 18 };
const point = (alpha: number, accuracy: number, changesPerMinute: number): Choice => ({
  settings: { ...DEFAULT_SMOOTHING, method: 'ema', alpha },
  val: { seconds: 1000, accuracy, changesPerMinute },
});
const alphaOf = (c: Choice | null) => c?.settings.alpha;

describe('smoothing grids', () => {
  it('hold the shipped default among 672 HMM and 126 EMA settings', () => {
    expect(HMM_GRID).toHaveLength(8 * 6 * 14);
    expect(EMA_GRID).toHaveLength(9 * 14);
    const same = (a: SmoothingSettings, b: SmoothingSettings) => JSON.stringify(a) === JSON.stringify(b);
    expect(HMM_GRID.some((s) => same(s, DEFAULT_SMOOTHING))).toBe(true);
  });
});

describe('chooseSettling', () => {
  const settled = (settleSeconds: number, settlePersistence: number, accuracy: number, changesPerMinute: number): Choice => ({
    settings: { ...DEFAULT_SMOOTHING, settleSeconds, settlePersistence },
    val: { seconds: 1000, accuracy, changesPerMinute },
  });

  it('the grid spans lags 0-5 s and holds the shipped default', () => {
    expect(SETTLE_GRID).toHaveLength(6 * 5 * 4 * 5);
    expect(new Set(SETTLE_GRID.map((s) => s.settleSeconds))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    expect(SETTLE_GRID.some((s) => JSON.stringify(s) === JSON.stringify(DEFAULT_SMOOTHING))).toBe(true);
  });

  it('takes the shortest lag with a target point, and the most accurate target point there, even when a longer lag is more accurate', () => {
    const grid = [settled(1, 0.9, 0.49, 5), settled(2, 0.8, 0.51, 6), settled(2, 0.9, 0.53, 5.9), settled(2, 0.95, 0.56, 6.5), settled(3, 0.9, 0.6, 5)];
    const c = chooseSettling(grid, RAW);
    expect(c?.settings).toMatchObject({ settleSeconds: 2, settlePersistence: 0.9 });
    expect(chooseSettling([settled(1, 0.9, 0.49, 5), settled(2, 0.95, 0.56, 6.5)], RAW)).toBeNull();
  });

  it('describes the settled part of a setting', () => {
    expect(describeSettling({ ...DEFAULT_SMOOTHING, settleSeconds: 2, settlePersistence: 0.95, settleObservationWeight: 1.5, settleSwitchRatio: 4 })).toBe(
      'settled after 2 s, p 0.95 w 1.5 ratio 4',
    );
  });
});

describe('chooseSmoothing', () => {
  const grid = [point(0.1, 0.52, 9), point(0.2, 0.51, 7), point(0.3, 0.49, 5), point(0.4, 0.47, 4), point(0.5, 0.5, 6)];

  it('accuracy first: the fewest changes among points at least as accurate as raw', () => {
    expect(alphaOf(chooseSmoothing(grid, RAW).accuracyFirst)).toBe(0.5);
  });

  it('steadiness first: the most accurate point with at most a third of raw changes', () => {
    expect(alphaOf(chooseSmoothing(grid, RAW).steadyFirst)).toBe(0.5);
    expect(alphaOf(chooseSmoothing(grid.slice(0, 4), RAW).steadyFirst)).toBe(0.3);
  });

  it('target: both at once, or none', () => {
    expect(alphaOf(chooseSmoothing(grid, RAW).target)).toBe(0.5);
    expect(chooseSmoothing(grid.slice(0, 4), RAW).target).toBeNull();
  });
});

describe('settingToShip', () => {
  it('prefers a target choice of either method, else the more accurate steadiness-first choice, else nothing', () => {
    const withTarget = chooseSmoothing([point(0.5, 0.5, 6)], RAW);
    const steadyOnly = chooseSmoothing([point(0.3, 0.49, 5)], RAW);
    const steadier = chooseSmoothing([point(0.4, 0.47, 4)], RAW);
    expect(settingToShip([steadyOnly, withTarget])).toMatchObject({ rule: 'target', choice: { settings: { alpha: 0.5 } } });
    expect(settingToShip([steadier, steadyOnly])).toMatchObject({ rule: 'steadiness first', choice: { settings: { alpha: 0.3 } } });
    expect(settingToShip([chooseSmoothing([point(0.1, 0.52, 9)], RAW)])).toBeNull();
  });
});

describe('describeSmoothing', () => {
  it('names the method, its parameters and the hysteresis', () => {
    expect(describeSmoothing(null)).toBe('raw (per-second argmax)');
    expect(describeSmoothing({ ...DEFAULT_SMOOTHING, method: 'hmm', persistence: 0.3, observationWeight: 1.5, switchMargin: 0, switchRatio: 10 })).toBe('hmm p 0.3 w 1.5 ratio 10');
    expect(describeSmoothing({ ...DEFAULT_SMOOTHING, method: 'ema', alpha: 0.7, switchMargin: 0.3, switchRatio: 0 })).toBe('ema alpha 0.7 margin 0.3');
  });
});
