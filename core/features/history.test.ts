import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FeatureHistory } from './history.js';

const DIM = 3;

/** Frame `index` has the values index*10 + d, so any row can be checked from its index alone. */
function frames(from: number, count: number): Float32Array {
  const out = new Float32Array(count * DIM);
  for (let f = 0; f < count; f++) for (let d = 0; d < DIM; d++) out[f * DIM + d] = (from + f) * 10 + d;
  return out;
}

describe('FeatureHistory', () => {
  it('property: holds exactly the newest min(total, capacity) frames, each readable by absolute index', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constant(Infinity)),
        fc.integer({ min: 1, max: 600 }),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 400 })), { minLength: 1, maxLength: 60 }),
        (capacity, initialFrames, counts) => {
          const h = new FeatureHistory(DIM, capacity, initialFrames);
          let total = 0;
          for (const count of counts) {
            // Extra rows past `count` must be ignored.
            h.append(frames(total, count + 2), count);
            total += count;
            const held = Math.min(total, capacity);
            if (h.end !== total || h.start !== total - held || h.heldFrames !== held) return false;
            for (const f of [h.start, Math.floor((h.start + h.end) / 2), h.end - 1]) {
              if (held === 0) break;
              const row = h.row(f);
              if (row.length !== DIM || row[0] !== f * 10 || row[DIM - 1] !== f * 10 + DIM - 1) return false;
            }
          }
          // Every held frame, not only the sampled ones.
          for (let f = h.start; f < h.end; f++) if (h.row(f)[1] !== f * 10 + 1) return false;
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses frames it does not hold', () => {
    const h = new FeatureHistory(DIM, 5);
    h.append(frames(0, 8), 8);
    expect(h.start).toBe(3);
    expect(h.end).toBe(8);
    expect(() => h.row(2)).toThrow(RangeError);
    expect(() => h.row(8)).toThrow(RangeError);
    expect(h.row(3)[0]).toBe(30);
  });

  it('with a finite capacity its storage stays bounded however long it runs', () => {
    const capacity = 204;
    const h = new FeatureHistory(DIM, capacity);
    let total = 0;
    let maxRows = 0;
    for (let i = 0; i < 5000; i++) {
      const n = (i * 37) % 101;
      h.append(frames(total, n), n);
      total += n;
      maxRows = Math.max(maxRows, (h as unknown as { data: Float32Array }).data.length / DIM);
      expect(h.heldFrames).toBeLessThanOrEqual(capacity);
    }
    expect(maxRows).toBeLessThanOrEqual(2 * capacity);
    expect(h.row(total - 1)[0]).toBe((total - 1) * 10);
  });
});
