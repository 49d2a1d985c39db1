/**
 * Admission by phase: spread the live sessions' label instants over the second.
 *
 * Every real-time session asks for a label once a second, at the instant its audio crosses a
 * whole second, which is fixed by when its stream started. Sessions admitted together (a burst of
 * callers, clients retrying after an outage, a load test) keep asking together: measured with the
 * three-net ensemble at 3x overload, each worker's serial inference queue got ~200 windows at one
 * instant and worked through them for ~140 ms, so p99 label latency sat at 177-260 ms while the
 * machine was far from busy (87.5 % of windows waited <= 100 ms for their inference call, the
 * event loop was on time). The same sessions spread over the second never queue.
 *
 * So the second is cut into PHASE_BUCKETS slots and each live session counts in the slot of its
 * admission (the stream starts a handshake after it, so its labels fall a few milliseconds later
 * in every second). A new session is admitted only while its slot holds no more than its fair
 * share (live / PHASE_BUCKETS) by a margin; otherwise it is refused with a retry hint that lands
 * it in the emptiest slot. Random arrivals almost never meet this gate; bursts are turned into
 * sessions spread over the second.
 */
import { performance } from 'node:perf_hooks';

/** Slots of the one-second label cycle (100 ms each). */
export const PHASE_BUCKETS = 10;
/** A slot may hold this share above the fair one (live / PHASE_BUCKETS) before it refuses. */
export const PHASE_SLACK = 1.25;
/**
 * Sessions a slot always takes, so light load is never refused by phase: 16 windows at once are
 * ~11 ms of the ensemble's inference (0.69 ms a window at batch 16).
 */
export const PHASE_FREE = 16;

/** A refusal by phase: how long until a slot with room opens (ms). */
export interface PhaseRefusal {
  readonly limit: 'phase';
  readonly reason: string;
  readonly waitMs: number;
}

export class PhaseSpread {
  private readonly counts: number[];
  private live = 0;

  constructor(
    readonly periodMs = 1000,
    readonly buckets = PHASE_BUCKETS,
  ) {
    this.counts = new Array<number>(buckets).fill(0);
  }

  /** Live sessions per slot (a copy). */
  spread(): number[] {
    return [...this.counts];
  }

  /** The refusal for a session admitted at `now`, or undefined when its slot has room. */
  check(now = performance.now()): PhaseRefusal | undefined {
    const slot = this.slotAt(now);
    if (this.counts[slot] < this.room()) return undefined;
    const target = this.emptiest();
    const slotMs = this.periodMs / this.buckets;
    const offset = ((now % this.periodMs) + this.periodMs) % this.periodMs;
    // From now to a random point of the target slot (never 0: it is another slot or next cycle's).
    let waitMs = target * slotMs + Math.random() * slotMs - offset;
    if (waitMs <= 0) waitMs += this.periodMs;
    return {
      limit: 'phase',
      reason: `${this.counts[slot]} of ${this.live} live sessions already take their labels in this ${Math.round(slotMs)} ms of the second; retry in the emptiest slot`,
      waitMs: Math.round(waitMs),
    };
  }

  /** Counts a session admitted at `now` in its slot; the returned function takes it out (once). */
  take(now = performance.now()): () => void {
    const slot = this.slotAt(now);
    this.counts[slot]++;
    this.live++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.counts[slot]--;
      this.live--;
    };
  }

  /** Most sessions one slot may hold with one more admitted. */
  private room(): number {
    return Math.max(PHASE_FREE, Math.ceil((PHASE_SLACK * (this.live + 1)) / this.buckets));
  }

  private slotAt(now: number): number {
    const offset = ((now % this.periodMs) + this.periodMs) % this.periodMs;
    return Math.min(this.buckets - 1, Math.floor(offset / (this.periodMs / this.buckets)));
  }

  private emptiest(): number {
    let best = 0;
    for (let i = 1; i < this.buckets; i++) if (this.counts[i] < this.counts[best]) best = i;
    return best;
  }
}
