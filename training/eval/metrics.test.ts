import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LABELS, type Label } from '../../core/labels.js';
import { computeMetrics, meanStd } from './metrics.js';

describe('computeMetrics', () => {
  it('matches a hand-worked 3-class example', () => {
    const labels: Label[] = ['neutral', 'happy', 'sad'];
    //            support: neutral 4, happy 3, sad 3
    const truth = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
    const pred = [0, 0, 1, 2, 1, 1, 0, 2, 2, 1];
    // Confusion (rows true, cols pred):
    //   neutral [2 1 1]   happy [1 2 0]   sad [0 1 2]
    // Column sums (times predicted): neutral 3, happy 4, sad 3. Diagonal 2, 2, 2.
    // accuracy = 6/10
    // neutral: P = 2/3, R = 2/4,  F1 = 2·(2/3·1/2)/(2/3+1/2) = 4/7
    // happy:   P = 2/4, R = 2/3,  F1 = 4/7
    // sad:     P = 2/3, R = 2/3,  F1 = 2/3
    // UAR = (1/2 + 2/3 + 2/3)/3 = 11/18;  macro-F1 = (4/7 + 4/7 + 2/3)/3 = 38/63
    const m = computeMetrics(labels, truth, pred);
    expect(m.n).toBe(10);
    expect(m.confusion).toEqual({
      labels,
      matrix: [
        [2, 1, 1],
        [1, 2, 0],
        [0, 1, 2],
      ],
    });
    expect(m.accuracy).toBeCloseTo(0.6, 12);
    expect(m.uar).toBeCloseTo(11 / 18, 12);
    expect(m.macroF1).toBeCloseTo(38 / 63, 12);
    const neutral = m.perClass.neutral!;
    expect(neutral.precision).toBeCloseTo(2 / 3, 12);
    expect(neutral.recall).toBeCloseTo(0.5, 12);
    expect(neutral.f1).toBeCloseTo(4 / 7, 12);
    expect(neutral.support).toBe(4);
    expect(m.perClass.happy!.precision).toBeCloseTo(0.5, 12);
    expect(m.perClass.happy!.recall).toBeCloseTo(2 / 3, 12);
    expect(m.perClass.happy!.f1).toBeCloseTo(4 / 7, 12);
    expect(m.perClass.sad).toEqual({ precision: 2 / 3, recall: 2 / 3, f1: expect.closeTo(2 / 3, 12), support: 3 });
  });

  it('leaves a class with zero support out of UAR and macro-F1', () => {
    const labels: Label[] = ['neutral', 'happy', 'sad', 'angry'];
    const truth = [0, 0, 1, 1, 2, 2]; // no angry in the ground truth
    const pred = [0, 3, 1, 1, 2, 0]; // ...but it is predicted once
    // neutral [1 0 0 1]  happy [0 2 0 0]  sad [1 0 1 0]  angry [0 0 0 0]; column sums 2 2 1 1
    // neutral P 1/2 R 1/2 F1 1/2; happy P 1 R 1 F1 1; sad P 1 R 1/2 F1 2/3
    // angry: support 0, predicted once, never right → P 0, R 0, F1 0, excluded
    // UAR = (1/2 + 1 + 1/2)/3 = 2/3 (with angry counted as 0 it would be 1/2)
    // macro-F1 = (1/2 + 1 + 2/3)/3 = 13/18 (with angry it would be 13/24)
    const m = computeMetrics(labels, truth, pred);
    expect(m.perClass.angry).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(m.perClass.sad!.precision).toBe(1);
    expect(m.perClass.sad!.recall).toBe(0.5);
    expect(m.perClass.sad!.f1).toBeCloseTo(2 / 3, 12);
    expect(m.accuracy).toBeCloseTo(4 / 6, 12);
    expect(m.uar).toBeCloseTo(2 / 3, 12);
    expect(m.macroF1).toBeCloseTo(13 / 18, 12);
  });

  it('gives precision 0 to a class that is never predicted', () => {
    const labels: Label[] = ['neutral', 'happy', 'sad'];
    const truth = [0, 1, 2, 2];
    const pred = [0, 1, 1, 1];
    // sad never predicted: P 0 (not NaN), R 0/2 = 0, F1 0
    // happy: predicted 3 times, right once: P 1/3, R 1, F1 = 2·(1/3)/(4/3) = 1/2
    // UAR = (1 + 1 + 0)/3 = 2/3; macro-F1 = (1 + 1/2 + 0)/3 = 1/2; accuracy 2/4
    const m = computeMetrics(labels, truth, pred);
    expect(m.perClass.sad).toEqual({ precision: 0, recall: 0, f1: 0, support: 2 });
    expect(m.perClass.happy!.precision).toBeCloseTo(1 / 3, 12);
    expect(m.perClass.happy!.f1).toBeCloseTo(0.5, 12);
    expect(m.uar).toBeCloseTo(2 / 3, 12);
    expect(m.macroF1).toBeCloseTo(0.5, 12);
    expect(m.accuracy).toBe(0.5);
  });

  it('scores perfect predictions as 1 everywhere', () => {
    const labels = [...LABELS];
    const truth = [0, 1, 2, 3, 4, 5, 6, 7, 7, 3, 0];
    const m = computeMetrics(labels, truth, [...truth]);
    expect([m.accuracy, m.uar, m.macroF1]).toEqual([1, 1, 1]);
    for (const l of labels) expect(m.perClass[l]).toMatchObject({ precision: 1, recall: 1, f1: 1 });
    m.confusion.matrix.forEach((row, i) => row.forEach((v, j) => i !== j && expect(v).toBe(0)));
    expect(m.perClass.surprised!.support).toBe(2);
  });

  it('scores all-wrong predictions as 0 everywhere', () => {
    const labels: Label[] = ['neutral', 'happy', 'sad'];
    const truth = [0, 0, 1, 1, 2, 2];
    const pred = [1, 2, 2, 0, 0, 1];
    const m = computeMetrics(labels, truth, pred);
    expect([m.accuracy, m.uar, m.macroF1]).toEqual([0, 0, 0]);
    for (const l of labels) expect(m.perClass[l]).toEqual({ precision: 0, recall: 0, f1: 0, support: 2 });
    expect(m.confusion.matrix.map((r, i) => r[i])).toEqual([0, 0, 0]);
  });

  it('keeps exactly the JSON fields the CLI prints, perClass in label order', () => {
    const labels: Label[] = ['sad', 'neutral'];
    const m = computeMetrics(labels, [0, 1], [0, 0]);
    const json = JSON.parse(JSON.stringify(m));
    expect(Object.keys(json).sort()).toEqual(['accuracy', 'confusion', 'macroF1', 'n', 'perClass', 'uar']);
    expect(Object.keys(json.perClass)).toEqual(['sad', 'neutral']);
    expect(Object.keys(json.perClass.sad).sort()).toEqual(['f1', 'precision', 'recall', 'support']);
    expect(Object.keys(json.confusion).sort()).toEqual(['labels', 'matrix']);
  });

  it('reports NaN (null in JSON) for the rates of an empty evaluation', () => {
    const m = computeMetrics(['neutral', 'sad'], [], []);
    expect(m.n).toBe(0);
    expect(m.accuracy).toBeNaN();
    expect(m.uar).toBeNaN();
    expect(m.macroF1).toBeNaN();
    expect(m.confusion.matrix).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(JSON.parse(JSON.stringify(m)).uar).toBeNull();
  });

  it('rejects mismatched lengths, bad indices and bad label sets', () => {
    const labels: Label[] = ['neutral', 'sad'];
    expect(() => computeMetrics(labels, [0, 1], [0])).toThrow(RangeError);
    expect(() => computeMetrics(labels, [0, 2], [0, 1])).toThrow(/truth\[1\] = 2/);
    expect(() => computeMetrics(labels, [0, 1], [0, -1])).toThrow(/pred\[1\] = -1/);
    expect(() => computeMetrics(labels, [0, 1], [0, 0.5])).toThrow(RangeError);
    expect(() => computeMetrics([], [], [])).toThrow(/empty/);
    expect(() => computeMetrics(['sad', 'sad'], [0], [0])).toThrow(/duplicate/);
  });

  it('agrees with definitions on random data (UAR = accuracy when classes are balanced)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.nat(), { minLength: 8 * 6, maxLength: 8 * 6 }),
        (k, perClass, noise) => {
          const labels = LABELS.slice(0, k);
          const truth: number[] = [];
          const pred: number[] = [];
          for (let c = 0; c < k; c++) {
            for (let r = 0; r < perClass; r++) {
              truth.push(c);
              pred.push(noise[truth.length - 1] % k);
            }
          }
          const m = computeMetrics(labels, truth, pred);
          const correct = truth.filter((t, i) => t === pred[i]).length;
          expect(m.accuracy).toBeCloseTo(correct / truth.length, 12);
          expect(m.uar).toBeCloseTo(m.accuracy, 12);
          expect(m.confusion.matrix.flat().reduce((a, b) => a + b, 0)).toBe(truth.length);
          for (const l of labels) {
            const c = m.perClass[l]!;
            expect(c.support).toBe(perClass);
            expect(c.f1).toBeLessThanOrEqual(Math.max(c.precision, c.recall) + 1e-12);
            expect(c.f1).toBeGreaterThanOrEqual(Math.min(c.precision, c.recall) - 1e-12);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('meanStd', () => {
  it('gives the mean and the sample standard deviation', () => {
    // mean 0.7; squared deviations 0.01, 0, 0.01 → sample variance 0.02/2 = 0.01 → std 0.1
    const r = meanStd([0.6, 0.7, 0.8]);
    expect(r.mean).toBeCloseTo(0.7, 12);
    expect(r.std).toBeCloseTo(0.1, 12);
    expect(r.n).toBe(3);
  });

  it('handles one value, no values, and ignores NaN folds', () => {
    expect(meanStd([0.42])).toEqual({ mean: 0.42, std: 0, n: 1 });
    const empty = meanStd([]);
    expect(empty.mean).toBeNaN();
    expect(empty.std).toBeNaN();
    expect(empty.n).toBe(0);
    const r = meanStd([0.5, NaN, 0.7]);
    expect(r.n).toBe(2);
    expect(r.mean).toBeCloseTo(0.6, 12);
    expect(r.std).toBeCloseTo(Math.sqrt(0.02), 12);
  });
});
