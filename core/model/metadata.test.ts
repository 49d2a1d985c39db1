import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_CONFIG, type FeatureConfig, featureConfigHash, featureDim } from '../features/config.js';
import { METADATA_FILE, METADATA_FORMAT, ModelLoadError, ONNX_FILE, type ModelMetadata, readModelFiles, sha256, validateMetadata } from './metadata.js';
import { DEFAULT_VOICING } from './window.js';
import { DEFAULT_ALERT_RULES } from '../supervision/alert-rules.js';
import { DEFAULT_SMOOTHING } from '../supervision/smoothing.js';

const DIR = '/models/test';
const ONNX_BYTES = new TextEncoder().encode('not really an onnx graph, but bytes with a known hash');

/** A well-formed metadata object for this build, as training writes it. */
function goodMetadata(overrides: Record<string, unknown> = {}): ModelMetadata {
  const dim = featureDim();
  return {
    format: METADATA_FORMAT,
    name: 'undertone-test',
    version: '0.0.1',
    createdAt: '2026-01-01T00:00:00.000Z',
    labels: ['neutral', 'happy', 'sad', 'angry'],
    featureConfig: { ...FEATURE_CONFIG },
    featureConfigHash: featureConfigHash(FEATURE_CONFIG),
    window: { frames: 100, hopSeconds: 1 },
    normalization: { mean: Array.from({ length: dim }, (_, i) => i * 0.5 - 3), std: Array.from({ length: dim }, (_, i) => 1 + i / 10) },
    voicing: DEFAULT_VOICING,
    onnx: { file: ONNX_FILE, sha256: createHash('sha256').update(ONNX_BYTES).digest('hex'), inputs: ['features', 'mask'], output: 'scores' },
    training: { corpora: {}, split: 'speaker', testSpeakers: [], validationSpeakers: [], recipe: {} },
    metrics: {},
    ...overrides,
  } as ModelMetadata;
}

/** JSON round trip, as loading sees it. */
function asLoaded(m: unknown): unknown {
  return JSON.parse(JSON.stringify(m));
}

function refusal(raw: unknown): ModelLoadError {
  try {
    validateMetadata(raw, DIR);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelLoadError);
    expect((e as ModelLoadError).dir).toBe(DIR);
    expect((e as Error).message).toContain(DIR);
    return e as ModelLoadError;
  }
  throw new Error('validateMetadata accepted it');
}

