/**
 * Resampling speed to 16 kHz, x real time on one core: core's polyphase resampler beside
 * libsamplerate-js (WASM libsamplerate, the well-kept library) at its three sinc qualities, on the
 * same 30 s of real corpus speech upsampled to each input rate, pushed in 20 ms chunks as a live
 * stream would arrive.
 *
 *   npm run bench:resample
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import lsr from '@alexanderolsen/libsamplerate-js';
import { decodeAudioFile } from '../core/audio/decode-file.js';
import { resampleAll, StreamingResampler } from '../core/audio/resample.js';
import { corporaRoot, parseCsvLine } from '../training/manifest.js';

const { create, ConverterType } = lsr as unknown as {
  create: (ch: number, inRate: number, outRate: number, o: { converterType: number }) => Promise<{ full: (x: Float32Array) => Float32Array; destroy: () => void }>;
  ConverterType: Record<string, number>;
};
const root = corporaRoot();
const lines = readFileSync(join(root, 'manifest.csv'), 'utf8').trim().split('\n').slice(1);
const parts: Float32Array[] = [];
let total = 0;
for (let i = 0; total < 30 * 16000; i += 97) {
  const x = await decodeAudioFile(join(root, parseCsvLine(lines[i])[0]));
  parts.push(x);
  total += x.length;
}
const speech16k = new Float32Array(total);
let o = 0;
for (const p of parts) (speech16k.set(p, o), (o += p.length));
const seconds = total / 16000;

async function measure(run: () => void | Promise<void>): Promise<number> {
  await run();
  const t = performance.now();
  await run();
  return performance.now() - t;
}

console.log(`input: ${seconds.toFixed(1)} s of corpus speech at each rate, 20 ms pushes, one core`);
console.log('input rate'.padEnd(12) + 'ours'.padStart(10) + 'lsr FASTEST'.padStart(14) + 'lsr MEDIUM'.padStart(13) + 'lsr BEST'.padStart(11) + '   (x real time)');
for (const rate of [8000, 22050, 44100, 48000]) {
  const input = resampleAll(speech16k, 16000, rate);
  const chunk = Math.round(rate * 0.02);
  const ours = await measure(() => {
    const r = new StreamingResampler(rate);
    for (let i = 0; i < input.length; i += chunk) r.push(input.subarray(i, i + chunk));
    r.flush();
  });
  const theirs: number[] = [];
  for (const q of ['SRC_SINC_FASTEST', 'SRC_SINC_MEDIUM_QUALITY', 'SRC_SINC_BEST_QUALITY']) {
    theirs.push(
      await measure(async () => {
        const src = await create(1, rate, 16000, { converterType: ConverterType[q] });
        for (let i = 0; i < input.length; i += chunk) src.full(input.subarray(i, i + chunk));
        src.destroy();
      }),
    );
  }
  const x = (ms: number) => (seconds / (ms / 1000)).toFixed(0);
  console.log(String(rate).padEnd(12) + x(ours).padStart(10) + x(theirs[0]).padStart(14) + x(theirs[1]).padStart(13) + x(theirs[2]).padStart(11));
}
