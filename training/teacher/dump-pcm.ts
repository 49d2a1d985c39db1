/**
 * Teacher input: every corpus clip as training sees it, written once for the Python teacher.
 *
 *   npm run build && flock /work/notes/heavy.lock \
 *     node dist/training/teacher/dump-pcm.js [--corpora DIR] [--out /work/cache/teacher]
 *
 * Writes OUT/pcm.i16 (16 kHz mono int16, clips concatenated) and OUT/index.json
 * ({ sampleRate, trim, manifest, clips: [{ source, corpus, speaker, emotion, offset, samples }] }).
 *
 * Why a TS step rather than decoding in Python: the teacher must hear exactly the samples the
 * student's feature cache is built from (core's decoder, then trimSilence). ASED pads each clip
 * to a length fixed per emotion; untrimmed audio would hand the teacher the label through the
 * clip length, and its soft labels would teach the student that shortcut. Originals only: the
 * distillation pairs teacher logits with original clips, augmentation stays on the student side.
 */
import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeAudioFile, decodeAudioFileChannels } from '../../core/audio/decode-file.js';
import { corporaRoot, readManifest, type ManifestRow } from '../manifest.js';
import { TRIM_ID, trimSilence } from '../features/trim.js';

import { DEFAULT_TEACHER_DIR } from './paths.js';

export interface TeacherClip {
  /** Path as written in manifest.csv (the key the CV bundle and the distillation side use). */
  readonly source: string;
  readonly corpus: string;
  readonly speaker: string;
  readonly emotion: string;
  /** Offset into pcm.i16, in samples. */
  readonly offset: number;
  readonly samples: number;
}

/** The row's audio as the feature cache sees it: decoded by core (16 kHz), then trimmed. */
async function trimmedAudio(row: ManifestRow): Promise<Float32Array> {
  const audio =
    row.channel === undefined ? await decodeAudioFile(row.file) : (await decodeAudioFileChannels(row.file))[row.channel];
  if (!audio) throw new Error(`${row.file}: no channel ${row.channel}`);
  return trimSilence(audio);
}

function toInt16(x: Float32Array): Int16Array {
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.round(Math.max(-1, Math.min(1, x[i])) * 32767);
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { corpora: { type: 'string' }, out: { type: 'string' } } });
  const root = corporaRoot(values.corpora);
  const outDir = resolve(values.out ?? DEFAULT_TEACHER_DIR);
  const manifestPath = join(root, 'manifest.csv');
  const manifest = await readManifest(manifestPath, root);
  for (const s of manifest.skipped) process.stderr.write(`dump-pcm: manifest.csv:${s.line}: skipped (${s.reason})\n`);
  await mkdir(outDir, { recursive: true });
  const pcm = await open(join(outDir, 'pcm.i16.tmp'), 'w');
  const clips: TeacherClip[] = [];
  let offset = 0;
  const t0 = Date.now();
  try {
    for (const [i, row] of manifest.rows.entries()) {
      const samples = toInt16(await trimmedAudio(row));
      await pcm.write(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
      clips.push({ source: row.path, corpus: row.corpus, speaker: row.speaker, emotion: row.emotion, offset, samples: samples.length });
      offset += samples.length;
      if ((i + 1) % 1000 === 0 || i + 1 === manifest.rows.length) {
        process.stderr.write(`dump-pcm: ${i + 1}/${manifest.rows.length} clips, ${(offset / 16000 / 3600).toFixed(2)} h, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
      }
    }
  } finally {
    await pcm.close();
  }
  await rename(join(outDir, 'pcm.i16.tmp'), join(outDir, 'pcm.i16'));
  const index = { sampleRate: 16000, trim: TRIM_ID, manifest: manifestPath, clips };
  await writeFile(join(outDir, 'index.json'), `${JSON.stringify(index)}\n`);
  process.stderr.write(`dump-pcm: wrote ${clips.length} clips (${offset} samples) to ${outDir} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`dump-pcm: ${(e as Error).message}\n`);
  process.exit(1);
});