describe('validateMetadata', () => {
  it("takes the model's own smoothing (fields it leaves out from DEFAULT_SMOOTHING) and rules, and refuses bad ones, naming the field", () => {
    const tunedRule = { ...DEFAULT_ALERT_RULES[0], when: { labels: ['angry', 'sad'], minScore: 0.7 } };
    const m = validateMetadata(asLoaded(goodMetadata({ supervision: { smoothing: { method: 'hmm', persistence: 0.3 }, rules: [tunedRule], chosen: { smoothing: 'bench:smoothing' } } })), DIR);
    expect(m.supervision).toEqual({ smoothing: { ...DEFAULT_SMOOTHING, method: 'hmm', persistence: 0.3 }, rules: [tunedRule], chosen: { smoothing: 'bench:smoothing' } });
    expect(validateMetadata(asLoaded(goodMetadata()), DIR).supervision).toBeUndefined();
    const bad = (supervision: unknown) => refusal(asLoaded(goodMetadata({ supervision }))).message;
    expect(bad({ smoothing: { persistence: 1.5 }, chosen: {} })).toContain('model.json supervision: smoothing.persistence must be a number in (0, 1), got 1.5');
    expect(bad({ smoothing: { method: 'hmm' } })).toContain('model.json supervision.chosen must be an object of strings');
    expect(bad({ smoothing: null, chosen: {} })).toContain('model.json supervision: smoothing must be an object');
    expect(bad({ chosen: {}, extra: 1 })).toContain('model.json supervision: unknown field "extra"');
    expect(bad({ rules: [{ ...tunedRule, id: 'my-rule' }], chosen: {} })).toContain('model.json supervision.rules: "my-rule" is not a built-in rule');
    expect(bad({ rules: [{ ...tunedRule, cooldownSeconds: -1 }], chosen: {} })).toContain('model.json supervision.rules: rule "sustained-negative": cooldownSeconds must be a number in [0, 86400], got -1');
  });

  it('accepts well-formed metadata built from FEATURE_CONFIG', () => {
    const m = validateMetadata(asLoaded(goodMetadata()), DIR);
    expect(m.labels).toEqual(['neutral', 'happy', 'sad', 'angry']);
    expect(m.featureConfigHash).toBe(featureConfigHash());
  });

  it('accepts the feature config with its keys in another order', () => {
    const reordered = Object.fromEntries(Object.entries(FEATURE_CONFIG).reverse());
    expect(() => validateMetadata(asLoaded(goodMetadata({ featureConfig: reordered })), DIR)).not.toThrow();
  });

  it('refuses with "feature config mismatch" when any FEATURE_CONFIG field differs', () => {
    const changes: Partial<Record<keyof FeatureConfig, unknown>> = {
      version: 99,
      sampleRate: 8000,
      frameLength: 512,
      hopLength: 128,
      fftSize: 1024,
      window: 'hamming',
      melBands: 64,
      fMin: 20,
      fMax: 7600,
      melScale: 'slaney',
      logFloor: 1e-6,
      mfccCount: 13,
      extras: ['rms_db', 'zcr'],
      rmsFloorDb: -120,
    };
    expect(Object.keys(changes).sort()).toEqual(Object.keys(FEATURE_CONFIG).sort());
    for (const [key, value] of Object.entries(changes)) {
      const cfg = { ...FEATURE_CONFIG, [key]: value } as FeatureConfig;
      // A model trained with the other config, recording its own (consistent) hash.
      const err = refusal(asLoaded(goodMetadata({ featureConfig: cfg, featureConfigHash: featureConfigHash(cfg) })));
      expect(err.message, key).toContain('feature config mismatch');
      // The config edited but the hash left as this build's: caught as well.
      expect(refusal(asLoaded(goodMetadata({ featureConfig: cfg }))).message, key).toContain('feature config mismatch');
    }
    // The right config with a wrong hash.
    expect(refusal(asLoaded(goodMetadata({ featureConfigHash: '0123456789abcdef' }))).message).toContain('feature config mismatch');
  });

  it('refuses bad labels', () => {
    for (const labels of [[], ['neutral'], ['neutral', 'bored'], ['happy', 'happy'], 'neutral,happy', ['neutral', 3]]) {
      refusal(asLoaded(goodMetadata({ labels })));
    }
    expect(refusal(asLoaded(goodMetadata({ labels: ['happy', 'happy'] }))).message).toMatch(/repeat/);
  });

  it('refuses a normalization of the wrong length, non-finite values or non-positive stds', () => {
    const dim = featureDim();
    const ok = goodMetadata().normalization;
    const cases = [
      { mean: ok.mean.slice(1), std: ok.std },
      { mean: ok.mean, std: [...ok.std, 1] },
      { mean: ok.mean.slice(0, 40), std: ok.std.slice(0, 40) },
      { mean: ok.mean, std: ok.std.map((s, i) => (i === 7 ? 0 : s)) },
      { mean: ok.mean, std: ok.std.map((s, i) => (i === dim - 1 ? -1 : s)) },
      { mean: ok.mean.map((m, i) => (i === 3 ? null : m)), std: ok.std }, // NaN after a JSON round trip
      { mean: ok.mean },
      undefined,
    ];
    for (const normalization of cases) refusal(asLoaded(goodMetadata({ normalization })));
    expect(refusal(asLoaded(goodMetadata({ normalization: cases[0] }))).message).toContain(`${dim} means`);
    expect(refusal(asLoaded(goodMetadata({ normalization: cases[3] }))).message).toMatch(/non-positive/);
  });

  it('refuses other malformed fields', () => {
    refusal(null);
    refusal('a string');
    refusal(asLoaded(goodMetadata({ format: 'undertone-model/0' })));
    refusal(asLoaded(goodMetadata({ window: { frames: 5, hopSeconds: 1 } })));
    refusal(asLoaded(goodMetadata({ window: { frames: 100, hopSeconds: 0.5 } })));
    refusal(asLoaded(goodMetadata({ voicing: { method: 'vad', thresholdDb: -50, minVoicedFrames: 20 } })));
    refusal(asLoaded(goodMetadata({ onnx: undefined })));
  });
});

describe('readModelFiles', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'undertone-model-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a model whose onnx hash matches', async () => {
    await writeFile(path.join(dir, METADATA_FILE), JSON.stringify(goodMetadata()));
    await writeFile(path.join(dir, ONNX_FILE), ONNX_BYTES);
    const { metadata, onnxBytes } = await readModelFiles(dir);
    expect(Array.from(onnxBytes)).toEqual(Array.from(ONNX_BYTES));
    expect(metadata.onnx.sha256).toBe(sha256(ONNX_BYTES));
  });

  it('refuses a model.onnx whose sha256 differs ("damaged")', async () => {
    await writeFile(path.join(dir, METADATA_FILE), JSON.stringify(goodMetadata()));
    const tampered = ONNX_BYTES.slice();
    tampered[10] ^= 1;
    await writeFile(path.join(dir, ONNX_FILE), tampered);
    const err = await readModelFiles(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toContain('damaged');
    expect((err as Error).message).toContain(dir);
  });

  it('refuses a missing model.json, invalid JSON and a missing model.onnx', async () => {
    const empty = await mkdtemp(path.join(dir, 'empty-'));
    await expect(readModelFiles(empty)).rejects.toThrow(/cannot read model\.json/);
    await writeFile(path.join(empty, METADATA_FILE), '{ "format": ');
    await expect(readModelFiles(empty)).rejects.toThrow(/not valid JSON/);
    await writeFile(path.join(empty, METADATA_FILE), JSON.stringify(goodMetadata()));
    await expect(readModelFiles(empty)).rejects.toThrow(ModelLoadError);
    await expect(readModelFiles(empty)).rejects.toThrow(/cannot read model\.onnx/);
  });

  it('refuses a feature-config mismatch before reading the graph', async () => {
    const other = await mkdtemp(path.join(dir, 'other-'));
    const cfg = { ...FEATURE_CONFIG, melBands: 64 };
    await writeFile(path.join(other, METADATA_FILE), JSON.stringify(goodMetadata({ featureConfig: cfg, featureConfigHash: featureConfigHash(cfg) })));
    await writeFile(path.join(other, ONNX_FILE), ONNX_BYTES);
    await expect(readModelFiles(other)).rejects.toThrow(/feature config mismatch/);
  });
});
