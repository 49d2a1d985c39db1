/**
 * The two shapes of "what happened lately" that admission reads, each written once:
 * - `SlidingWindow`: timestamped samples of the last `windowMs` (label latencies, busy shares);
 * - `LastTwoSeconds`: one figure per wall-clock second (the worst event-loop lag, a count of
 *   refusals), read as the worse of this second and the one before, so a reading just after the
 *   second turns does not start from nothing.
 */
import { performance } from 'node:perf_hooks';

export class SlidingWindow<T> {
  private times: number[] = [];
  private items: T[] = [];

  constructor(readonly windowMs = 1000) {}

  push(item: T, now = performance.now()): void {
    this.times.push(now);
    this.items.push(item);
    // Drop the expired head now and then, not on every sample (slice copies).
    if (this.times.length > 256 && now - this.times[0] > this.windowMs) this.trim(now);
  }

  /** The samples of the last windowMs before `now` (oldest first; do not modify). */
  values(now = performance.now()): readonly T[] {
    this.trim(now);
    return this.items;
  }

  private trim(now: number): void {
    let drop = 0;
    while (drop < this.times.length && now - this.times[drop] > this.windowMs) drop++;
    if (drop > 0) {
      this.times = this.times.slice(drop);
      this.items = this.items.slice(drop);
    }
  }
}

export class LastTwoSeconds {
  private second = 0;
  private current = 0;
  private previous = 0;

  /** @param within how values of one second combine: their sum (a count) or their maximum (a worst case). */
  constructor(private readonly within: 'sum' | 'max') {}

  add(value: number, now = performance.now()): void {
    this.turn(now);
    this.current = this.within === 'sum' ? this.current + value : Math.max(this.current, value);
  }

  /** The worse (larger) of this second's figure and the previous second's; 0 after two quiet seconds. */
  worst(now = performance.now()): number {
    this.turn(now);
    return Math.max(this.current, this.previous);
  }

  private turn(now: number): void {
    const second = Math.floor(now / 1000);
    if (second === this.second) return;
    this.previous = second === this.second + 1 ? this.current : 0;
    this.current = 0;
    this.second = second;
  }
}
