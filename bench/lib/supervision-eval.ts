/**
 * Scoring of the supervision layer on scored synthetic calls (bench/lib/synthetic-calls.ts):
 * per-second accuracy and label changes per minute of the raw and smoothed labels, and the
 * alert figures (detection of sustained negative stretches, delay, false alerts).
 */
import type { Label } from '../../core/labels.js';
import type { Alert } from '../../core/supervision/alert-engine.js';
import { FixedLagSmoother, type Settled } from '../../core/supervision/settling.js';
import { createSmoother, type SmoothingSettings } from '../../core/supervision/smoothing.js';
import { SessionSupervisor, type SupervisorSettings } from '../../core/supervision/session-supervisor.js';
import { type Run, type ScoredCall, truthOf } from './synthetic-calls.js';
import { quantile } from './stats.js';

export interface LabelFigures {
  /** Voiced seconds scored (those with a truth). */
  readonly seconds: number;
  readonly accuracy: number;
  /** Label changes between consecutive voiced seconds, per minute of voiced speech. */
  readonly changesPerMinute: number;
}

/** Per-second figures of the raw labels (settings null) or of a smoother's shown label. */
export function labelFigures(calls: readonly ScoredCall[], labels: readonly Label[], settings: SmoothingSettings | null): LabelFigures {
  return figuresOf(calls, (call) => {
    const smoother = settings ? createSmoother(labels, settings) : null;
    return call.timeline.map((e) => {
      if (!e.voiced || !e.scores) {
        smoother?.skip();
        return null;
      }
      return smoother ? smoother.observe(e.scores).label : e.label!;
    });
  });
}

/** Per-second figures of the settled labels (core/supervision/settling.ts), each second's as decided settleSeconds later. */
export function settledLabelFigures(calls: readonly ScoredCall[], labels: readonly Label[], settings: SmoothingSettings): LabelFigures {
  return figuresOf(calls, (call) => {
    const settler = new FixedLagSmoother<number>(labels, settings);
    const out: (Label | null)[] = call.timeline.map(() => null);
    const put = (settled: readonly Settled<number>[]) => {
      for (const s of settled) out[s.item] = s.label;
    };
    call.timeline.forEach((e, i) => put(e.voiced && e.scores ? settler.observe(i, e.scores) : settler.skip()));
    put(settler.flush());
    return out;
  });
}

/** Accuracy and changes per minute of one label per timeline entry (null: unvoiced, not counted). */
function figuresOf(calls: readonly ScoredCall[], labelsOf: (call: ScoredCall) => readonly (Label | null)[]): LabelFigures {
  let seconds = 0;
  let right = 0;
  let changes = 0;
  for (const call of calls) {
    const shown = labelsOf(call);
    let previous: Label | null = null;
    call.timeline.forEach((e, i) => {
      const label = shown[i];
      if (label === null) return;
      if (previous !== null && label !== previous) changes++;
      previous = label;
      const truth = truthOf(call.runs, e);
      if (truth === null) return;
      seconds++;
      if (label === truth) right++;
    });
  }
  return { seconds, accuracy: right / seconds, changesPerMinute: changes / (seconds / 60) };
}

/**
 * A non-causal bound no smoother can pass by much: every second of a run labelled with the run's
 * most frequent raw label (knowing where runs start and end). Accuracy over the same seconds.
 */
export function runMajorityAccuracy(calls: readonly ScoredCall[]): number {
  let seconds = 0;
  let right = 0;
  for (const call of calls) {
    const byRun = new Map<Run, Map<Label, number>>();
    for (const e of call.timeline) {
      if (!e.voiced || !e.label) continue;
      const mid = Math.max(0, e.endMs - 500);
      const run = call.runs.find((r) => mid >= r.startMs && mid < r.endMs);
      if (!run) continue;
      const counts = byRun.get(run) ?? new Map<Label, number>();
      counts.set(e.label, (counts.get(e.label) ?? 0) + 1);
      byRun.set(run, counts);
    }
    for (const [run, counts] of byRun) {
      const n = [...counts.values()].reduce((a, b) => a + b, 0);
      const majority = [...counts].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
      seconds += n;
      if (majority === run.emotion) right += n;
    }
  }
  return right / seconds;
}

