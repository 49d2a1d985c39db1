/**
 * The grids and the choice of `bench:alerts --tune`, which decide the shipped alert rules: the
 * shipped rules are points of their grids (so a re-tune can keep them), the grid does not depend
 * on whether it starts from a tuned rule, and the choice takes the most detecting candidate within
 * the false-alert bound, then the fastest, and says when nothing met the bound.
 */
import { describe, expect, it } from 'vitest';
import { type AlertRule, DEFAULT_ALERT_RULES } from '../../core/supervision/alert-rules.js';
import { chooseRule, describeRule, labelRuleGrid, riseRuleGrid, ruleJson, type Scored } from './alert-tuning.js';

const shipped = (id: string): AlertRule => DEFAULT_ALERT_RULES.find((r) => r.id === id)!;
const sameRule = (a: AlertRule, b: AlertRule) => ruleJson(a) === ruleJson(b);

describe('labelRuleGrid', () => {
  const negative = shipped('sustained-negative');

  it('holds the shipped sustained-negative rule, among 160 k-of-N and 480 evidence candidates', () => {
    const grid = labelRuleGrid(negative);
    expect(grid).toHaveLength(10 * 8 * 2 + 4 * 2 * 5 * 6 * 2);
    expect(grid.filter((r) => 'drift' in r.sustain)).toHaveLength(480);
    expect(grid.some((r) => sameRule(r, negative))).toBe(true);
    expect(new Set(grid.map(ruleJson)).size).toBe(grid.length);
  });

  it('is the same grid whether the rule it starts from has its threshold and valence gate tuned or not', () => {
    const untuned: AlertRule = { ...negative, when: { labels: negative.when.labels }, input: undefined, sustain: { k: 2, of: 3 } };
    const tuned: AlertRule = { ...negative, when: { ...negative.when, minScore: 0.7 } };
    const key = (rules: AlertRule[]) => rules.map(ruleJson).sort();
    expect(key(labelRuleGrid(tuned))).toEqual(key(labelRuleGrid(untuned)));
  });
});

describe('riseRuleGrid', () => {
  it('holds the shipped rising-arousal rule, with its cooldown on every candidate', () => {
    const rising = shipped('rising-arousal');
    const grid = riseRuleGrid(rising);
    expect(grid).toHaveLength(2 * 6 * 6 * 2 * 5);
    expect(grid.some((r) => sameRule(r, rising))).toBe(true);
    expect(grid.every((r) => r.cooldownSeconds === rising.cooldownSeconds && r.when.arousalRise !== undefined)).toBe(true);
  });
});

describe('chooseRule', () => {
  const rule = shipped('sustained-negative');
  const c = (detectionRate: number, medianDelayS: number, falsePerHour: number, id = 'x'): Scored & { id: string } => ({ rule, detectionRate, medianDelayS, falsePerHour, id });

  it('takes the most detecting candidate within the false-alert bound, not a better one above it', () => {
    const { best, boundMet } = chooseRule([c(0.9, 5, 3, 'noisy'), c(0.6, 9, 1.7, 'within'), c(0.5, 4, 0, 'quiet')], 2);
    expect(best.id).toBe('within');
    expect(boundMet).toBe(true);
  });

  it('breaks a tie in detection by the lower median delay', () => {
    expect(chooseRule([c(0.6, 9, 1, 'slow'), c(0.6, 7, 2, 'fast')], 2).best.id).toBe('fast');
  });

  it('with nothing within the bound, chooses over all candidates and says the bound was not met', () => {
    const { best, boundMet } = chooseRule([c(0.4, 5, 6, 'a'), c(0.7, 8, 9, 'b')], 2);
    expect(best.id).toBe('b');
    expect(boundMet).toBe(false);
  });

  it('refuses an empty grid', () => {
    expect(() => chooseRule([], 2)).toThrow(/no candidates/);
  });
});

describe('describeRule', () => {
  // Fixed rules of each form (the shipped ones change with every re-tune).
  const rule = (r: Omit<AlertRule, 'id'>): AlertRule => ({ id: 'r', ...r });
  it('names the input, the condition, the sustain and the cooldown', () => {
    const negative = ['angry', 'disgust', 'fearful', 'sad'] as AlertRule['when']['labels'];
    expect(describeRule(rule({ when: { labels: negative, valence: { max: -0.2 } }, input: 'raw', sustain: { drift: 0.6, threshold: 1 }, cooldownSeconds: 30 }))).toBe(
      'raw angry|disgust|fearful|sad, valence in [-1, -0.2]; evidence drift 0.6 to 1; cooldown 30 s',
    );
    expect(describeRule(rule({ when: { labels: negative, minScore: 0.85 }, sustain: { k: 2, of: 3 }, cooldownSeconds: 30 }))).toBe('angry|disgust|fearful|sad >= 0.85; 2 of 3; cooldown 30 s');
    expect(describeRule(rule({ when: { arousal: { min: 0.4 }, arousalRise: { by: 0.4, overSeconds: 10 } }, input: 'raw', sustain: { k: 3, of: 4 }, cooldownSeconds: 60 }))).toBe(
      'raw arousal in [0.4, 1], rise >= 0.4 over 10 s; 3 of 4; cooldown 60 s',
    );
  });
});
