/**
 * The settled label: fixed-lag smoothing of the per-second class scores. The label of voiced
 * second k is decided at second k + `settleSeconds`, from the session's scores up to then — the
 * same hidden Markov model as the `hmm` filter (core/supervision/smoothing.ts), but its posterior
 * for second k is the forward filter at k times the backward pass over the seconds heard since
 * (Rabiner 1989, the forward-backward algorithm, cut at a fixed lag). Once decided it is never
 * revised: a supervisor's timeline and the call summary read settled labels, the live "now"
 * estimate stays the filter's `smoothed`.
 *
 * Why a lag: a causal filter can only hold a label against flicker by answering late at every
 * real change of emotion, so on the synthetic calls of held-out speakers no filter setting had
 * a third of the raw label changes without losing per-second accuracy; two seconds of hindsight
 * let the smoother tell a one-second blip from a change (docs/insight.md, "Settled labels").
 *
 * Unvoiced seconds add no evidence; the belief drifts toward uniform across them by the smoothing's
 * silenceDecay, forward and backward alike (both steps are symmetric matrices), and they count
 * toward the lag, so a second is settled `settleSeconds` of stream time after it whatever follows.
 * Hysteresis (`settleSwitchRatio`) is applied to the settled sequence as the filter's is.
 */
import type { Label } from '../labels.js';
import type { Scores } from '../protocol/emotion.js';
import { normalize, SCORE_FLOOR, scoreVector, type SmoothedScores, type SmoothingSettings } from './smoothing.js';

/** One voiced second's settled label and posterior, with what the caller attached to it. */
export interface Settled<T> extends SmoothedScores {
  readonly item: T;
}

/** A step of the session since the oldest unsettled voiced second: evidence, or a silent second. */
type Step<T> = { readonly kind: 'voiced'; readonly item: T; readonly likelihood: Float64Array; readonly forward: Float64Array; secondsAfter: number } | { readonly kind: 'silent' };

export class FixedLagSmoother<T> {
  private readonly K: number;
  /** Forward belief after the newest step (null before the first voiced second). */
  private belief: Float64Array | null = null;
  /** Steps from the oldest unsettled voiced second to now. */
  private steps: Step<T>[] = [];
  private shown = -1;

  constructor(
    private readonly labels: readonly Label[],
    private readonly settings: Pick<SmoothingSettings, 'settleSeconds' | 'settlePersistence' | 'settleObservationWeight' | 'settleSwitchRatio' | 'silenceDecay'>,
  ) {
    if (labels.length < 2) throw new Error('settling needs at least two labels');
    this.K = labels.length;
  }

  /** A voiced second's model scores; returns the seconds settled by it (oldest first). */
  observe(item: T, scores: Scores): Settled<T>[] {
    const K = this.K;
    const likelihood = scoreVector(this.labels, scores);
    const w = this.settings.settleObservationWeight;
    for (let i = 0; i < K; i++) likelihood[i] = Math.max(likelihood[i], SCORE_FLOOR) ** w;
    const b = this.belief ? this.transition(this.belief) : new Float64Array(K).fill(1 / K);
    for (let i = 0; i < K; i++) b[i] *= likelihood[i];
    normalize(b);
    this.belief = b;
    this.steps.push({ kind: 'voiced', item, likelihood, forward: b.slice(), secondsAfter: -1 });
    return this.advance();
  }

  /** An unvoiced second: no evidence, the belief drifts toward uniform; returns the seconds settled by it. */
  skip(): Settled<T>[] {
    if (!this.belief) return [];
    this.decay(this.belief);
    // Only the steps after a pending voiced second enter a backward pass: a silence with nothing
    // pending leaves no state behind (a long pause must not grow the list).
    if (this.firstPending() < 0) return [];
    this.steps.push({ kind: 'silent' });
    return this.advance();
  }

  /** Steps held for the backward passes to come (at most about settleSeconds + 1). */
  get heldSteps(): number {
    return this.steps.length;
  }

  /** End of the session: settles every pending second with the hindsight there is. */
  flush(): Settled<T>[] {
    const out: Settled<T>[] = [];
    while (this.firstPending() >= 0) out.push(this.settleOldest());
    return out;
  }

  /** Counts one more second after every pending voiced second, and settles those `settleSeconds` old. */
  private advance(): Settled<T>[] {
    for (const s of this.steps) if (s.kind === 'voiced') s.secondsAfter++;
    const out: Settled<T>[] = [];
    for (;;) {
      const i = this.firstPending();
      if (i < 0 || (this.steps[i] as { secondsAfter: number }).secondsAfter < this.settings.settleSeconds) break;
      out.push(this.settleOldest());
    }
    return out;
  }

  private firstPending(): number {
    return this.steps.findIndex((s) => s.kind === 'voiced');
  }

  /** Forward belief of the oldest pending voiced second times the backward pass over the steps after it. */
  private settleOldest(): Settled<T> {
    const i = this.firstPending();
    const first = this.steps[i] as Extract<Step<T>, { kind: 'voiced' }>;
    const K = this.K;
    let beta: Float64Array = new Float64Array(K).fill(1);
    for (let j = this.steps.length - 1; j > i; j--) {
      const s = this.steps[j];
      if (s.kind === 'voiced') {
        for (let k = 0; k < K; k++) beta[k] *= s.likelihood[k];
        beta = this.transition(beta);
      } else this.decay(beta);
      normalize(beta);
    }
    const post = first.forward.slice();
    for (let k = 0; k < K; k++) post[k] *= beta[k];
    normalize(post);
    // Drop the settled second and any silence before the next voiced one (no pass needs it).
    const next = this.steps.findIndex((s, j) => j > i && s.kind === 'voiced');
    this.steps = next < 0 ? [] : this.steps.slice(next);
    let best = 0;
    const scores: Scores = {};
    this.labels.forEach((l, k) => {
      scores[l] = post[k];
      if (post[k] > post[best]) best = k;
    });
    if (this.shown < 0 || post[best] >= post[this.shown] * this.settings.settleSwitchRatio) this.shown = best;
    return { item: first.item, label: this.labels[this.shown], scores };
  }

  /** One voiced-to-voiced step of the chain: stay with settlePersistence, else any other label alike (symmetric). */
  private transition(v: Float64Array): Float64Array {
    const p = this.settings.settlePersistence;
    const move = (1 - p) / (this.K - 1);
    let sum = 0;
    for (const x of v) sum += x;
    const out = new Float64Array(this.K);
    for (let i = 0; i < this.K; i++) out[i] = p * v[i] + move * (sum - v[i]);
    return out;
  }

  /** A silent second: the way toward uniform by silenceDecay (symmetric, in place). */
  private decay(v: Float64Array): void {
    const d = this.settings.silenceDecay;
    let sum = 0;
    for (const x of v) sum += x;
    const u = sum / this.K;
    for (let i = 0; i < this.K; i++) v[i] = (1 - d) * v[i] + d * u;
  }
}
