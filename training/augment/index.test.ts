import { beforeAll, describe, expect, it } from 'vitest';
import { telephoneChannel } from '../../core/audio/telephone.js';
import {
  applyAugment,
  AUGMENT_VERSION,
  type AugmentSpec,
  DEFAULT_AUGMENT_POLICY,
  describeAugment,
  sampleAugmentSpecs,
  validateAugmentSpec,
} from './index.js';
import { addNoise } from './noise.js';
import { deriveSeed } from './rng.js';
import { changeSpeed } from './speed.js';
import { pitchShift } from './pitch.js';
import { corpusClips, spectralPeak, SR, tone, type CorpusClip } from '../../test/signals.js';

const finiteAndClipped = (x: Float32Array) => x.every((v) => Number.isFinite(v) && v >= -1 && v <= 1);

describe('describeAugment', () => {
  it('gives short stable ids', () => {
    expect(describeAugment({ noise: { snrDb: 20, kind: 'white' }, speed: 1.1, pitchSemitones: -2, seed: 7 })).toBe('n20w_s1.1_p-2_seed7');
    expect(describeAugment({ noise: { snrDb: 12.5, kind: 'pink' }, seed: 3 })).toBe('n12.5p_seed3');
    expect(describeAugment({ speed: 0.9, seed: 3 })).toBe('s0.9');
    expect(describeAugment({ pitchSemitones: 1.3, seed: 3 })).toBe('p1.3');
    expect(describeAugment({ seed: 3 })).toBe('clean');
    expect(describeAugment({ telephone: { law: 'mulaw', bandpass: false }, seed: 3 })).toBe('tmu');
    expect(describeAugment({ speed: 1.1, noise: { snrDb: 15, kind: 'pink' }, telephone: { law: 'alaw', bandpass: true }, seed: 3 })).toBe('n15p_s1.1_tabp_seed3');
    expect(AUGMENT_VERSION).toBe(1);
  });

  it('gives specs with identical output the same id, and different ones different ids', () => {
    // Identity parts and the seed of a noise-free spec change nothing.
    expect(describeAugment({ speed: 1, pitchSemitones: 0, seed: 1 })).toBe(describeAugment({ seed: 2 }));
    expect(describeAugment({ pitchSemitones: -0, seed: 1 })).toBe('clean');
    expect(describeAugment({ noise: { snrDb: 10, kind: 'white' }, seed: 2 ** 32 + 5 })).toBe('n10w_seed5');
    const ids = new Set(sampleAugmentSpecs(500, 1).map(describeAugment));
    const distinct = new Set(sampleAugmentSpecs(500, 1).map((s) => JSON.stringify(s.noise ? s : { ...s, seed: 0 })));
    expect(ids.size).toBe(distinct.size);
  });

  it('rejects invalid specs', () => {
    const bad: AugmentSpec[] = [
      { seed: 1.5 },
      { speed: 3, seed: 1 },
      { pitchSemitones: 13, seed: 1 },
      { noise: { snrDb: NaN, kind: 'white' }, seed: 1 },
      { noise: { snrDb: 10, kind: 'brown' as 'white' }, seed: 1 },
      { telephone: { law: 'ulaw' as 'mulaw', bandpass: false }, seed: 1 },
      { telephone: { law: 'alaw', bandpass: 'yes' as unknown as boolean }, seed: 1 },
    ];
    for (const spec of bad) {
      expect(() => describeAugment(spec)).toThrow(RangeError);
      expect(() => applyAugment(new Float32Array(100), spec)).toThrow(RangeError);
    }
  });
});

