/**
 * Batch analysis throughput (issue 16): `undertone predict`'s batch path over real files, as x
 * real time (seconds of audio analysed per second of wall time, model loading and worker start
 * included), one process (--jobs 1, this thread) beside the worker pool (--jobs N) in the same
 * run, and whether the two gave identical results.
 *
 *   npm run bench:batch [-- --files 400 --jobs 2]             corpus clips as they are (Ogg Opus, ~3 s)
 *   npm run bench:batch -- --files 20 --call-seconds 120      20 two-minute "calls": clips joined into 16 kHz WAVs
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Analyser, LocalAnalyser, WorkerPool } from '../cli/batch/analysers.js';
import { runBatch } from '../cli/batch/run.js';
import { bandModels } from '../cli/models.js';
import { modelDir } from '../server/process/paths.js';
import { encodeWav } from '../core/audio/wav.js';
import { corpusFile, manifestRows } from '../test/corpora.js';
import { corpusSpeech } from './lib/audio.js';
import { announceConditions, ownCpuSeconds } from './lib/machine.js';

const { values } = parseArgs({
  options: { files: { type: 'string', default: '400' }, jobs: { type: 'string' }, 'call-seconds': { type: 'string' } },
});
function positive(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`bench:batch: --${flag} must be a positive integer, got ${JSON.stringify(text)}\n`);
    process.exit(2);
  }
  return n;
}
const count = positive('files', values.files, 400);
const jobs = positive('jobs', values.jobs, availableParallelism());
const callSeconds = values['call-seconds'] === undefined ? undefined : positive('call-seconds', values['call-seconds'], 0);

announceConditions();
const tmp = mkdtempSync(path.join(tmpdir(), 'undertone-bench-batch-'));
try {
  let files: string[];
  if (callSeconds) {
    const speech = await corpusSpeech(count * callSeconds);
    files = Array.from({ length: count }, (_, i) => {
      const f = path.join(tmp, `call-${i}.wav`);
      writeFileSync(f, encodeWav(speech.subarray(i * callSeconds * 16000, (i + 1) * callSeconds * 16000), 16000));
      return f;
    });
    console.log(`input: ${count} calls of ${callSeconds} s (corpus clips joined, 16 kHz 16-bit WAV)`);
  } else {
    const rows = manifestRows();
    files = Array.from({ length: count }, (_, i) => corpusFile(rows[Math.floor((i * rows.length) / count)]));
    console.log(`input: ${count} corpus clips spread over the manifest (Ogg Opus)`);
  }

  const setup = { models: bandModels(modelDir()), splitChannels: false, summary: false };
  // CPU time of the whole process (every thread), beside wall time: on a shared machine the wall
  // figure measures the contention, the CPU figure what the work costs.
  const measure = async (name: string, make: () => Promise<Analyser>) => {
    const cpu0 = ownCpuSeconds();
    const t0 = performance.now();
    const analyser = await make();
    const results: string[] = [];
    const totals = await runBatch(analyser, files, { onResult: (a) => results.push(JSON.stringify(a)), onFailure: (m) => results.push(m) });
    await analyser.close();
    const wall = (performance.now() - t0) / 1000;
    return { name, wall, cpu: ownCpuSeconds() - cpu0, audio: totals.audioSeconds, failed: totals.failed, results };
  };
  const one = await measure('one process (--jobs 1)', () => LocalAnalyser.create(setup));
  const pool = await measure(`worker threads (--jobs ${jobs})`, async () => new WorkerPool(setup, jobs));
  console.log('path                          files   audio s    wall s   x real time    CPU s   audio s per CPU s');
  for (const r of [one, pool]) {
    console.log(
      `${r.name.padEnd(28)} ${String(files.length).padStart(6)} ${r.audio.toFixed(1).padStart(9)} ${r.wall.toFixed(2).padStart(9)} ${(r.audio / r.wall).toFixed(0).padStart(13)} ${r.cpu.toFixed(2).padStart(8)} ${(r.audio / r.cpu).toFixed(0).padStart(19)}`,
    );
  }
  const same = one.results.length === pool.results.length && one.results.every((r, i) => r === pool.results[i]);
  console.log(`speed-up of --jobs ${jobs} over one process: ${(one.wall / pool.wall).toFixed(2)}x; results identical: ${same ? 'yes' : 'NO'}; failed files: ${one.failed} and ${pool.failed}`);
  const firstFailure = [...one.results, ...pool.results].find((r) => !r.startsWith('{'));
  if (firstFailure) console.log(`first failure: ${firstFailure}`);
  if (!same || one.failed + pool.failed > 0) process.exitCode = 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
