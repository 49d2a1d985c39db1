import { describe, expect, it } from 'vitest';
import type { Label } from '../labels.js';
import { affectOf } from './affect.js';
import { AlertEngine, type SupervisedSecond } from './alert-engine.js';
import type { AlertRule } from './alert-rules.js';

/** Second k (1-based) smoothed to `label` with `p`; null for an unvoiced second. */
function seconds(spec: readonly (readonly [Label, number] | null)[]): SupervisedSecond[] {
  return spec.map((s, i) => {
    const second = i + 1;
    const base = { second, startMs: Math.max(0, second * 1000 - 3000), endMs: second * 1000 };
    if (!s) return { ...base, voiced: false };
    const [label, p] = s;
    const scores = { [label]: p, neutral: label === 'neutral' ? p : 1 - p };
    return { ...base, voiced: true, smoothed: { label, scores, ...affectOf(scores) } };
  });
}

const negative: AlertRule = { id: 'neg', when: { labels: ['angry', 'sad'], minScore: 0.6 }, sustain: { k: 3, of: 4 }, cooldownSeconds: 10 };

function run(rules: AlertRule[], secs: SupervisedSecond[]) {
  const engine = new AlertEngine(rules);
  return secs.flatMap((s) => engine.observe(s));
}

describe('alert engine', () => {
  it('fires on the k-th matching voiced second of the last N, with the window start and the summed score', () => {
    const secs = seconds([['neutral', 0.9], ['angry', 0.7], ['neutral', 0.9], ['sad', 0.8], ['angry', 0.9]]);
    const alerts = run([negative], secs);
    expect(alerts).toEqual([{ rule: 'neg', second: 5, startMs: 0, endMs: 5000, label: 'angry', score: 0.9 }]);
    // startMs is the start of the earliest matching second in the window (second 2: 0 ms, clamped).
    const later = run([negative], seconds([['neutral', 0.9], ['neutral', 0.9], ['neutral', 0.9], ['angry', 0.7], ['sad', 0.8], ['angry', 0.9]]));
    expect(later[0]).toMatchObject({ second: 6, startMs: 1000 });
  });

  it('does not fire below minScore, nor when the matches are spread beyond N', () => {
    expect(run([negative], seconds(Array(10).fill(['angry', 0.55])))).toEqual([]);
    const spread = seconds([['angry', 0.9], ['neutral', 0.9], ['neutral', 0.9], ['angry', 0.9], ['neutral', 0.9], ['neutral', 0.9], ['angry', 0.9]]);
    expect(run([negative], spread)).toEqual([]);
  });

  it('unvoiced seconds neither match nor push matches out of the window', () => {
    const secs = seconds([['angry', 0.9], null, null, null, null, null, ['angry', 0.9], null, ['angry', 0.9]]);
    expect(run([negative], secs).map((a) => a.second)).toEqual([9]);
  });

  it('cooldown: silent for cooldownSeconds of stream time after firing, then fires again while it holds', () => {
    const alerts = run([negative], seconds(Array(30).fill(['angry', 0.9])));
    expect(alerts.map((a) => a.second)).toEqual([3, 13, 23]);
  });

  it('arousal bounds and arousalRise: fires when arousal climbs by `by` within overSeconds', () => {
    const rising: AlertRule = { id: 'rise', when: { arousal: { min: 0.3 }, arousalRise: { by: 0.4, overSeconds: 5 } }, sustain: { k: 2, of: 3 }, cooldownSeconds: 60 };
    // calm (-0.31) for a while, then angry (0.58 * 0.9 + 0 * 0.1): a rise of ~0.8.
    const secs = seconds([...Array(8).fill(['calm', 1]), ['angry', 0.9], ['angry', 0.9], ['angry', 0.9]]);
    const alerts = run([rising], secs);
    expect(alerts.map((a) => a.second)).toEqual([10]);
    expect(alerts[0].label).toBe('angry');
    // Staying high is not rising: an all-angry call never fires.
    expect(run([rising], seconds(Array(20).fill(['angry', 0.9])))).toEqual([]);
  });

  it('rules are independent: each keeps its own window and cooldown', () => {
    const sadOnly: AlertRule = { id: 'sad', when: { labels: ['sad'] }, sustain: { k: 1, of: 1 }, cooldownSeconds: 0 };
    const alerts = run([negative, sadOnly], seconds([['sad', 0.9], ['sad', 0.9], ['sad', 0.9]]));
    expect(alerts.map((a) => `${a.rule}@${a.second}`)).toEqual(['sad@1', 'sad@2', 'neg@3', 'sad@3']);
  });

  it('evidence (CUSUM): fires when the summed score minus the drift has added up to the threshold', () => {
    const cusum: AlertRule = { id: 'cusum', when: { labels: ['angry', 'sad'] }, sustain: { drift: 0.5, threshold: 1 }, cooldownSeconds: 0 };
    // 0.75 adds 0.25 a second: the 4th voiced second of a steady stretch reaches 1.
    const steady = run([cusum], seconds([['neutral', 0.9], ...Array(6).fill(['angry', 0.75])]));
    expect(steady.map((a) => a.second)).toEqual([5]);
    // The start is that of the second where the evidence rose from 0 (second 2 starts at 0 ms, clamped).
    expect(steady[0]).toMatchObject({ startMs: 0, endMs: 5000, label: 'angry', score: 0.75 });
    // Strong evidence is quicker: 1.0 adds 0.5 a second, so the 2nd second fires, then every 2nd after the restart.
    expect(run([cusum], seconds(Array(6).fill(['sad', 1]))).map((a) => a.second)).toEqual([2, 4, 6]);
    // Scores at or below the drift never fire, however long they last.
    expect(run([cusum], seconds(Array(60).fill(['angry', 0.5])))).toEqual([]);
    // Evidence drains: 0.75 (+0.25) then neutral (angry+sad 0.1: -0.4) keeps the sum at 0.
    const alternating = seconds(Array.from({ length: 20 }, (_, i) => (i % 2 ? (['neutral', 0.9] as const) : (['angry', 0.75] as const))));
    expect(run([cusum], alternating)).toEqual([]);
  });

  it('evidence rules keep cooldown and skip unvoiced seconds', () => {
    const cusum: AlertRule = { id: 'cusum', when: { labels: ['angry'] }, sustain: { drift: 0.5, threshold: 1 }, cooldownSeconds: 10 };
    expect(run([cusum], seconds(Array(30).fill(['angry', 1]))).map((a) => a.second)).toEqual([2, 12, 22]);
    expect(run([cusum], seconds([['angry', 1], null, null, null, ['angry', 1]])).map((a) => a.second)).toEqual([5]);
  });

  it('input "raw" reads the raw scores of a second, not the smoothed ones', () => {
    const rawRule: AlertRule = { id: 'raw', when: { labels: ['angry'] }, input: 'raw', sustain: { k: 1, of: 1 }, cooldownSeconds: 0 };
    const smoothedRule: AlertRule = { ...rawRule, id: 'smoothed', input: 'smoothed' };
    const smoothed = { label: 'neutral' as Label, scores: { neutral: 0.8, angry: 0.2 }, ...affectOf({ neutral: 0.8, angry: 0.2 }) };
    const raw = { label: 'angry' as Label, scores: { neutral: 0.1, angry: 0.9 }, ...affectOf({ neutral: 0.1, angry: 0.9 }) };
    const second: SupervisedSecond = { second: 1, startMs: 0, endMs: 1000, voiced: true, smoothed, raw };
    expect(run([rawRule, smoothedRule], [second]).map((a) => a.rule)).toEqual(['raw']);
  });
});
