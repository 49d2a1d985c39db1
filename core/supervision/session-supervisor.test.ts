import { describe, expect, it } from 'vitest';
import { LABELS, type Label } from '../labels.js';
import type { TimelineEntry } from '../predict.js';
import { affectOf } from './affect.js';
import { DEFAULT_SUPERVISOR_SETTINGS, SessionSupervisor } from './session-supervisor.js';

function entry(k: number, label: Label | null, p = 0.8): TimelineEntry {
  const base = { second: k, startMs: Math.max(0, k * 1000 - 3000), endMs: k * 1000 };
  if (!label) return { ...base, voiced: false };
  const scores = Object.fromEntries(LABELS.map((l) => [l, l === label ? p : (1 - p) / (LABELS.length - 1)]));
  return { ...base, voiced: true, label, scores };
}

describe('session supervisor', () => {
  it('adds smoothed label/scores and arousal/valence to voiced seconds only; raw affect is from the raw scores', () => {
    const sup = new SessionSupervisor(LABELS);
    const voiced = sup.observe(entry(1, 'angry'));
    expect(voiced.fields).toBeDefined();
    expect({ arousal: voiced.fields!.arousal, valence: voiced.fields!.valence }).toEqual(affectOf(entry(1, 'angry').scores!));
    expect(voiced.fields!.smoothed.label).toBe('angry');
    expect(voiced.fields!.smoothed.arousal).toEqual(affectOf(voiced.fields!.smoothed.scores).arousal);
    expect(sup.observe(entry(2, null))).toEqual({ alerts: [] });
  });

  it('sustained confident angry speech fires the default sustained-negative alert, and the summary carries it', () => {
    const sup = new SessionSupervisor(LABELS, DEFAULT_SUPERVISOR_SETTINGS);
    const fired = [];
    // 0.9 on angry: the default needs a smoothed negative mass of 0.8 (0.8 on angry smooths to about 0.75).
    for (let k = 1; k <= 10; k++) fired.push(...sup.observe(entry(k, k <= 3 ? 'neutral' : 'angry', 0.9)).alerts);
    const negative = fired.filter((a) => a.rule === 'sustained-negative');
    expect(negative).toHaveLength(1);
    expect(negative[0].label).toBe('angry');
    const summary = sup.summary();
    expect(summary.alerts).toContainEqual(negative[0]);
    expect(summary.segments.at(-1)).toMatchObject({ label: 'angry', endMs: 10000 });
    expect(summary.segments[0]).toMatchObject({ label: 'neutral', startMs: 0 });
  });
});
