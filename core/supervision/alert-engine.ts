/**
 * Evaluates alert rules on one session's seconds (smoothed, or raw for rules with input "raw"),
 * in stream order. Only voiced seconds count; unvoiced ones neither match nor push matches out of
 * the window nor add evidence. A rule fires once its sustain holds and its cooldown (stream time
 * since it last fired) has passed:
 * - k of N: on a matching second once k of its last N voiced seconds matched;
 * - evidence (CUSUM, Page 1954): each voiced second adds its condition score minus the drift to a
 *   sum that never goes below 0, and the rule fires when the sum reaches the threshold (then the
 *   sum restarts). Seconds far above the drift fire it within a few seconds; a steady score just
 *   above the drift fires it later; scores below the drift drain it. It is the detector of a
 *   change in mean with the least delay for a given false-alarm rate (Lorden 1971).
 */
import type { Label } from '../labels.js';
import type { AlertMessage } from '../protocol/alert.js';
import type { Scores } from '../protocol/emotion.js';
import type { AffectPoint } from './affect.js';
import { type AlertRule, type Bounds, type CountSustain, DEFAULT_MIN_SCORE, type EvidenceSustain } from './alert-rules.js';

/** A second's label, scores and their arousal/valence. */
export type ScoredView = { readonly label: Label; readonly scores: Scores } & AffectPoint;

/** One second as the rules see it: the smoothed and the raw view (when voiced). */
export interface SupervisedSecond {
  readonly second: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly voiced: boolean;
  readonly smoothed?: ScoredView;
  readonly raw?: ScoredView;
}

/** A fired rule: the body of the `alert` message (core/protocol/alert.ts). */
export type Alert = Omit<AlertMessage, 'type'>;

interface RuleState {
  readonly rule: AlertRule;
  /** Last `of` voiced seconds: whether each matched, and its startMs. */
  readonly matches: { matched: boolean; startMs: number }[];
  /** Arousal of the previous voiced seconds (arousalRise rules only). */
  readonly arousal: number[];
  /** Evidence rules: the CUSUM sum, and the start of the second where it last rose from 0. */
  evidence: number;
  evidenceStartMs: number;
  lastFiredMs: number | null;
}

function within(v: number, b: Bounds | undefined): boolean {
  return !b || ((b.min === undefined || v >= b.min) && (b.max === undefined || v <= b.max));
}

export class AlertEngine {
  private readonly states: RuleState[];

  constructor(rules: readonly AlertRule[]) {
    this.states = rules.map((rule) => ({ rule, matches: [], arousal: [], evidence: 0, evidenceStartMs: 0, lastFiredMs: null }));
  }

  get rules(): readonly AlertRule[] {
    return this.states.map((s) => s.rule);
  }

  /** Feeds one second; returns the alerts it fires (at most one per rule). */
  observe(s: SupervisedSecond): Alert[] {
    if (!s.voiced) return [];
    const fired: Alert[] = [];
    for (const st of this.states) {
      const view = st.rule.input === 'raw' ? s.raw : s.smoothed;
      if (!view) continue;
      const alert = 'drift' in st.rule.sustain ? this.evidenceStep(st, view, s, st.rule.sustain) : this.countStep(st, view, s, st.rule.sustain);
      if (alert) fired.push(alert);
    }
    return fired;
  }

  private countStep(st: RuleState, view: ScoredView, s: SupervisedSecond, sustain: CountSustain): Alert | null {
    const c = evaluate(st, view);
    const matched = c.holds && (c.score === null || c.score >= (st.rule.when.minScore ?? DEFAULT_MIN_SCORE));
    st.matches.push({ matched, startMs: s.startMs });
    if (st.matches.length > sustain.of) st.matches.shift();
    if (!matched) return null;
    const hits = st.matches.filter((m) => m.matched);
    if (hits.length < sustain.k || coolingDown(st, s)) return null;
    return fire(st, s, hits[0].startMs, c.label, c.score ?? view.scores[c.label] ?? 0);
  }

  private evidenceStep(st: RuleState, view: ScoredView, s: SupervisedSecond, sustain: EvidenceSustain): Alert | null {
    const c = evaluate(st, view);
    const x = !c.holds ? 0 : (c.score ?? 1);
    if (st.evidence === 0) st.evidenceStartMs = s.startMs;
    st.evidence = Math.max(0, st.evidence + x - sustain.drift);
    if (st.evidence < sustain.threshold || coolingDown(st, s)) return null;
    st.evidence = 0;
    return fire(st, s, st.evidenceStartMs, c.label, c.score ?? view.scores[c.label] ?? 0);
  }
}

/**
 * A rule's condition on one second: whether its bounds (and arousal rise) hold, and for a rule on
 * labels their summed score (the label reported is the highest of them).
 */
function evaluate(st: RuleState, view: ScoredView): { holds: boolean; score: number | null; label: Label } {
  const { when } = st.rule;
  let holds = within(view.arousal, when.arousal) && within(view.valence, when.valence);
  let label = view.label;
  let score: number | null = null;
  if (when.labels) {
    let sum = 0;
    let best = -1;
    for (const l of when.labels) {
      const v = view.scores[l] ?? 0;
      sum += v;
      if (v > best) {
        best = v;
        label = l;
      }
    }
    score = sum;
  }
  if (when.arousalRise) {
    const prev = st.arousal;
    holds &&= prev.length > 0 && view.arousal - Math.min(...prev) >= when.arousalRise.by;
    prev.push(view.arousal);
    if (prev.length > when.arousalRise.overSeconds) prev.shift();
  }
  return { holds, score, label };
}

function coolingDown(st: RuleState, s: SupervisedSecond): boolean {
  return st.lastFiredMs !== null && s.endMs - st.lastFiredMs < st.rule.cooldownSeconds * 1000;
}

function fire(st: RuleState, s: SupervisedSecond, startMs: number, label: Label, score: number): Alert {
  st.lastFiredMs = s.endMs;
  return { rule: st.rule.id, second: s.second, startMs, endMs: s.endMs, label, score };
}
