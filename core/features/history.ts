/**
 * An append-only store of feature frames addressed by absolute frame index, keeping at most
 * `capacity` of the newest. The live server keeps one window's worth per session; the file path
 * keeps everything. Both build model windows from it, so both read frames the same way.
 */
export class FeatureHistory {
  private data: Float32Array;
  /** Absolute index of the frame at data row 0. */
  private first = 0;
  private stored = 0;

  constructor(readonly dim: number, readonly capacity = Infinity, initialFrames = 512) {
    this.data = new Float32Array(Math.max(1, Math.min(initialFrames, capacity === Infinity ? initialFrames : capacity * 2)) * dim);
  }

  /** Absolute index one past the newest frame. */
  get end(): number {
    return this.first + this.stored;
  }

  /** Absolute index of the oldest frame still held. */
  get start(): number {
    return this.first;
  }

  append(frames: Float32Array, count: number): void {
    if (count === 0) return;
    const dim = this.dim;
    if ((this.stored + count) * dim > this.data.length) {
      // Out of room: first drop what has left the window, then grow if still needed.
      const keep = Math.min(this.stored, Math.max(0, this.capacity - count));
      if (keep < this.stored) {
        this.data.copyWithin(0, (this.stored - keep) * dim, this.stored * dim);
        this.first += this.stored - keep;
        this.stored = keep;
      }
      const needed = (this.stored + count) * dim;
      if (needed > this.data.length) {
        const grown = new Float32Array(Math.max(needed, this.data.length * 2));
        grown.set(this.data.subarray(0, this.stored * dim));
        this.data = grown;
      }
    }
    this.data.set(frames.subarray(0, count * dim), this.stored * dim);
    this.stored += count;
  }

  /** Row view of absolute frame `index` (must lie in [start, end)). */
  row(index: number): Float32Array {
    const r = index - this.first;
    if (r < 0 || r >= this.stored) throw new RangeError(`frame ${index} not held (have ${this.first}..${this.end})`);
    return this.data.subarray(r * this.dim, (r + 1) * this.dim);
  }
}
