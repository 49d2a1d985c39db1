/**
 * How much a model's labels depend on how a recording is stored rather than on what was said:
 * for each model given, the same clips as stored otherwise, labelled by `undertone predict
 * --model`, against the labels of their 16 kHz float originals (test/transcode.ts compares them).
 *
 *   npm run bench:invariance -- --models DIR[,DIR...] [--files 24]
 *
 * Clips: `--files` clips of 3 s or more of the shipped split's VALIDATION speakers (never its test
 * speakers), spread over the manifest. Variants:
 * - 16-bit rounding (sox without dither), 64 and 32 kb/s MP3 (ffmpeg), 16 kHz μ-law and 8-bit
 *   unsigned PCM (sox), as cli/predict-formats.test.ts;
 * - quiet padding: the clip between 1.5 s of digital zeros on each side, against the same
 *   padded clip written as 16-bit with triangular dither over the whole file (what a 16-bit
 *   recorder stores for silence). This is how the silence is represented, nothing else.
 * Prints, per model and variant: share of voiced seconds with the original's label, the largest
 * score difference, files whose overall label is kept. A model trained on trimmed clips only
 * reacts to the second most (docs/accuracy.md).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeAudioFile } from '../core/audio/decode-file.js';
import { encodeWav } from '../core/audio/wav.js';
import { ConfigError, integer } from '../server/process/parsers.js';
import { corporaRoot, readManifest } from '../training/manifest.js';
import { ditherSample, padSilence } from '../training/augment/pad.js';
import { Rng } from '../training/augment/rng.js';
import { heldOutSplit } from '../training/splits.js';
import { runCli } from '../test/cli.js';
import { agreement, type PredictedFile, VARIANTS } from '../test/transcode.js';
import { announceConditions } from './lib/machine.js';

const { values } = parseArgs({ options: { models: { type: 'string' }, files: { type: 'string', default: '24' } } });
const fail = (why: string): never => {
  process.stderr.write(`bench:invariance: ${why}\n`);
  process.exit(2);
};
if (!values.models) fail('--models DIR[,DIR...] is required (model folders, e.g. models)');
let count = 0;
try {
  count = integer(1, 1000)(values.files, '--files');
} catch (e) {
  if (e instanceof ConfigError) fail(e.message);
  throw e;
}
const models = values.models!.split(',').filter(Boolean);

const PAD_S = 1.5;
const CODEC_VARIANTS = ['pcm16.wav', 'mp3-64k.mp3', 'mp3-32k.mp3', 'mulaw16k.wav', 'pcm8.wav'].map((name) => VARIANTS.find((v) => v.name === name)!);

announceConditions();
const root = corporaRoot();
const manifest = await readManifest(path.join(root, 'manifest.csv'), root);
const validation = heldOutSplit(manifest.rows).validation.filter((r) => r.durationS >= 3);
if (validation.length < count) fail(`only ${validation.length} validation clips of 3 s or more`);
const clips = Array.from({ length: count }, (_, i) => validation[Math.floor((i * validation.length) / count)]);

const dir = mkdtempSync(path.join(tmpdir(), 'undertone-invariance-'));
try {
  /** Per clip: the files to compare, as [reference, variant] names by variant. */
  const pairs = new Map<string, [string, string][]>();
  const add = (variant: string, ref: string, out: string) => pairs.set(variant, [...(pairs.get(variant) ?? []), [ref, out]]);
  const files: string[] = [];
  for (const [i, row] of clips.entries()) {
    const samples = await decodeAudioFile(row.file);
    const ref = path.join(dir, `clip${i}.reference.wav`);
    writeFileSync(ref, encodeWav(samples, 16000, 1, 'float32'));
    files.push(ref);
    for (const v of CODEC_VARIANTS) {
      const out = path.join(dir, `clip${i}.${v.name}`);
      v.make(ref, out);
      files.push(out);
      add(v.name, ref, out);
    }
    const padded = padSilence(samples, { beforeS: PAD_S, afterS: PAD_S, floor: 'zero' }, 0);
    const zeros = path.join(dir, `clip${i}.padded-zeros.wav`);
    writeFileSync(zeros, encodeWav(padded, 16000, 1, 'float32'));
    // 16-bit with triangular dither (±1 LSB) over the whole file, silence included.
    const rng = new Rng(i + 1); // seeded: the same files every run
    const dithered = padded.map((x) => x + ditherSample(rng));
    const dither = path.join(dir, `clip${i}.padded-dither16.wav`);
    writeFileSync(dither, encodeWav(dithered, 16000, 1, 'pcm16'));
    files.push(zeros, dither);
    add('padded: zeros -> 16-bit dither', zeros, dither);
  }
  console.log(`${clips.length} clips (${clips.reduce((s, r) => s + r.durationS, 0).toFixed(0)} s) of the validation speakers of the shipped split: ${[...new Set(clips.map((r) => r.corpus))].join(', ')}`);
  console.log('\nmodel | variant | voiced seconds | labels kept | largest score change | file labels kept');
  console.log('---|---|---:|---:|---:|---:');
  for (const model of models) {
    const r = await runCli(['predict', '--json', '--jobs', '2', '--model', path.resolve(model), ...files]);
    if (r.code !== 0) fail(`predict --model ${model} exited ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const results = new Map<string, PredictedFile>();
    for (const line of r.stdout.trim().split('\n')) {
      const p = JSON.parse(line) as PredictedFile;
      results.set(p.file, p);
    }
    for (const [variant, list] of pairs) {
      const a = agreement(list.map(([ref, out]) => [results.get(ref)!, results.get(out)!] as const));
      console.log(`${model} | ${variant} | ${a.seconds} | ${(a.labelAgreement * 100).toFixed(1)} % | ${a.maxScoreDiff.toFixed(3)} | ${a.fileLabels}/${list.length}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
