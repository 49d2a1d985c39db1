/**
 * Everything a supervisor gets from one session, in one object the transport holds per session:
 * each labelled second in, its smoothed label/scores, arousal and valence out, the settled label
 * of an earlier second when one is decided, plus the alerts it fires; the call summary (of the
 * settled labels) at the end. Pure computation, no I/O: the server sends the fields
 * and alerts, counts alerts in /metrics and hands them to the webhook dispatcher.
 */
import type { Label } from '../labels.js';
import type { TimelineEntry } from '../predict.js';
import type { EmotionMessage, SettledEmotion } from '../protocol/emotion.js';
import { affectOf } from './affect.js';
import { type Alert, AlertEngine, type SupervisedSecond } from './alert-engine.js';
import { type AlertRule, DEFAULT_ALERT_RULES, modelAlertRules } from './alert-rules.js';
import { FixedLagSmoother, type Settled } from './settling.js';
import { createSmoother, DEFAULT_SMOOTHING, modelSmoothing, type Smoother, type SmoothingSettings } from './smoothing.js';
import { type CallSummary, CallSummaryBuilder, DEFAULT_SUMMARY_OPTIONS, type SummaryOptions } from './summary.js';

export interface SupervisorSettings {
  readonly smoothing: SmoothingSettings;
  readonly rules: readonly AlertRule[];
  readonly summary: SummaryOptions;
}

export const DEFAULT_SUPERVISOR_SETTINGS: SupervisorSettings = {
  smoothing: DEFAULT_SMOOTHING,
  rules: DEFAULT_ALERT_RULES,
  summary: DEFAULT_SUMMARY_OPTIONS,
};

/** The fields a voiced `emotion` message gains: arousal/valence of the raw scores, and the smoothed view. */
export type SupervisedFields = Required<Pick<EmotionMessage, 'arousal' | 'valence' | 'smoothed'>>;

export interface SupervisedStep {
  /** Present for voiced seconds only. */
  readonly fields?: SupervisedFields;
  /** An earlier voiced second, settled at this one. */
  readonly settled?: SettledEmotion;
  readonly alerts: readonly Alert[];
}

/** What the settler carries for each pending voiced second. */
interface SecondSpan {
  readonly second: number;
  readonly startMs: number;
  readonly endMs: number;
}

export class SessionSupervisor {
  private readonly smoother: Smoother;
  private readonly settler: FixedLagSmoother<SecondSpan>;
  private finalSummary: CallSummary | null = null;
  private readonly engine: AlertEngine;
  private readonly summaryBuilder: CallSummaryBuilder;

  constructor(labels: readonly Label[], readonly settings: SupervisorSettings = DEFAULT_SUPERVISOR_SETTINGS) {
    this.smoother = createSmoother(labels, settings.smoothing);
    this.settler = new FixedLagSmoother(labels, settings.smoothing);
    this.engine = new AlertEngine(settings.rules);
    this.summaryBuilder = new CallSummaryBuilder(settings.summary);
  }

  /** One second of the timeline, in order. */
  observe(entry: TimelineEntry): SupervisedStep {
    if (!entry.voiced || !entry.scores) {
      this.smoother.skip();
      const s: SupervisedSecond = { second: entry.second, startMs: entry.startMs, endMs: entry.endMs, voiced: false };
      this.engine.observe(s);
      const settled = this.settle(this.settler.skip());
      return { alerts: [], ...(settled ? { settled } : {}) };
    }
    const smoothed = this.smoother.observe(entry.scores);
    const fields: SupervisedFields = { ...affectOf(entry.scores), smoothed: { ...smoothed, ...affectOf(smoothed.scores) } };
    const raw = { label: entry.label ?? smoothed.label, scores: entry.scores, arousal: fields.arousal, valence: fields.valence };
    const s: SupervisedSecond = { second: entry.second, startMs: entry.startMs, endMs: entry.endMs, voiced: true, smoothed: fields.smoothed, raw };
    const alerts = this.engine.observe(s);
    this.summaryBuilder.addPeak(s.second, s.endMs, fields.smoothed.arousal);
    for (const a of alerts) this.summaryBuilder.addAlert(a);
    const settled = this.settle(this.settler.observe({ second: entry.second, startMs: entry.startMs, endMs: entry.endMs }, entry.scores));
    return { fields, alerts, ...(settled ? { settled } : {}) };
  }

  /**
   * The call summary; the first call settles the seconds still pending (the session is over), so
   * observe nothing after it.
   */
  summary(): CallSummary {
    if (!this.finalSummary) {
      this.settle(this.settler.flush());
      this.finalSummary = this.summaryBuilder.build();
    }
    return this.finalSummary;
  }

  /** Adds settled seconds to the summary; returns the last one as the wire shape (one per step at most, as each step is one second). */
  private settle(settled: readonly Settled<SecondSpan>[]): SettledEmotion | undefined {
    let last: SettledEmotion | undefined;
    for (const { item, label, scores } of settled) {
      this.summaryBuilder.addLabel(item.second, item.endMs, label);
      last = { ...item, label, scores, ...affectOf(scores) };
    }
    return last;
  }
}

/** What a model's supervision is read from: its labels and model.json `supervision`. */
export interface SupervisedModel {
  readonly labels: readonly Label[];
  readonly supervision?: { readonly smoothing?: SmoothingSettings; readonly rules?: readonly AlertRule[] };
}

/**
 * A model's own supervision: its smoothing and its tuning of the built-in rules (model.json, else
 * the defaults). A live session lays the server's and the client's fields over these
 * (server/pipeline/session.ts); a recording's summary uses them as they are.
 */
export function modelSupervision(model: SupervisedModel): SupervisorSettings {
  return { smoothing: modelSmoothing(model), rules: modelAlertRules(model.supervision?.rules), summary: DEFAULT_SUMMARY_OPTIONS };
}

/**
 * The call summary of a whole recorded timeline under a model's own supervision settings: what a
 * live session of the same audio ends with on a server without --smoothing or --alert-rules
 * (`undertone predict --summary`).
 */
export function summariseTimeline(model: SupervisedModel, timeline: readonly TimelineEntry[]): CallSummary {
  const supervisor = new SessionSupervisor(model.labels, modelSupervision(model));
  for (const e of timeline) supervisor.observe(e);
  return supervisor.summary();
}
