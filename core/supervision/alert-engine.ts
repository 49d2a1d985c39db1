/**
 * Evaluates alert rules on one session's smoothed seconds, in stream order. Only voiced seconds
 * count toward "k of the last N"; unvoiced ones neither match nor push matches out of the window.
 * A rule fires on a matching second once k of its last N voiced seconds matched and its cooldown
 * (stream time since it last fired) has passed.
 */
import type { Label } from '../labels.js';
import type { AlertMessage } from '../protocol/alert.js';
import type { Scores } from '../protocol/emotion.js';
import type { AffectPoint } from './affect.js';
import { type AlertRule, type Bounds, DEFAULT_MIN_SCORE } from './alert-rules.js';

/** One second as the rules see it: the smoothed scores and the smoothed affect (when voiced). */
export interface SupervisedSecond {
  readonly second: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly voiced: boolean;
  readonly smoothed?: { readonly label: Label; readonly scores: Scores } & AffectPoint;
}

/** A fired rule: the body of the `alert` message (core/protocol/alert.ts). */
export type Alert = Omit<AlertMessage, 'type'>;

interface RuleState {
  readonly rule: AlertRule;
  /** Last `of` voiced seconds: whether each matched, and its startMs. */
  readonly matches: { matched: boolean; startMs: number }[];
  /** Smoothed arousal of the previous voiced seconds (arousalRise rules only). */
  readonly arousal: number[];
  lastFiredMs: number | null;
}

function within(v: number, b: Bounds | undefined): boolean {
  return !b || ((b.min === undefined || v >= b.min) && (b.max === undefined || v <= b.max));
}

export class AlertEngine {
  private readonly states: RuleState[];

  constructor(rules: readonly AlertRule[]) {
    this.states = rules.map((rule) => ({ rule, matches: [], arousal: [], lastFiredMs: null }));
  }

  get rules(): readonly AlertRule[] {
    return this.states.map((s) => s.rule);
  }

  /** Feeds one second; returns the alerts it fires (at most one per rule). */
  observe(s: SupervisedSecond): Alert[] {
    const sm = s.smoothed;
    if (!s.voiced || !sm) return [];
    const fired: Alert[] = [];
    for (const st of this.states) {
      const { when, sustain, cooldownSeconds } = st.rule;
      let matched = within(sm.arousal, when.arousal) && within(sm.valence, when.valence);
      let label = sm.label;
      let score = sm.scores[sm.label] ?? 0;
      if (when.labels) {
        let sum = 0;
        let best = -1;
        for (const l of when.labels) {
          const v = sm.scores[l] ?? 0;
          sum += v;
          if (v > best) {
            best = v;
            label = l;
          }
        }
        score = sum;
        matched &&= sum >= (when.minScore ?? DEFAULT_MIN_SCORE);
      }
      if (when.arousalRise) {
        const prev = st.arousal;
        matched &&= prev.length > 0 && sm.arousal - Math.min(...prev) >= when.arousalRise.by;
        prev.push(sm.arousal);
        if (prev.length > when.arousalRise.overSeconds) prev.shift();
      }
      st.matches.push({ matched, startMs: s.startMs });
      if (st.matches.length > sustain.of) st.matches.shift();
      if (!matched) continue;
      const hits = st.matches.filter((m) => m.matched);
      if (hits.length < sustain.k) continue;
      if (st.lastFiredMs !== null && s.endMs - st.lastFiredMs < cooldownSeconds * 1000) continue;
      st.lastFiredMs = s.endMs;
      fired.push({ rule: st.rule.id, second: s.second, startMs: hits[0].startMs, endMs: s.endMs, label, score });
    }
    return fired;
  }
}
