import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FEATURE_CONFIG, framesCompleteAt } from '../features/config.js';
import { FeatureHistory } from '../features/history.js';
import { labelPoints, writeWindow } from './window.js';

const SR = FEATURE_CONFIG.sampleRate;

describe('labelPoints', () => {
  it('boundary cases', () => {
    expect(labelPoints(0)).toEqual([]);
    expect(labelPoints(399)).toEqual([]); // no frame completes
    expect(labelPoints(400)).toEqual([{ second: 1, endSample: 400, frameEnd: 1, frameStart: 0 }]);
    expect(labelPoints(SR)).toEqual([{ second: 1, endSample: SR, frameEnd: 98, frameStart: 0 }]);
    // Frame 98 spans samples 15680..16079: 16001..16079 samples complete no new frame, so no flush label.
    expect(labelPoints(SR + 79)).toHaveLength(1);
    expect(labelPoints(SR + 80)).toEqual([
      { second: 1, endSample: SR, frameEnd: 98, frameStart: 0 },
      { second: 2, endSample: SR + 80, frameEnd: 99, frameStart: 98 },
    ]);
  });

  it('property: one label per whole second plus a flush label iff the tail completes a frame; frames tile the stream', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 * SR }), (n) => {
        const points = labelPoints(n);
        const whole = Math.floor(n / SR);
        const tail = n % SR !== 0 && framesCompleteAt(n) > framesCompleteAt(whole * SR);
        if (points.length !== whole + (tail ? 1 : 0)) return false;
        let prev = 0;
        for (const [i, p] of points.entries()) {
          if (p.second !== i + 1 || p.frameStart !== prev || p.frameEnd !== framesCompleteAt(p.endSample) || p.frameEnd <= p.frameStart) return false;
          if (i < whole && p.endSample !== (i + 1) * SR) return false;
          prev = p.frameEnd;
        }
        return !tail || points[points.length - 1].endSample === n;
      }),
      { numRuns: 500 },
    );
  });
});

describe('writeWindow', () => {
  it('normalises the newest frames, left-pads with zeros / mask 0, and writes at the given batch offset', () => {
    const dim = 2;
    const h = new FeatureHistory(dim);
    h.append(Float32Array.from([1, 2, 3, 4, 5, 6]), 3); // frames 0..2
    const norm = { mean: [1, 2], std: [2, 4] };
    const T = 5;
    const features = new Float32Array(2 * T * dim).fill(9);
    const mask = new Float32Array(2 * T).fill(9);
    writeWindow(h, 3, { frames: T, hopSeconds: 1 }, norm, features, mask, 1);
    expect(Array.from(features.subarray(0, T * dim))).toEqual(new Array(T * dim).fill(9)); // batch slot 0 untouched
    expect(Array.from(features.subarray(T * dim))).toEqual([0, 0, 0, 0, 0, 0, 1, 0.5, 2, 1]);
    expect(Array.from(mask)).toEqual([9, 9, 9, 9, 9, 0, 0, 1, 1, 1]);
  });
});
