/**
 * The call summary a supervisor reads after the call: the settled timeline as segments
 * (core/supervision/settling.ts: the steady label with a few seconds of hindsight), the share of
 * voiced time per settled label, the peak smoothed arousal, and the alerts fired. Built
 * incrementally, each kind of input in stream order; memory grows with label changes and alerts,
 * not with call length.
 */
import type { Label } from '../labels.js';
import type { CallSummary } from '../protocol/end.js';
import type { Alert } from './alert-engine.js';

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

  /** A voiced second's settled label, in stream order. */
  addLabel(second: number, endMs: number, label: Label): void {
    this.voiced++;
    this.counts.set(label, (this.counts.get(label) ?? 0) + 1);
    // The second's own span (not its 3-s window), so segments do not overlap.
    const startMs = Math.max(0, Math.min(endMs, (second - 1) * this.options.hopMs));
    const last = this.segments.at(-1);
    if (last && last.label === label && second - last.lastSecond - 1 <= this.options.maxGapSeconds) {
      last.endMs = endMs;
      last.lastSecond = second;
    } else this.segments.push({ label, startMs, endMs, lastSecond: second });
  }

  /** A voiced second's smoothed arousal. */
  addPeak(second: number, endMs: number, arousal: number): void {
    if (!this.peak || arousal > this.peak.value) this.peak = { value: arousal, second, endMs };
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