/** The same count for the truth itself (how often the emotion really changes, per voiced minute). */
export function truthChangesPerMinute(calls: readonly ScoredCall[]): number {
  let seconds = 0;
  let changes = 0;
  for (const call of calls) {
    let previous: Label | null = null;
    for (const e of call.timeline) {
      if (!e.voiced) continue;
      const t = truthOf(call.runs, e);
      if (t === null) continue;
      seconds++;
      if (previous !== null && t !== previous) changes++;
      previous = t;
    }
  }
  return changes / (seconds / 60);
}

export const NEGATIVE: ReadonlySet<Label> = new Set<Label>(['angry', 'disgust', 'fearful', 'sad']);
export const NEUTRAL_CALM: ReadonlySet<Label> = new Set<Label>(['neutral', 'calm']);

/** A stretch of consecutive negative runs. */
export interface Stretch {
  readonly startMs: number;
  readonly endMs: number;
}

export function negativeStretches(runs: readonly Run[]): Stretch[] {
  const out: { startMs: number; endMs: number }[] = [];
  for (const r of runs) {
    if (!NEGATIVE.has(r.emotion)) continue;
    const last = out.at(-1);
    if (last && last.endMs === r.startMs) last.endMs = r.endMs;
    else out.push({ startMs: r.startMs, endMs: r.endMs });
  }
  return out;
}

export function runAlerts(call: ScoredCall, labels: readonly Label[], settings: SupervisorSettings): Alert[] {
  const sup = new SessionSupervisor(labels, settings);
  return call.timeline.flatMap((e) => sup.observe(e).alerts);
}

export interface FalseAlerts {
  /** Alerts of the rule whose second lies in a neutral/calm run and in no negative stretch (nor GRACE_MS after one). */
  readonly alerts: number;
  /** Hours of neutral/calm speech they are counted against. */
  readonly hours: number;
  readonly perHour: number;
}

export interface AlertFigures {
  readonly stretches: number;
  readonly detected: number;
  readonly detectionRate: number;
  /** Missed stretches that began within the rule's cooldown of one of its alerts. */
  readonly missedInCooldown: number;
  /** Detection among the stretches the rule was free to fire on (cooldown-suppressed ones left out). */
  readonly detectionRateOutsideCooldown: number;
  readonly medianDelayS: number;
  readonly p90DelayS: number;
  /** On the calls made only of neutral and calm clips. */
  readonly falseNeutralCalls: FalseAlerts;
  /** On the neutral/calm runs of the mixed calls (includes late alerts more than GRACE_MS after a negative stretch). */
  readonly falseMixedCalls: FalseAlerts;
}

/** An alert up to this long after a stretch ends still belongs to it (the window is 3 s). */
export const GRACE_MS = 3000;

function falseAlerts(calls: readonly ScoredCall[], alertsOf: (c: ScoredCall) => readonly Alert[]): FalseAlerts {
  let alerts = 0;
  let ms = 0;
  for (const call of calls) {
    const stretches = negativeStretches(call.runs);
    for (const a of alertsOf(call)) {
      const mid = a.endMs - 500;
      if (stretches.some((s) => mid >= s.startMs && mid < s.endMs + GRACE_MS)) continue;
      const truth = call.runs.find((r) => mid >= r.startMs && mid < r.endMs)?.emotion;
      if (truth && NEUTRAL_CALM.has(truth)) alerts++;
    }
    for (const r of call.runs) if (NEUTRAL_CALM.has(r.emotion)) ms += r.endMs - r.startMs;
  }
  const hours = ms / 3_600_000;
  return { alerts, hours, perHour: alerts / hours };
}

/** The alerts `rule` fires on a call (the call's supervisor run once, then remembered). */
export type AlertsOf = (call: ScoredCall) => Alert[];

