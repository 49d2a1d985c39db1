import { describe, expect, it } from 'vitest';
import type { Label } from '../labels.js';
import type { Scores } from '../protocol/emotion.js';
import { Rng } from '../../training/augment/rng.js';
import { FixedLagSmoother, type Settled } from './settling.js';
import { createSmoother, DEFAULT_SMOOTHING, type SmoothingSettings } from './smoothing.js';

const LABELS: readonly Label[] = ['neutral', 'happy', 'sad', 'angry'];
const K = LABELS.length;

/** A noisy classifier on a known sequence: right `acc` of the time, otherwise a random other label; scores peaked 0.5-0.9. */
function noisyRun(truth: readonly Label[], acc: number, seed: number): Scores[] {
  const r = new Rng(seed);
  return truth.map((t) => {
    const shown = r.next() < acc ? t : r.pick(LABELS.filter((l) => l !== t));
    const p = r.uniform(0.5, 0.9);
    return Object.fromEntries(LABELS.map((l) => [l, l === shown ? p : (1 - p) / (K - 1)]));
  });
}

/** null = an unvoiced second. */
type Second = Scores | null;

/** Runs a smoother over seconds; every settled second with the index of the step that settled it (flush = seconds.length). */
function settleAll(settings: SmoothingSettings, seconds: readonly Second[]): { at: number; s: Settled<number> }[] {
  const f = new FixedLagSmoother<number>(LABELS, settings);
  const out: { at: number; s: Settled<number> }[] = [];
  seconds.forEach((x, i) => {
    for (const s of x ? f.observe(i, x) : f.skip()) out.push({ at: i, s });
  });
  for (const s of f.flush()) out.push({ at: seconds.length, s });
  return out;
}

/**
 * The textbook forward-backward posterior of second `target` given seconds[0..end], by explicit
 * K x K matrices (no shortcut shared with the code under test): transition on a voiced step,
 * the silence-decay matrix on an unvoiced one.
 */
function forwardBackward(settings: SmoothingSettings, seconds: readonly Second[], target: number, end: number): number[] {
  const p = settings.settlePersistence;
  const d = settings.silenceDecay;
  const A = LABELS.map((_, i) => LABELS.map((__, j) => (i === j ? p : (1 - p) / (K - 1))));
  const D = LABELS.map((_, i) => LABELS.map((__, j) => (i === j ? 1 - d : 0) + d / K));
  const mul = (M: number[][], v: number[]) => M.map((row) => row.reduce((s, m, j) => s + m * v[j], 0));
  const lik = (x: Scores) => LABELS.map((l) => Math.max(x[l]!, 1e-4) ** settings.settleObservationWeight);
  const norm = (v: number[]) => v.map((x) => x / v.reduce((a, b) => a + b, 0));
  let alpha: number[] | null = null;
  for (let t = 0; t <= target; t++) {
    const x = seconds[t];
    if (!x) {
      if (alpha) alpha = mul(D, alpha);
      continue;
    }
    const prior: number[] = alpha ? mul(A, alpha) : Array(K).fill(1 / K);
    alpha = norm(prior.map((v, i) => v * lik(x)[i]));
  }
  let beta = Array(K).fill(1);
  for (let t = end; t > target; t--) {
    const x = seconds[t];
    beta = norm(x ? mul(A, beta.map((b, i) => b * lik(x)[i])) : mul(D, beta));
  }
  return norm(alpha!.map((a, i) => a * beta[i]));
}

const settings = (over: Partial<SmoothingSettings>): SmoothingSettings => ({ ...DEFAULT_SMOOTHING, settleSwitchRatio: 1, ...over });

