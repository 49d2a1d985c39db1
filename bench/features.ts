/**
 * Feature extraction speed on real corpus audio, in x real time on one core: our incremental
 * extractor (20 ms pushes, as a live stream arrives), our whole-file extractor, and meyda (the
 * design card's library) computing MFCC + RMS + ZCR on the same frames in the same run.
 *
 *   npm run bench:features [-- --files 60]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import MeydaModule from 'meyda';
import { decodeAudioFile } from '../core/audio/decode-file.js';
import { FEATURE_CONFIG } from '../core/features/config.js';
import { extractFeatures } from '../core/features/extract.js';
import { FrameFeatureComputer } from '../core/features/frame-features.js';
import { IncrementalExtractor } from '../core/features/incremental.js';
import { corporaRoot, parseCsvLine } from '../training/manifest.js';

/** meyda is CommonJS with a mutable singleton API whose typings do not survive NodeNext's default import. */
const Meyda = ((MeydaModule as unknown as { default?: unknown }).default ?? MeydaModule) as {
  bufferSize: number; sampleRate: number; melBands: number; numberOfMFCCCoefficients: number; windowingFunction: string;
  extract: (features: string[], frame: Float32Array) => unknown;
};

const { values } = parseArgs({ options: { files: { type: 'string', default: '60' }, corpora: { type: 'string' } } });
const root = corporaRoot(values.corpora);
const lines = readFileSync(join(root, 'manifest.csv'), 'utf8').trim().split('\n').slice(1);
const step = Math.max(1, Math.floor(lines.length / Number(values.files)));
const paths = lines.filter((_, i) => i % step === 0).slice(0, Number(values.files)).map((l) => join(root, parseCsvLine(l)[0]));
const signals: Float32Array[] = [];
for (const p of paths) signals.push(await decodeAudioFile(p));
const seconds = signals.reduce((s, x) => s + x.length, 0) / FEATURE_CONFIG.sampleRate;
const frames = signals.reduce((s, x) => s + Math.max(0, Math.floor((x.length - 400) / 160) + 1), 0);

function time(label: string, fn: () => void): { label: string; ms: number } {
  fn(); // warm-up pass (JIT), not counted
  const t = performance.now();
  fn();
  return { label, ms: performance.now() - t };
}

const computer = new FrameFeatureComputer();
const results = [
  time('ours, incremental (20 ms pushes)', () => {
    for (const x of signals) {
      const ex = new IncrementalExtractor(computer);
      for (let i = 0; i < x.length; i += 320) ex.push(x.subarray(i, i + 320));
    }
  }),
  time('ours, whole file', () => {
    for (const x of signals) extractFeatures(x, computer);
  }),
  time('meyda 5 (mfcc+rms+zcr, 512-sample frames)', () => {
    Meyda.bufferSize = 512;
    Meyda.sampleRate = 16000;
    Meyda.melBands = 40;
    Meyda.numberOfMFCCCoefficients = 40;
    Meyda.windowingFunction = 'hanning';
    const frame = new Float32Array(512);
    for (const x of signals) {
      for (let s = 0; s + 400 <= x.length; s += 160) {
        frame.fill(0);
        frame.set(x.subarray(s, Math.min(x.length, s + 512)));
        Meyda.extract(['mfcc', 'rms', 'zcr'], frame);
      }
    }
  }),
];
console.log(`audio: ${paths.length} corpus files, ${seconds.toFixed(1)} s, ${frames} frames of 25 ms / 10 ms hop (one core, one thread)`);
console.log('extractor'.padEnd(45) + 'ms'.padStart(9) + 'us/frame'.padStart(10) + 'x real time'.padStart(13));
for (const r of results) {
  console.log(r.label.padEnd(45) + r.ms.toFixed(0).padStart(9) + ((r.ms * 1000) / frames).toFixed(2).padStart(10) + (seconds / (r.ms / 1000)).toFixed(0).padStart(13));
}
const base = results[2].ms;
console.log(`speed-up of the incremental extractor over meyda: ${(base / results[0].ms).toFixed(1)}x`);
