/**
 * Seeded deterministic PRNG for data augmentation (mulberry32: 32-bit state, period 2^32, passes
 * the usual small-crush style checks and is plenty for choosing augmentations and making noise).
 *
 * Everything random in training/augment draws from one of these, built from the spec's seed, so
 * the same (input, spec) always gives bit-identical output and a feature cache can key on
 * describeAugment(spec). Math.random is never used.
 */

/** Normalises any finite number to an unsigned 32-bit seed (so 7, 7.0 and 2**32 + 7 all agree). */
export function toSeed(seed: number): number {
  if (!Number.isFinite(seed) || !Number.isInteger(seed)) {
    throw new RangeError(`seed must be a finite integer, got ${seed}`);
  }
  return Number(BigInt.asUintN(32, BigInt(seed)));
}

/** Mixes a seed and a stream number into a new well-spread 32-bit seed (murmur3 finaliser). */
export function deriveSeed(seed: number, stream: number): number {
  let h = (toSeed(seed) ^ Math.imul(toSeed(stream) + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class Rng {
  private state: number;
  /** Second Box-Muller output, kept for the next normal() call. */
  private spare: number | null = null;

  constructor(seed: number) {
    this.state = toSeed(seed);
  }

  /** Next raw 32-bit unsigned integer (mulberry32). */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty array');
    return items[Math.floor(this.next() * items.length)];
  }

  /** Standard normal (Box-Muller, both outputs used), scaled to the given mean and sd. */
  normal(mean = 0, sd = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + sd * z;
    }
    // 1 - next() is in (0, 1], so the log is finite.
    const u = 1 - this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }
}