describe('settled labels (fixed-lag smoothing)', () => {
  const truth: Label[] = [...Array(15).fill('neutral'), ...Array(12).fill('angry'), ...Array(18).fill('sad'), ...Array(10).fill('happy')];

  it('settles each voiced second exactly once, settleSeconds of stream time later (silent seconds count), the rest at flush', () => {
    const obs = noisyRun(truth, 0.6, 1);
    const seconds: Second[] = obs.map((x, i) => (i % 7 === 3 || i % 7 === 4 ? null : x));
    const out = settleAll(settings({ settleSeconds: 3 }), seconds);
    const voiced = seconds.flatMap((x, i) => (x ? [i] : []));
    expect(out.map((o) => o.s.item)).toEqual(voiced);
    for (const { at, s } of out) {
      if (at < seconds.length) expect(at - s.item).toBe(3);
      else expect(s.item).toBeGreaterThan(seconds.length - 1 - 3);
    }
  });

  it('its posterior is the forward-backward posterior given the seconds up to the settling one, silent seconds included', () => {
    const obs = noisyRun(truth, 0.6, 2);
    const seconds: Second[] = obs.map((x, i) => (i % 9 === 5 ? null : x));
    const s = settings({ settleSeconds: 2, settlePersistence: 0.85, settleObservationWeight: 0.8, silenceDecay: 0.2 });
    for (const { at, s: settled } of settleAll(s, seconds)) {
      const expected = forwardBackward(s, seconds, settled.item, Math.min(at, seconds.length - 1));
      LABELS.forEach((l, i) => expect(settled.scores[l]).toBeCloseTo(expected[i], 10));
    }
  });

  it('with no hindsight it is the hmm filter of the same chain', () => {
    const obs = noisyRun(truth, 0.6, 3);
    const filter = createSmoother(LABELS, { ...DEFAULT_SMOOTHING, method: 'hmm', persistence: 0.8, observationWeight: 0.6, switchMargin: 0, switchRatio: 3 });
    const settled = settleAll(settings({ settleSeconds: 0, settlePersistence: 0.8, settleObservationWeight: 0.6, settleSwitchRatio: 3 }), obs);
    obs.forEach((x, i) => {
      const f = filter.observe(x);
      expect(settled[i].s.label).toBe(f.label);
      for (const l of LABELS) expect(settled[i].s.scores[l]).toBeCloseTo(f.scores[l]!, 12);
    });
  });

  it('two seconds of hindsight: far fewer changes than the raw labels, and right more often than raw and than the filter of the same chain', () => {
    const f = { raw: 0, filter: 0, settled: 0, rawChanges: 0, settledChanges: 0 };
    const changes = (ls: Label[]) => ls.filter((l, i) => i > 0 && l !== ls[i - 1]).length;
    const chain = { settlePersistence: 0.9, settleObservationWeight: 1 };
    for (let seed = 1; seed <= 20; seed++) {
      const obs = noisyRun(truth, 0.6, seed);
      const raw = obs.map((x) => LABELS.reduce((a, b) => (x[b]! > x[a]! ? b : a)));
      const filtered = settleAll(settings({ ...chain, settleSeconds: 0 }), obs).map((o) => o.s.label);
      const settled = settleAll(settings({ ...chain, settleSeconds: 2 }), obs).map((o) => o.s.label);
      const right = (ls: Label[]) => ls.filter((l, i) => l === truth[i]).length;
      f.raw += right(raw);
      f.filter += right(filtered);
      f.settled += right(settled);
      f.rawChanges += changes(raw);
      f.settledChanges += changes(settled);
    }
    expect(f.settledChanges * 3).toBeLessThan(f.rawChanges);
    expect(f.settled).toBeGreaterThan(f.raw);
    expect(f.settled).toBeGreaterThan(f.filter);
  });

  it('holds at most settleSeconds + 1 steps, through speech and through a long silence', () => {
    const f = new FixedLagSmoother<number>(LABELS, settings({ settleSeconds: 2 }));
    const obs = noisyRun(truth, 0.6, 4);
    let most = 0;
    let settled = 0;
    obs.forEach((x, i) => {
      settled += f.observe(i, x).length;
      most = Math.max(most, f.heldSteps);
    });
    for (let i = 0; i < 10_000; i++) {
      settled += f.skip().length;
      most = Math.max(most, f.heldSteps);
    }
    expect(most).toBeLessThanOrEqual(3);
    expect(f.heldSteps).toBe(0);
    expect(settled).toBe(obs.length);
  });

  it('silence before any speech settles nothing; a session of silence flushes nothing', () => {
    const f = new FixedLagSmoother<number>(LABELS, DEFAULT_SMOOTHING);
    for (let i = 0; i < 5; i++) expect(f.skip()).toEqual([]);
    expect(f.flush()).toEqual([]);
  });
});
