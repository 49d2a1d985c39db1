import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_CONFIG, rmsIndex } from '../../core/features/config.js';
import { extractFeatures } from '../../core/features/extract.js';
import { DEFAULT_VOICING } from '../../core/model/window.js';
import { trimSilence } from '../features/trim.js';
import { corpusClips, rms, SR, type CorpusClip } from '../../test/signals.js';
import { applyAugment, DEFAULT_AUGMENT_POLICY, describeAugment, sampleAugmentSpecs } from './index.js';
import { PAD_HISS_MAX_DB, padSilence, type PadSpec } from './pad.js';

const dbfs = (x: Float32Array, start = 0, end = x.length) => 20 * Math.log10(Math.max(rms(x, start, end), 1e-12));

describe('padSilence', () => {
  const speech = Float32Array.from({ length: SR }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 220 * i) / SR));

  it('puts the clip, unchanged, between the two paddings', () => {
    const y = padSilence(speech, { beforeS: 0.25, afterS: 1, floor: 'zero' }, 1);
    expect(y.length).toBe(0.25 * SR + speech.length + SR);
    expect(y.subarray(0.25 * SR, 0.25 * SR + speech.length)).toEqual(speech);
    expect(y.subarray(0, 0.25 * SR).every((v) => v === 0)).toBe(true);
    expect(y.subarray(0.25 * SR + speech.length).every((v) => v === 0)).toBe(true);
  });

  it('gives each floor its level: dither about -101 dBFS within ±1 LSB, hiss at the level asked', () => {
    const dither = padSilence(new Float32Array(0), { beforeS: 2, afterS: 0, floor: 'dither' }, 3);
    expect(dither.every((v) => Math.abs(v) < 1 / 32768)).toBe(true);
    // Triangular over (-1, 1) LSB has variance 1/6 LSB^2: 20 log10(sqrt(1/6) / 32768) = -98.1 dBFS.
    expect(dbfs(dither)).toBeCloseTo(-98.1, 0);
    for (const hissDb of [-95, -80, PAD_HISS_MAX_DB]) {
      const hiss = padSilence(new Float32Array(0), { beforeS: 1, afterS: 1, floor: 'hiss', hissDb }, 4);
      expect(Math.abs(dbfs(hiss) - hissDb)).toBeLessThan(0.1);
    }
  });

  it('is reproducible from its seed', () => {
    const spec: PadSpec = { beforeS: 0.5, afterS: 0.5, floor: 'hiss', hissDb: -80 };
    expect(padSilence(speech, spec, 9)).toEqual(padSilence(speech, spec, 9));
    expect(padSilence(speech, spec, 9)).not.toEqual(padSilence(speech, spec, 10));
  });

  it('refuses a padding that is too long, a floor it does not know, or a hiss loud enough to be voiced', () => {
    const bad: PadSpec[] = [
      { beforeS: -0.1, afterS: 0, floor: 'zero' },
      { beforeS: 0, afterS: 2.5, floor: 'zero' },
      { beforeS: 0.1, afterS: 0, floor: 'pink' as 'zero' },
      { beforeS: 0.1, afterS: 0, floor: 'hiss', hissDb: -60 },
      { beforeS: 0.1, afterS: 0, floor: 'hiss' },
      { beforeS: 0.1, afterS: 0, floor: 'zero', hissDb: -80 },
    ];
    for (const pad of bad) expect(() => padSilence(speech, pad, 1), JSON.stringify(pad)).toThrow(RangeError);
  });
});

describe('silence padding in the augmentation policy', () => {
  it('names the padding in the spec id, with the seed only when the floor is random', () => {
    expect(describeAugment({ pad: { beforeS: 0.3, afterS: 1.2, floor: 'hiss', hissDb: -80 }, seed: 5 })).toBe('pad0.3-1.2h-80_seed5');
    expect(describeAugment({ pad: { beforeS: 0, afterS: 0.5, floor: 'dither' }, seed: 5 })).toBe('pad0-0.5d_seed5');
    expect(describeAugment({ pad: { beforeS: 0.5, afterS: 0, floor: 'zero' }, seed: 5 })).toBe('pad0.5-0z');
    expect(describeAugment({ pad: { beforeS: 0, afterS: 0, floor: 'hiss', hissDb: -80 }, seed: 5 })).toBe('clean');
    expect(describeAugment({ speed: 1.1, noise: { snrDb: 20, kind: 'white' }, pad: { beforeS: 0.5, afterS: 0, floor: 'zero' }, seed: 5 })).toBe('pad0.5-0z_n20w_s1.1_seed5');
  });

  it('draws padding from a stream of its own: speed, pitch, noise and telephone stay those of the policy without it', () => {
    const n = 2000;
    const policy = { ...DEFAULT_AUGMENT_POLICY, telephoneProb: 0.3 };
    const base = sampleAugmentSpecs(n, 11, policy);
    expect(base.some((s) => s.pad)).toBe(false); // padProb 0 by default
    const padded = sampleAugmentSpecs(n, 11, { ...policy, padProb: 0.5 });
    expect(padded.map(({ pad: _p, ...rest }) => rest)).toEqual(base);
    const pads = padded.filter((s) => s.pad).map((s) => s.pad!);
    expect(pads.length / n).toBeCloseTo(0.5, 1);
    for (const floor of ['zero', 'dither', 'hiss'] as const) expect(pads.filter((p) => p.floor === floor).length / pads.length).toBeCloseTo(1 / 3, 1);
    const lengths = pads.flatMap((p) => [p.beforeS, p.afterS]);
    expect(Math.min(...lengths)).toBe(0);
    expect(Math.max(...lengths)).toBe(1.5);
    expect(lengths.reduce((a, b) => a + b, 0) / lengths.length).toBeCloseTo(0.75, 1);
    for (const p of pads.filter((q) => q.floor === 'hiss')) expect(p.hissDb).toBeGreaterThanOrEqual(-95);
  });
});

describe('padded corpus speech', () => {
  let clips: CorpusClip[];
  beforeAll(async () => {
    clips = (await corpusClips(1)).map((c) => ({ ...c, samples: trimSilence(c.samples) }));
  });

  it('keeps every padded frame under the voicing gate, after noise at the lowest SNR the policy draws, so no label point moves into the padding', () => {
    expect(clips.length).toBeGreaterThanOrEqual(7);
    const gate = DEFAULT_VOICING.thresholdDb;
    const hop = FEATURE_CONFIG.hopLength;
    const win = FEATURE_CONFIG.frameLength;
    const r = rmsIndex();
    for (const [i, clip] of clips.entries()) {
      for (const pad of [
        { beforeS: 1, afterS: 1, floor: 'zero' },
        { beforeS: 1, afterS: 1, floor: 'dither' },
        { beforeS: 1, afterS: 1, floor: 'hiss', hissDb: PAD_HISS_MAX_DB },
      ] as PadSpec[]) {
        const y = applyAugment(clip.samples, { pad, noise: { snrDb: DEFAULT_AUGMENT_POLICY.snrRange[0], kind: 'pink' }, seed: i + 1 });
        const m = extractFeatures(y);
        const before = SR; // padding ends here
        const after = y.length - SR; // and starts again here
        for (let f = 0; f < m.frames; f++) {
          const start = f * hop;
          const inPad = start + win <= before || start >= after;
          if (inPad) expect(m.data[f * m.dim + r], `${clip.path} ${pad.floor} frame ${f}`).toBeLessThan(gate);
        }
        // The speech itself is still there and still voiced.
        expect(dbfs(y, before, after)).toBeGreaterThan(gate);
      }
    }
  });
});