/** `rule`'s alerts per call under `settings`, each call's supervisor run at most once: share one between alertFigures and riseFigures. */
export function alertsOfRule(labels: readonly Label[], settings: SupervisorSettings, rule: string): AlertsOf {
  const cache = new Map<ScoredCall, Alert[]>();
  return (c) => {
    let alerts = cache.get(c);
    if (!alerts) {
      alerts = runAlerts(c, labels, settings).filter((a) => a.rule === rule);
      cache.set(c, alerts);
    }
    return alerts;
  };
}

/**
 * Detection of negative stretches of at least `minStretchS` by `rule` on mixed calls, and its
 * false alerts per hour of neutral/calm speech (`neutralCalls` hold only neutral/calm clips).
 */
export function alertFigures(
  mixed: readonly ScoredCall[],
  neutralCalls: readonly ScoredCall[],
  labels: readonly Label[],
  settings: SupervisorSettings,
  rule: string,
  minStretchS = 8,
  alertsOf: AlertsOf = alertsOfRule(labels, settings, rule),
): AlertFigures {
  const cooldownMs = (settings.rules.find((r) => r.id === rule)?.cooldownSeconds ?? 0) * 1000;
  let stretches = 0;
  let detected = 0;
  let missedInCooldown = 0;
  const delays: number[] = [];
  for (const call of mixed) {
    const alerts = alertsOf(call);
    for (const s of negativeStretches(call.runs)) {
      if (s.endMs - s.startMs < minStretchS * 1000) continue;
      stretches++;
      const hit = alerts.find((a) => a.endMs - 500 >= s.startMs && a.endMs - 500 < s.endMs + GRACE_MS);
      if (hit) {
        detected++;
        delays.push((hit.endMs - s.startMs) / 1000);
      } else if (alerts.some((a) => a.endMs <= s.startMs && s.startMs - a.endMs < cooldownMs)) missedInCooldown++;
    }
  }
  delays.sort((a, b) => a - b);
  return {
    stretches,
    detected,
    detectionRate: detected / stretches,
    missedInCooldown,
    detectionRateOutsideCooldown: detected / (stretches - missedInCooldown),
    medianDelayS: quantile(delays, 0.5),
    p90DelayS: quantile(delays, 0.9),
    falseNeutralCalls: falseAlerts(neutralCalls, alertsOf),
    falseMixedCalls: falseAlerts(mixed, alertsOf),
  };
}

export const LOW_AROUSAL_LABELS: ReadonlySet<Label> = new Set<Label>(['neutral', 'calm', 'sad']);
export const HIGH_AROUSAL_LABELS: ReadonlySet<Label> = new Set<Label>(['angry', 'fearful', 'happy', 'surprised']);

export interface RiseFigures {
  /** Changes from a low-arousal run straight into a high-arousal run of at least minRunS. */
  readonly rises: number;
  readonly detected: number;
  readonly detectionRate: number;
  readonly medianDelayS: number;
}

/**
 * Detection of arousal rises by `rule`: a rise is the start of a run of angry/fearful/happy/
 * surprised (at least minRunS long) right after a run of neutral/calm/sad; it is detected when
 * the rule fires from the change to GRACE_MS after the high run ends. Delay from the change.
 */
export function riseFigures(
  mixed: readonly ScoredCall[],
  labels: readonly Label[],
  settings: SupervisorSettings,
  rule: string,
  minRunS = 5,
  alertsOf: AlertsOf = alertsOfRule(labels, settings, rule),
): RiseFigures {
  let rises = 0;
  let detected = 0;
  const delays: number[] = [];
  for (const call of mixed) {
    const alerts = alertsOf(call);
    call.runs.forEach((run, i) => {
      const before = call.runs[i - 1];
      if (!before || !LOW_AROUSAL_LABELS.has(before.emotion) || !HIGH_AROUSAL_LABELS.has(run.emotion)) return;
      if (run.endMs - run.startMs < minRunS * 1000) return;
      rises++;
      const hit = alerts.find((a) => a.endMs - 500 >= run.startMs && a.endMs - 500 < run.endMs + GRACE_MS);
      if (hit) {
        detected++;
        delays.push((hit.endMs - run.startMs) / 1000);
      }
    });
  }
  delays.sort((a, b) => a - b);
  return { rises, detected, detectionRate: detected / rises, medianDelayS: quantile(delays, 0.5) };
}
