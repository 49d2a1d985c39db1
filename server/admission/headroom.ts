/**
 * Admission by measured headroom: a process admits new sessions while the label latency of its
 * real-time sessions stays within a target, instead of up to a fixed count. CoDel's idea applied
 * to sessions: look at the delay the work actually sees over an interval, not at a queue length
 * or a session count; a delay above target over a whole interval means the process has no
 * headroom left, so new work is turned away (1013 + retryAfterMs) while admitted work is never
 * cut. Because each process measures itself, capacity follows the cores and the neighbours of the
 * machine it runs on; `--max-sessions` stays only as an optional ceiling.
 *
 * The measured delay of a label is the time its audio waits to be read plus the time from reading
 * it to sending the label. The second is measured per label (label latency, from sessions that
 * stream at about real time: a client that sends minutes of audio at once makes its own labels
 * late; that is its queue, not the server's lack of headroom). The first cannot be seen from
 * JavaScript (bytes wait in the socket while the loop is busy), so the event-loop lag stands for
 * it: a saturated loop reads every message late. The gate's figure is p95 of the label latencies
 * plus the median lag (the median, as CoDel takes a minimum: a GC pause or a scheduler hiccup is
 * not a standing queue) over the last window.
 *
 * Two parts:
 * - `RecentLatency`: samples (ms) of the last `windowMs`;
 * - `HeadroomGate`: refuses while that figure exceeds the target, and paces
 *   admissions (a new session's load shows only after it streams for a second or two): at most
 *   max(PACE_FLOOR, live x PACE_GROWTH) admissions per window, so a burst of arrivals cannot all
 *   be let in before the measure catches up.
 */
import { performance } from 'node:perf_hooks';

/** Admissions per window whatever the load (so a fresh or idle process takes a burst of this many at once). */
export const PACE_FLOOR = 64;
/** ... or this fraction of the live sessions per window, when larger (growth of at most 50 % a second). */
export const PACE_GROWTH = 0.5;

/** Label latencies (ms) of the last `windowMs`. */
export class RecentLatency {
  private times: number[] = [];
  private values: number[] = [];

  constructor(readonly windowMs = 1000) {}

  observe(ms: number, now = performance.now()): void {
    this.times.push(now);
    this.values.push(ms);
    // Drop the expired head now and then, not on every sample.
    if (this.times.length > 256 && now - this.times[0] > this.windowMs) this.trim(now);
  }

  /** The q-quantile (0-1) of the window's latencies, or undefined when it holds fewer than `minSamples`. */
  quantile(q: number, now = performance.now(), minSamples = 5): number | undefined {
    this.trim(now);
    if (this.values.length < minSamples) return undefined;
    const sorted = [...this.values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  }

  private trim(now: number): void {
    let drop = 0;
    while (drop < this.times.length && now - this.times[drop] > this.windowMs) drop++;
    if (drop > 0) {
      this.times = this.times.slice(drop);
      this.values = this.values.slice(drop);
    }
  }
}

export interface HeadroomOptions {
  /** The label latency (ms) the window's quantile must stay within; 0 turns the gate off. */
  readonly targetMs: number;
  /** Which quantile of the window is held to the target (default p95). */
  readonly quantile?: number;
}

/** Why a new session was turned away: no latency headroom, or admissions paced. */
export interface HeadroomRefusal {
  readonly limit: 'latency' | 'pace';
  readonly reason: string;
}

/** What the gate measures: label latencies and event-loop lag samples over the same window. */
export interface HeadroomMeasures {
  readonly labels: RecentLatency;
  readonly loopLag: RecentLatency;
}

/** The measured delay (ms), 0 before there are samples (the /metrics gauge). */
export function measuredDelayMs(measures: HeadroomMeasures, now: number): number {
  return (measures.labels.quantile(0.95, now) ?? 0) + (measures.loopLag.quantile(0.5, now) ?? 0);
}

export class HeadroomGate {
  private windowStart = Number.NEGATIVE_INFINITY;
  private admittedInWindow = 0;

  constructor(
    private readonly measures: HeadroomMeasures,
    private readonly options: HeadroomOptions,
  ) {}

  /** The measured delay (ms): p95 label latency + median loop lag of the window; undefined before there are samples. */
  measured(now = performance.now()): { delayMs: number; labelMs: number; lagMs: number } | undefined {
    const labelMs = this.measures.labels.quantile(this.options.quantile ?? 0.95, now);
    const lagMs = this.measures.loopLag.quantile(0.5, now);
    if (labelMs === undefined && lagMs === undefined) return undefined;
    return { delayMs: (labelMs ?? 0) + (lagMs ?? 0), labelMs: labelMs ?? 0, lagMs: lagMs ?? 0 };
  }

  /** The refusal for one more session, given the `live` sessions now; undefined when there is headroom (then `admitted()` counts it). */
  check(live: number, now = performance.now()): HeadroomRefusal | undefined {
    const { targetMs } = this.options;
    if (targetMs <= 0) return undefined;
    const q = this.options.quantile ?? 0.95;
    const m = this.measured(now);
    if (m !== undefined && m.delayMs > targetMs) {
      return {
        limit: 'latency',
        reason: `label delay ${Math.round(m.delayMs)} ms (label latency p${Math.round(q * 100)} ${Math.round(m.labelMs)} ms + event-loop lag median ${Math.round(m.lagMs)} ms, last ${this.measures.labels.windowMs} ms) is above the target ${targetMs} ms`,
      };
    }
    if (now - this.windowStart >= this.measures.labels.windowMs) {
      this.windowStart = now;
      this.admittedInWindow = 0;
    }
    const budget = Math.max(PACE_FLOOR, Math.ceil(live * PACE_GROWTH));
    if (this.admittedInWindow >= budget) return { limit: 'pace', reason: `admitting at most ${budget} new sessions a second until their latency is measured` };
    return undefined;
  }

  /** One session was admitted (after every other check passed). */
  admitted(): void {
    this.admittedInWindow++;
  }
}