describe('applyAugment', () => {
  it('applies speed, then pitch, then noise', () => {
    const x = tone(440, 2 * SR);
    const y = applyAugment(x, { speed: 1.1, pitchSemitones: 2, seed: 1 });
    expect(y).toEqual(pitchShift(changeSpeed(x, 1.1), 2));
    const spec: AugmentSpec = { speed: 0.9, pitchSemitones: -1, noise: { snrDb: 10, kind: 'pink' }, seed: 8 };
    const manual = addNoise(pitchShift(changeSpeed(x, 0.9), -1), 10, 'pink', deriveSeed(8, 1));
    expect(applyAugment(x, spec)).toEqual(manual.map((v) => Math.max(-1, Math.min(1, v))));
    expect(Math.abs(y.length - (2 * SR) / 1.1)).toBeLessThanOrEqual(1);
    expect(Math.abs(spectralPeak(y.subarray(SR / 4, y.length - SR / 4)).freq - 440 * 1.1 * 2 ** (2 / 12))).toBeLessThan(1.5);
  });

  it('applies the telephone channel last, to the noisy audio (the caller\'s noise goes down the line)', () => {
    const x = tone(440, SR);
    const line = { law: 'alaw', bandpass: true } as const;
    expect(applyAugment(x, { telephone: line, seed: 1 })).toEqual(telephoneChannel(x, line));
    const spec: AugmentSpec = { speed: 1.1, noise: { snrDb: 20, kind: 'white' }, telephone: { law: 'mulaw', bandpass: false }, seed: 4 };
    const noisy = applyAugment(x, { ...spec, telephone: undefined });
    const y = applyAugment(x, spec);
    expect(y).toEqual(telephoneChannel(noisy, spec.telephone!));
    // The white noise above 4 kHz is gone: the result differs from the wideband noisy copy.
    expect(y.length).toBe(noisy.length);
    expect(y).not.toEqual(noisy);
  });

  it('is deterministic: same seed gives identical output, a different seed a different one', () => {
    const x = tone(300, SR, 0.3);
    const spec: AugmentSpec = { noise: { snrDb: 15, kind: 'pink' }, speed: 0.9, pitchSemitones: 1.5, seed: 42 };
    const a = applyAugment(x, spec);
    const b = applyAugment(x, { ...spec });
    const c = applyAugment(x, { ...spec, seed: 43 });
    expect(a).toEqual(b);
    expect(a.length).toBe(c.length);
    expect(a).not.toEqual(c);
    let differing = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== c[i]) differing++;
    expect(differing).toBeGreaterThan(0.99 * a.length);
  });

  it('does not modify its input and returns a new array even for a clean spec', () => {
    const x = tone(300, 1000, 0.3);
    const copy = Float32Array.from(x);
    const y = applyAugment(x, { seed: 1 });
    expect(y).not.toBe(x);
    expect(y).toEqual(x);
    applyAugment(x, { noise: { snrDb: 0, kind: 'white' }, speed: 1.1, seed: 1 });
    expect(x).toEqual(copy);
  });

  it('clips to [-1, 1] and turns non-finite input into finite output', () => {
    const loud = tone(200, SR, 0.99);
    const y = applyAugment(loud, { noise: { snrDb: 0, kind: 'white' }, seed: 1 });
    expect(finiteAndClipped(y)).toBe(true);
    expect(y.some((v) => v === 1) && y.some((v) => v === -1)).toBe(true); // it really clipped
    const bad = tone(200, SR, 0.5);
    bad[100] = NaN;
    bad[2000] = Infinity;
    bad[3000] = -Infinity;
    for (const spec of [{ seed: 1 }, { speed: 1.1, pitchSemitones: -2, noise: { snrDb: 20, kind: 'pink' }, seed: 2 }] as AugmentSpec[]) {
      const z = applyAugment(bad, spec);
      expect(finiteAndClipped(z)).toBe(true);
      // The bad samples were treated as silence, not spread as NaN over their neighbours.
      expect(Math.max(...z.map(Math.abs))).toBeGreaterThan(0.3);
    }
  });

  it('handles empty and very short input', () => {
    for (const n of [0, 1, 10, 200]) {
      const x = tone(200, n, 0.5);
      const y = applyAugment(x, { speed: 0.9, pitchSemitones: 2, noise: { snrDb: 10, kind: 'white' }, seed: 3 });
      expect(finiteAndClipped(y)).toBe(true);
      expect(Math.abs(y.length - n / 0.9)).toBeLessThanOrEqual(1);
    }
  });
});

