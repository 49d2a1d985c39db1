/**
 * The call summary a supervisor reads after the call: the smoothed timeline as segments, the share
 * of voiced time per smoothed label, the peak smoothed arousal, and the alerts fired. Built
 * incrementally from the session's seconds, in order; memory grows with label changes and alerts,
 * not with call length.
 */
import type { Label } from '../labels.js';
import type { CallSummary } from '../protocol/end.js';
import type { Alert, SupervisedSecond } from './alert-engine.js';

export type { CallSummary, SummarySegment } from '../protocol/end.js';

/** A summary carries at most this many alerts in full (counts stay exact). */
export const MAX_SUMMARY_ALERTS = 500;

export interface SummaryOptions {
  /** Length of one second of the timeline (the model's hop), ms. */
  readonly hopMs: number;
  /** Unvoiced seconds a segment may bridge when the same label resumes. */
  readonly maxGapSeconds: number;
}

export const DEFAULT_SUMMARY_OPTIONS: SummaryOptions = { hopMs: 1000, maxGapSeconds: 3 };

export class CallSummaryBuilder {
  private readonly segments: { label: Label; startMs: number; endMs: number; lastSecond: number }[] = [];
  private readonly counts = new Map<Label, number>();
  private voiced = 0;
  private peak: CallSummary['peakArousal'] = null;
  private readonly alerts: Alert[] = [];
  private readonly alertCounts: Record<string, number> = {};

  constructor(private readonly options: SummaryOptions = DEFAULT_SUMMARY_OPTIONS) {}

  addSecond(s: SupervisedSecond): void {
    const sm = s.smoothed;
    if (!s.voiced || !sm) return;
    this.voiced++;
    this.counts.set(sm.label, (this.counts.get(sm.label) ?? 0) + 1);
    if (!this.peak || sm.arousal > this.peak.value) this.peak = { value: sm.arousal, second: s.second, endMs: s.endMs };
    // The second's own span (not its 3-s window), so segments do not overlap.
    const startMs = Math.max(0, Math.min(s.endMs, (s.second - 1) * this.options.hopMs));
    const last = this.segments.at(-1);
    if (last && last.label === sm.label && s.second - last.lastSecond - 1 <= this.options.maxGapSeconds) {
      last.endMs = s.endMs;
      last.lastSecond = s.second;
    } else this.segments.push({ label: sm.label, startMs, endMs: s.endMs, lastSecond: s.second });
  }

  addAlert(a: Alert): void {
    this.alertCounts[a.rule] = (this.alertCounts[a.rule] ?? 0) + 1;
    if (this.alerts.length < MAX_SUMMARY_ALERTS) this.alerts.push(a);
  }

  build(): CallSummary {
    const voicedShare: Partial<Record<Label, number>> = {};
    for (const [l, n] of this.counts) voicedShare[l] = n / this.voiced;
    return {
      segments: this.segments.map(({ label, startMs, endMs }) => ({ label, startMs, endMs })),
      voicedShare,
      peakArousal: this.peak,
      alerts: [...this.alerts],
      alertCounts: { ...this.alertCounts },
    };
  }
}
