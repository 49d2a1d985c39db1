/**
 * Google's speech embedding of every trimmed corpus clip, pooled per clip (mean and SD over its
 * 80 ms steps: 192 values), for the frozen-front-end probe beside mn04's.
 *
 *   npm run build && flock /work/notes/heavy.lock \
 *     node dist/training/teacher/embed-speech.js [--dir /work/cache/teacher] [--limit N] [--threads N]
 *
 * Reads DIR/pcm.i16 + DIR/index.json (dump-pcm.js: core's decoder, then the feature cache's trim,
 * so ASED's per-emotion padding is gone); writes DIR/speech-emb.f32 (clips x 192 float32,
 * row-major) and DIR/speech-emb.json ({ dim, pooling, package, sources }), read by
 * `probe.py --features speech`. Models: DIR/speech-embedding/ (speech-embedding.ts fetches them).
 */
import { open, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { TeacherClip } from './dump-pcm.js';
import { DEFAULT_TEACHER_DIR } from './paths.js';
import {
  EMBEDDING_DIM,
  SPEECH_EMBEDDING_PACKAGE,
  SpeechEmbedding,
  ensureSpeechEmbeddingModels,
  meanStdPool,
  writeFloat32,
} from './speech-embedding.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, limit: { type: 'string' }, threads: { type: 'string', default: '1' } } });
  const dir = resolve(values.dir ?? DEFAULT_TEACHER_DIR);
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { clips: TeacherClip[] };
  const clips = values.limit ? index.clips.slice(0, Number(values.limit)) : index.clips;
  const modelDir = join(dir, 'speech-embedding');
  await ensureSpeechEmbeddingModels(modelDir, (l) => process.stderr.write(`${l}\n`));
  const threads = Number(values.threads);
  const model = await SpeechEmbedding.load(modelDir, threads);
  const pcm = await open(join(dir, 'pcm.i16'), 'r');
  const dim = 2 * EMBEDDING_DIM;
  const out = new Float32Array(clips.length * dim);
  const t0 = Date.now();
  let audioS = 0;
  let embedMs = 0;
  try {
    for (const [i, clip] of clips.entries()) {
      const bytes = new Uint8Array(clip.samples * 2);
      await pcm.read(bytes, 0, bytes.length, clip.offset * 2);
      const i16 = new Int16Array(bytes.buffer);
      const audio = Float32Array.from(i16, (v) => v / 32768);
      const t = performance.now();
      const { steps, data } = await model.embed(audio);
      embedMs += performance.now() - t;
      out.set(meanStdPool(data, steps, EMBEDDING_DIM), i * dim);
      audioS += clip.samples / 16000;
      if ((i + 1) % 1000 === 0 || i + 1 === clips.length) {
        process.stderr.write(
          `embed-speech: ${i + 1}/${clips.length} clips, ${(audioS / 3600).toFixed(2)} h, ${((Date.now() - t0) / 1000).toFixed(0)} s, ` +
            `${(embedMs / audioS).toFixed(2)} ms of embedding per audio second\n`,
        );
      }
    }
  } finally {
    await pcm.close();
  }
  await writeFloat32(join(dir, 'speech-emb.f32'), out);
  const meta = { dim, pooling: 'mean+sd over 80 ms steps', package: SPEECH_EMBEDDING_PACKAGE, sources: clips.map((c) => c.source) };
  await writeFile(join(dir, 'speech-emb.json'), `${JSON.stringify(meta)}\n`);
  process.stderr.write(
    `embed-speech: wrote ${clips.length} x ${dim} to ${dir}/speech-emb.f32 in ${((Date.now() - t0) / 1000).toFixed(0)} s ` +
      `(${(audioS / ((Date.now() - t0) / 1000)).toFixed(0)}x real time, ${threads} thread(s))\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`embed-speech: ${(e as Error).message}\n`);
  process.exit(1);
});
