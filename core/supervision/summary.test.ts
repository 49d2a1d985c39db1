import { describe, expect, it } from 'vitest';
import type { Label } from '../labels.js';
import { CallSummaryBuilder, MAX_SUMMARY_ALERTS } from './summary.js';

/** One second as the supervisor hands it over: a voiced second's settled label and smoothed arousal; nothing for an unvoiced one. */
function add(b: CallSummaryBuilder, k: number, label: Label | null, arousal = 0, endMs = k * 1000): void {
  if (!label) return;
  b.addPeak(k, endMs, arousal);
  b.addLabel(k, endMs, label);
}

describe('call summary', () => {
  it('segments the settled labels by the seconds they cover, bridging short pauses only', () => {
    const b = new CallSummaryBuilder({ hopMs: 1000, maxGapSeconds: 2 });
    const labels: (Label | null)[] = ['neutral', 'neutral', null, null, 'neutral', 'angry', 'angry', null, null, null, 'angry', 'sad'];
    labels.forEach((l, i) => add(b, i + 1, l, l === 'angry' ? 0.5 + i / 100 : 0));
    const s = b.build();
    expect(s.segments).toEqual([
      { label: 'neutral', startMs: 0, endMs: 5000 },
      { label: 'angry', startMs: 5000, endMs: 7000 },
      { label: 'angry', startMs: 10000, endMs: 11000 },
      { label: 'sad', startMs: 11000, endMs: 12000 },
    ]);
    expect(s.voicedShare).toEqual({ neutral: 3 / 7, angry: 3 / 7, sad: 1 / 7 });
    expect(s.peakArousal).toEqual({ value: 0.6, second: 11, endMs: 11000 });
  });

  it('the last partial second ends where the audio ended', () => {
    const b = new CallSummaryBuilder();
    add(b, 1, 'happy');
    add(b, 2, 'happy', 0, 1400);
    expect(b.build().segments).toEqual([{ label: 'happy', startMs: 0, endMs: 1400 }]);
  });

  it('no voiced second: empty summary with a null peak', () => {
    const b = new CallSummaryBuilder();
    add(b, 1, null);
    expect(b.build()).toEqual({ segments: [], voicedShare: {}, peakArousal: null, alerts: [], alertCounts: {} });
  });

  it('keeps the first MAX_SUMMARY_ALERTS alerts in full and exact counts per rule', () => {
    const b = new CallSummaryBuilder();
    for (let i = 0; i < MAX_SUMMARY_ALERTS + 5; i++) b.addAlert({ rule: i % 2 ? 'a' : 'b', second: i, startMs: 0, endMs: i * 1000, label: 'angry', score: 0.9 });
    const s = b.build();
    expect(s.alerts).toHaveLength(MAX_SUMMARY_ALERTS);
    expect(s.alertCounts.a + s.alertCounts.b).toBe(MAX_SUMMARY_ALERTS + 5);
  });
});
