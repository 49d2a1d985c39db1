/**
 * An append-only store of feature frames addressed by absolute frame index, keeping at most
 * `capacity` of the newest. The live server keeps one window's worth per session; the file path
 * keeps everything. Both build model windows from it, so both read frames the same way.
 */
export class FeatureHistory {
  private data: Float32Array;
  /** Absolute index of the oldest frame held. */
  private first = 0;
  /** Data row of the oldest frame held (frames are dropped by moving it; rows are moved only when the end is reached). */
  private offset = 0;
  private stored = 0;

  constructor(readonly dim: number, readonly capacity = Infinity, initialFrames = 512) {
    this.data = new Float32Array(Math.max(1, Math.min(initialFrames, capacity === Infinity ? initialFrames : capacity * 2)) * dim);
  }

  /** Absolute index one past the newest frame. */
  get end(): number {
    return this.first + this.stored;
  }

  /** Frames currently held (end - start), never more than capacity. */
  get heldFrames(): number {
    return this.stored;
  }

  /** Absolute index of the oldest frame still held. */
  get start(): number {
    return this.first;
  }

  append(frames: Float32Array, count: number): void {
    if (count === 0) return;
    const dim = this.dim;
    // Of the held frames and the new ones keep the newest `capacity`: drop the oldest held ones
    // first, then (if `count` alone exceeds capacity) the oldest new ones.
    const excess = Math.max(0, this.stored + count - this.capacity);
    const dropHeld = Math.min(this.stored, excess);
    const skipNew = excess - dropHeld;
    this.first += excess;
    this.offset += dropHeld;
    this.stored -= dropHeld;
    const adding = count - skipNew;
    if ((this.offset + this.stored + adding) * dim > this.data.length) {
      // Out of room at the end: move the held frames to the front, then grow if still needed.
      if (this.offset > 0) {
        this.data.copyWithin(0, this.offset * dim, (this.offset + this.stored) * dim);
        this.offset = 0;
      }
      const needed = (this.stored + adding) * dim;
      if (needed > this.data.length) {
        const grown = new Float32Array(Math.max(needed, this.data.length * 2));
        grown.set(this.data.subarray(0, this.stored * dim));
        this.data = grown;
      }
    }
    this.data.set(frames.subarray(skipNew * dim, count * dim), (this.offset + this.stored) * dim);
    this.stored += adding;
  }

  /** Row view of absolute frame `index` (must lie in [start, end)). */
  row(index: number): Float32Array {
    const at = this.rowOffset(index);
    return this.data.subarray(at, at + this.dim);
  }

  /**
   * Where absolute frame `index` starts in `values` (must lie in [start, end)): for loops over
   * many frames a second (window assembly, voicing, session statistics), which would otherwise
   * make a row view per frame. Valid until the next append.
   */
  rowOffset(index: number): number {
    const r = index - this.first;
    if (r < 0 || r >= this.stored) throw new RangeError(`frame ${index} not held (have ${this.first}..${this.end})`);
    return (this.offset + r) * this.dim;
  }

  /** The storage rowOffset indexes into (replaced when the history grows: take it anew after an append). */
  get values(): Float32Array {
    return this.data;
  }
}
