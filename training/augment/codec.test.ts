import { beforeAll, describe, expect, it } from 'vitest';
import { corpusClips, SR } from '../../test/signals.js';
import { applyCodec, CODEC_BITRATES, CODEC_KINDS, type CodecSpec, describeCodec } from './codec.js';
import { applyAugment, DEFAULT_AUGMENT_POLICY, describeAugment, sampleAugmentSpecs } from './index.js';

/**
 * Waveform SNR of the decoded audio against the input, at the lag (0-3000 samples: encoder delay)
 * where the two line up best. Speech codecs do not keep the waveform exactly, so this is a range
 * check: far below the input's own (infinite) and far above noise.
 */
function alignedSnrDb(x: Float32Array, y: Float32Array): number {
  let best = -Infinity;
  let lag = 0;
  for (let l = 0; l <= 3000; l++) {
    let c = 0;
    for (let i = 0, n = Math.min(x.length, y.length - l); i < n; i += 4) c += x[i] * y[i + l];
    if (c > best) [best, lag] = [c, l];
  }
  let s = 0;
  let e = 0;
  for (let i = 0, n = Math.min(x.length, y.length - lag); i < n; i++) {
    s += x[i] * x[i];
    e += (x[i] - y[i + lag]) ** 2;
  }
  return 10 * Math.log10(s / e);
}

describe('applyCodec on real speech', () => {
  let speech: Float32Array;
  beforeAll(async () => {
    speech = (await corpusClips(1)).find((c) => c.corpus === 'ravdess')!.samples;
  });

  const specs: CodecSpec[] = CODEC_KINDS.map((kind) => {
    const rates = CODEC_BITRATES[kind];
    return rates.length > 0 ? { kind, kbps: rates[0] } : { kind };
  });

  it.each(specs.map((s) => [describeCodec(s), s] as const))('%s: the speech comes back degraded, not lost, and bit-identical on a second run', (_id, spec) => {
    const y = applyCodec(speech, spec);
    expect(y.every(Number.isFinite)).toBe(true);
    // Encoder delay and padding only: under 0.1 s more, never shorter.
    expect(y.length).toBeGreaterThanOrEqual(speech.length);
    expect(y.length - speech.length).toBeLessThan(0.1 * SR);
    const snr = alignedSnrDb(speech, y);
    // Measured on this clip: Opus 10 kb/s 6.2 dB, AAC 24 kb/s 12.8, MP3 24 kb/s 17.9, G.722 27.5, μ-law 34.3.
    expect(snr).toBeGreaterThan(3);
    expect(snr).toBeLessThan(45);
    expect(applyCodec(speech, spec)).toEqual(y);
  });

  it('a lower bit rate costs more: MP3 at 24 kb/s is further from the input than at 64', () => {
    expect(alignedSnrDb(speech, applyCodec(speech, { kind: 'mp3', kbps: 24 }))).toBeLessThan(alignedSnrDb(speech, applyCodec(speech, { kind: 'mp3', kbps: 64 })) - 3);
  });

  it('names ffmpeg and the script that installs it when ffmpeg is missing', () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() => applyCodec(speech, { kind: 'mp3', kbps: 32 })).toThrow(/ffmpeg is not installed: run scripts\/ensure-sox-ffmpeg.sh/);
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('codecs in the augmentation policy', () => {
  it('refuses a codec it does not know, a missing or fixed bit rate', () => {
    const bad = [{ kind: 'flac' }, { kind: 'mp3' }, { kind: 'mp3', kbps: 2 }, { kind: 'mp3', kbps: 32.5 }, { kind: 'g722', kbps: 64 }, { kind: 'mulaw', kbps: 128 }] as CodecSpec[];
    for (const codec of bad) expect(() => describeAugment({ seed: 1, codec }), JSON.stringify(codec)).toThrow(RangeError);
  });

  it('names the codec in the spec id, without the seed (it is not random)', () => {
    expect(describeAugment({ seed: 3, codec: { kind: 'mp3', kbps: 32 } })).toBe('cmp3-32');
    expect(describeAugment({ seed: 3, codec: { kind: 'g722' } })).toBe('cg722');
    expect(describeAugment({ seed: 3, codec: { kind: 'mulaw' }, speed: 0.9 })).toBe('s0.9_cmu');
    expect(describeAugment({ seed: 3, codec: { kind: 'opus', kbps: 16 }, noise: { snrDb: 20, kind: 'pink' } })).toBe('n20p_copus-16_seed3');
  });

  it('draws codecs from a stream of their own: every other draw stays that of the policy without it', () => {
    const n = 3000;
    const policy = { ...DEFAULT_AUGMENT_POLICY, telephoneProb: 0.3, padProb: 0.5, roomProb: 0.2 };
    const base = sampleAugmentSpecs(n, 31, policy);
    expect(base.some((s) => s.codec)).toBe(false); // codecProb 0 by default
    const coded = sampleAugmentSpecs(n, 31, { ...policy, codecProb: 0.5 });
    expect(coded.map(({ codec: _c, ...rest }) => rest)).toEqual(base);
    const codecs = coded.filter((s) => s.codec).map((s) => s.codec!);
    expect(codecs.length / n).toBeCloseTo(0.5, 1);
    for (const kind of CODEC_KINDS) {
      const ofKind = codecs.filter((c) => c.kind === kind);
      expect(ofKind.length / codecs.length).toBeCloseTo(1 / CODEC_KINDS.length, 1);
      expect(new Set(ofKind.map((c) => c.kbps))).toEqual(new Set(CODEC_BITRATES[kind].length > 0 ? CODEC_BITRATES[kind] : [undefined]));
    }
  });

  it('applies the codec last: after the telephone line, on the audio the rest produced', () => {
    const tone = Float32Array.from({ length: SR }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 300 * i) / SR));
    const spec = { seed: 5, telephone: { law: 'alaw' as const, bandpass: false }, codec: { kind: 'mulaw' as const } };
    const { codec: _c, ...withoutCodec } = spec;
    expect(applyAugment(tone, spec)).toEqual(applyCodec(applyAugment(tone, withoutCodec), spec.codec));
  });
});
