import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FEATURE_CONFIG, type FeatureConfig, featureConfigHash, featureDim, framesCompleteAt, rmsIndex } from './config.js';

/** Every field changed in turn: a different value of the same kind. */
function variants(): [string, FeatureConfig][] {
  const out: [string, FeatureConfig][] = [];
  for (const key of Object.keys(FEATURE_CONFIG) as (keyof FeatureConfig)[]) {
    const v = FEATURE_CONFIG[key];
    let changed: unknown;
    if (typeof v === 'number') changed = key === 'logFloor' ? v * 10 : v + 1;
    else if (typeof v === 'string') changed = `${v}-other`;
    else if (Array.isArray(v)) changed = [...v].reverse();
    else throw new Error(`no variant for ${key}`);
    out.push([key, { ...FEATURE_CONFIG, [key]: changed } as FeatureConfig]);
  }
  return out;
}

describe('featureConfigHash', () => {
  const base = featureConfigHash(FEATURE_CONFIG);

  it('is a 16-hex-digit string, the default argument is FEATURE_CONFIG, and it is deterministic', () => {
    expect(base).toMatch(/^[0-9a-f]{16}$/);
    expect(featureConfigHash()).toBe(base);
    expect(featureConfigHash(JSON.parse(JSON.stringify(FEATURE_CONFIG)))).toBe(base);
  });

  it('does not depend on key order', () => {
    const keys = Object.keys(FEATURE_CONFIG) as (keyof FeatureConfig)[];
    const reversed = Object.fromEntries([...keys].reverse().map((k) => [k, FEATURE_CONFIG[k]])) as unknown as FeatureConfig;
    expect(Object.keys(reversed)).not.toEqual(keys);
    expect(featureConfigHash(reversed)).toBe(base);
    fc.assert(
      fc.property(fc.shuffledSubarray(keys, { minLength: keys.length, maxLength: keys.length }), (order) => {
        const shuffled = Object.fromEntries(order.map((k) => [k, FEATURE_CONFIG[k]])) as unknown as FeatureConfig;
        return featureConfigHash(shuffled) === base;
      }),
      { numRuns: 50 },
    );
  });

  it('changes when any field changes', () => {
    const seen = new Set([base]);
    for (const [key, cfg] of variants()) {
      const h = featureConfigHash(cfg);
      expect(h, key).not.toBe(base);
      seen.add(h);
    }
    // Every variant hashes differently from every other too.
    expect(seen.size).toBe(Object.keys(FEATURE_CONFIG).length + 1);
    expect(featureConfigHash({ ...FEATURE_CONFIG, melBands: 64 })).not.toBe(base);
  });

  it('changes when a field is added or removed', () => {
    expect(featureConfigHash({ ...FEATURE_CONFIG, preEmphasis: 0.97 } as unknown as FeatureConfig)).not.toBe(base);
    const { fMin: _dropped, ...rest } = FEATURE_CONFIG;
    expect(featureConfigHash(rest as unknown as FeatureConfig)).not.toBe(base);
  });
});

describe('FEATURE_CONFIG and derived sizes', () => {
  it('describes 25 ms frames every 10 ms at 16 kHz, 40 MFCCs + zcr, pitch, periodicity + rms (last: bundle.py reads it there)', () => {
    expect(FEATURE_CONFIG.frameLength / FEATURE_CONFIG.sampleRate).toBe(0.025);
    expect(FEATURE_CONFIG.hopLength / FEATURE_CONFIG.sampleRate).toBe(0.01);
    expect(FEATURE_CONFIG.fftSize).toBeGreaterThanOrEqual(FEATURE_CONFIG.frameLength);
    expect(featureDim()).toBe(44);
    expect(rmsIndex()).toBe(43);
    expect(featureDim({ ...FEATURE_CONFIG, mfccCount: 13 })).toBe(17);
    expect(Object.isFrozen(FEATURE_CONFIG)).toBe(true);
  });
});

describe('framesCompleteAt', () => {
  it('boundary values', () => {
    expect(framesCompleteAt(0)).toBe(0);
    expect(framesCompleteAt(399)).toBe(0);
    expect(framesCompleteAt(400)).toBe(1);
    expect(framesCompleteAt(559)).toBe(1);
    expect(framesCompleteAt(560)).toBe(2);
    expect(framesCompleteAt(16000)).toBe(98); // one second: frames start at 0, 160, ..., 15600
    expect(framesCompleteAt(16160)).toBe(99);
    expect(framesCompleteAt(32000)).toBe(198);
  });

  it('counts the frames [f*hop, f*hop + frameLength) that end within the samples, for any config', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 5000 }), (frameLength, hop, samples) => {
        const config = { ...FEATURE_CONFIG, frameLength, hopLength: hop };
        let count = 0;
        while (count * hop + frameLength <= samples) count++;
        return framesCompleteAt(samples, config) === count;
      }),
      { numRuns: 300 },
    );
  });
});