describe('sampleAugmentSpecs', () => {
  it('is reproducible from the seed and prefix-stable', () => {
    const a = sampleAugmentSpecs(50, 9);
    expect(sampleAugmentSpecs(50, 9)).toEqual(a);
    expect(sampleAugmentSpecs(10, 9)).toEqual(a.slice(0, 10));
    expect(sampleAugmentSpecs(50, 10)).not.toEqual(a);
    expect(sampleAugmentSpecs(0, 9)).toEqual([]);
    expect(() => sampleAugmentSpecs(-1, 9)).toThrow(RangeError);
  });

  it('follows the default policy', () => {
    const n = 4000;
    const specs = sampleAugmentSpecs(n, 123);
    const p = DEFAULT_AUGMENT_POLICY;
    let withNoise = 0, withPitch = 0, pink = 0, clean = 0;
    const speeds = new Map<number, number>();
    const seeds = new Set<number>();
    for (const s of specs) {
      validateAugmentSpec(s);
      seeds.add(s.seed);
      speeds.set(s.speed ?? 1, (speeds.get(s.speed ?? 1) ?? 0) + 1);
      if (s.noise) {
        withNoise++;
        if (s.noise.kind === 'pink') pink++;
        expect(Number.isInteger(s.noise.snrDb)).toBe(true);
        expect(s.noise.snrDb).toBeGreaterThanOrEqual(10);
        expect(s.noise.snrDb).toBeLessThanOrEqual(30);
      }
      if (s.pitchSemitones !== undefined) {
        withPitch++;
        expect(s.pitchSemitones).not.toBe(0);
        expect(Math.abs(s.pitchSemitones)).toBeLessThanOrEqual(2);
        expect(String(s.pitchSemitones)).toMatch(/^-?\d(\.\d)?$/); // a multiple of 0.1, printed short
      }
      if (describeAugment(s) === 'clean') clean++;
    }
    expect(seeds.size).toBeGreaterThan(n - 5);
    expect([...speeds.keys()].sort()).toEqual([0.9, 1, 1.1]);
    for (const c of speeds.values()) expect(c / n).toBeCloseTo(1 / 3, 1);
    expect(withNoise / n).toBeCloseTo(p.noiseProb, 1);
    expect(pink / withNoise).toBeCloseTo(0.5, 1);
    // Pitch 0 (p = 1/41 of the pitch draws) is left out, so slightly under 0.5.
    expect(withPitch / n).toBeCloseTo(p.pitchProb * (40 / 41), 1);
    expect(clean / n).toBeCloseTo(1 / 12, 1);
  });

  it('draws the telephone channel from a stream of its own: speed, pitch and noise stay those of the default policy', () => {
    const n = 2000;
    const base = sampleAugmentSpecs(n, 77);
    expect(base.some((s) => s.telephone)).toBe(false); // the default policy: no telephone
    const withLine = sampleAugmentSpecs(n, 77, { ...DEFAULT_AUGMENT_POLICY, telephoneProb: 0.4 });
    expect(withLine.map(({ telephone: _t, ...rest }) => rest)).toEqual(base);
    const lines = withLine.filter((s) => s.telephone).map((s) => s.telephone!);
    expect(lines.length / n).toBeCloseTo(0.4, 1);
    expect(lines.filter((t) => t.law === 'mulaw').length / lines.length).toBeCloseTo(0.5, 1);
    expect(lines.filter((t) => t.bandpass).length / lines.length).toBeCloseTo(DEFAULT_AUGMENT_POLICY.telephoneBandpassProb, 1);
  });

  it('accepts a custom policy', () => {
    const specs = sampleAugmentSpecs(200, 5, { ...DEFAULT_AUGMENT_POLICY, speeds: [1], pitchProb: 0, noiseProb: 1, noiseKinds: ['white'], snrRange: [20, 20] });
    for (const s of specs) expect(describeAugment(s)).toBe(`n20w_seed${s.seed}`);
  });
});

describe('real corpus speech through applyAugment', () => {
  let clips: CorpusClip[];
  beforeAll(async () => {
    clips = await corpusClips(2);
  });

  it('stays finite, within [-1, 1], and of the expected length for random specs and extreme ones', () => {
    expect(clips.length).toBeGreaterThanOrEqual(8);
    const specs: AugmentSpec[] = [
      ...sampleAugmentSpecs(24, 2024),
      { noise: { snrDb: -5, kind: 'white' }, speed: 1.1, pitchSemitones: 2, seed: 1 },
      { noise: { snrDb: 0, kind: 'pink' }, speed: 0.9, pitchSemitones: -2, seed: 2 },
      { speed: 0.5, pitchSemitones: 12, seed: 3 },
      { speed: 2, pitchSemitones: -12, seed: 4 },
    ];
    const ids = new Set<string>();
    for (const [i, spec] of specs.entries()) {
      const clip = clips[i % clips.length];
      const y = applyAugment(clip.samples, spec);
      expect(finiteAndClipped(y), `${clip.path} ${describeAugment(spec)}`).toBe(true);
      const speed = spec.speed ?? 1;
      expect(Math.abs(y.length - clip.samples.length / speed)).toBeLessThanOrEqual(1);
      expect(y.some((v) => v !== 0)).toBe(true);
      ids.add(describeAugment(spec));
    }
    expect(ids.size).toBeGreaterThan(20);
  });
});
