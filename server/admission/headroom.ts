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
 * Measured delay alone warns too late: labels stay on time until a process is nearly saturated,
 * and a new session's load shows only once its client streams, so a burst of arrivals admitted on
 * a good latency reading overshoots (measured: 122 % of the ramp capacity admitted, p99 2.5 s).
 * So the gate also predicts, in audio seconds rather than sessions: the busy share
 * (utilization.ts: the larger of this process's and its machine's) per second of audio received
 * per second is what one real-time stream costs; every live session not yet streaming at real
 * time (just admitted, or its client still connecting) is assumed to start, so
 * predicted = busy + (live - audio rate + 1) x cost, and one more session is admitted only if
 * that stays within `maxUtilization`. Charging the whole busy share to the audio errs high (fixed
 * costs, a neighbour's load): the gate then admits fewer, which is the side to err on; with a CPU
 * hog next door it admits only what the cores left over can carry. Until MIN_AUDIO_RATE seconds
 * of audio a second are flowing there is no cost to go by, and at most PACE_FLOOR sessions not
 * streaming are admitted.
 *
 * Parts:
 * - `RecentLatency`: samples (ms) of the last `windowMs`;
 * - `HeadroomGate`: refuses while the measured delay exceeds the target, or while the predicted
 *   busy share of one more session exceeds the limit.
 */
import { performance } from 'node:perf_hooks';
import { SlidingWindow } from './recent.js';
import type { Load } from './utilization.js';

/** Sessions admitted while too little audio flows to measure what a stream costs (a cold or idle process). */
export const PACE_FLOOR = 32;
/** Seconds of audio per second below which the cost of a stream is not estimated. */
export const MIN_AUDIO_RATE = 8;

/** Label latencies (ms) of the last `windowMs`. */
export class RecentLatency {
  private readonly window: SlidingWindow<number>;

  constructor(readonly windowMs = 1000) {
    this.window = new SlidingWindow<number>(windowMs);
  }

  observe(ms: number, now = performance.now()): void {
    this.window.push(ms, now);
  }

  /** The q-quantile (0-1) of the window's latencies, or undefined when it holds fewer than `minSamples`. */
  quantile(q: number, now = performance.now(), minSamples = 5): number | undefined {
    const values = this.window.values(now);
    if (values.length < minSamples) return undefined;
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  }
}

export interface HeadroomOptions {
  /** The label latency (ms) the window's quantile must stay within; 0 turns the gate off. */
  readonly targetMs: number;
  /** Which quantile of the window is held to the target (default p95). */
  readonly quantile?: number;
  /** The busy share (0-1) the predicted load of one more session must stay within; 0 turns prediction off, and with it the cold-start pace (PACE_FLOOR), which stands in for prediction until there is a cost to go by. */
  readonly maxUtilization?: number;
}

/** Why a new session was turned away: no latency headroom, or admissions paced. */
export interface HeadroomRefusal {
  readonly limit: 'latency' | 'utilization' | 'pace';
  readonly reason: string;
}

/** What the gate measures: label latencies and event-loop lag samples over the same window, and the busy share. */
export interface HeadroomMeasures {
  readonly labels: RecentLatency;
  readonly loopLag: RecentLatency;
  readonly utilization?: { current(now: number): Load | undefined };
}

/** The measured delay (ms), 0 before there are samples (the /metrics gauge). */
export function measuredDelayMs(measures: HeadroomMeasures, now: number): number {
  return (measures.labels.quantile(0.95, now) ?? 0) + (measures.loopLag.quantile(0.5, now) ?? 0);
}

export class HeadroomGate {
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

  /** The refusal for one more session, given the `live` sessions now; undefined when there is headroom. */
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
    return this.predict(live, now);
  }

  /** The refusal when one more real-time stream would take the busy share past maxUtilization (or past the cold-start pace). */
  private predict(live: number, now: number): HeadroomRefusal | undefined {
    const limit = this.options.maxUtilization ?? 0;
    if (limit <= 0) return undefined;
    const load = this.measures.utilization?.current(now);
    if (load === undefined || load.audioRate < MIN_AUDIO_RATE) {
      // Sessions that send nothing end at the idle timeout, so this cannot hold the door shut for long.
      if (live - (load?.audioRate ?? 0) < PACE_FLOOR) return undefined;
      return { limit: 'pace', reason: `${live} sessions admitted while too little audio flows to measure their cost` };
    }
    const perStream = load.busy / load.audioRate;
    const unseen = Math.max(0, live - load.audioRate);
    const predicted = load.busy + (unseen + 1) * perStream;
    if (predicted <= limit) return undefined;
    return {
      limit: 'utilization',
      reason: `busy ${Math.round(load.busy * 100)} % at ${load.audioRate.toFixed(0)} s of audio a second; with ${Math.round(unseen)} sessions not yet streaming and one more it would reach ${Math.round(predicted * 100)} %, above the limit ${Math.round(limit * 100)} %`,
    };
  }
}
