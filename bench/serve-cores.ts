/**
 * How should the server use the machine's cores? Measures, on real corpus audio:
 *   1. the per-stream costs in one thread (decode+resample, features, inference per window);
 *   2. a real server (spawned `undertone serve`) in three modes -- one process, one process with
 *      inference on a worker thread, and a node cluster of one process per core -- under
 *      (a) throughput: sessions streaming 48 kHz stereo s16le as fast as the server takes it, and
 *      (b) latency: many sessions streaming in real time (20 ms messages), per-label latency.
 * The load generator runs on the same machine and is the same for every mode.
 *
 *   npm run build && npm run bench:serve-cores -- [--sessions 40,80,120] [--seconds 12] [--fast 16] [--modes single,thread,cluster]
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { modelDir } from '../server/process/paths.js';
import { PcmDecoder } from '../core/audio/pcm.js';
import { StreamingResampler, resampleAll } from '../core/audio/resample.js';
import { EmotionModel } from '../core/model/emotion-model.js';
import { analyzerFor } from '../core/predict.js';
import { StreamClient } from '../test/clients/stream-client.js';
import { corpusSpeech } from './lib/audio.js';
import { timeBatches } from './lib/inference.js';
import { announceConditions } from './lib/machine.js';
import { bucketQuantile, histogramMean, scrape, total } from './lib/metrics.js';
import { type ServerProcess, startServer as startServerProcess } from '../test/server-process.js';
import { quantile } from './lib/stats.js';
import { decimal, integer, integers } from '../server/process/parsers.js';
import { parseOrExit } from './lib/args.js';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '40,80,120' },
    seconds: { type: 'string', default: '12' },
    fast: { type: 'string', default: '16' },
    modes: { type: 'string', default: 'single,thread,cluster' },
  },
});
const SESSIONS = parseOrExit('bench:serve-cores', () => integers(1, 100_000)(String(values.sessions), '--sessions'));
const SECONDS = parseOrExit('bench:serve-cores', () => decimal(1, 86400)(String(values.seconds), '--seconds'));
const FAST = parseOrExit('bench:serve-cores', () => integer(0, 100_000)(String(values.fast), '--fast'));
const CORES = availableParallelism();

/** `seconds` of corpus speech (files concatenated) at 16 kHz, and as 48 kHz stereo s16le bytes. */
async function audio(seconds: number): Promise<{ mono16k: Float32Array; s16le48kStereo: Buffer }> {
  const mono16k = await corpusSpeech(seconds);
  const mono48 = resampleAll(mono16k, 16000, 48000);
  const buf = Buffer.alloc(mono48.length * 4);
  for (let i = 0; i < mono48.length; i++) {
    const v = Math.max(-32768, Math.min(32767, Math.round(mono48[i] * 32767)));
    buf.writeInt16LE(v, 4 * i);
    buf.writeInt16LE(Math.round(v * 0.7), 4 * i + 2);
  }
  return { mono16k, s16le48kStereo: buf };
}

/** Decode+resample and features of the whole signal in 20 ms pushes; ms per audio second of each. */
function pipelineCost(model: EmotionModel, mono16k: Float32Array, pcm: Buffer): { decodeMs: number; featureMs: number; windows: number } {
  const seconds = mono16k.length / 16000;
  const chunk = 3840; // 20 ms of 48 kHz stereo s16le
  const t0 = performance.now();
  const dec = new PcmDecoder('pcm_s16le', 2);
  const rs = new StreamingResampler(48000, 16000);
  for (let o = 0; o < pcm.length; o += chunk) rs.push(dec.push(pcm.subarray(o, o + chunk)));
  const decodeMs = (performance.now() - t0) / seconds;
  const analyzer = analyzerFor(model.metadata);
  const t1 = performance.now();
  let windows = 0;
  for (let o = 0; o < mono16k.length; o += 320) windows += analyzer.push(mono16k.subarray(o, o + 320)).length;
  const featureMs = (performance.now() - t1) / seconds;
  return { decodeMs, featureMs, windows };
}

async function microCosts(mono16k: Float32Array, pcm: Buffer): Promise<void> {
  const seconds = mono16k.length / 16000;
  const model = await EmotionModel.load(modelDir());
  pipelineCost(model, mono16k, pcm); // warm-up (JIT)
  const { decodeMs, featureMs, windows } = pipelineCost(model, mono16k, pcm);
  const timings = await timeBatches(model, [1, 8, 16, 64]);
  const rows = timings.map((t) => `batch ${t.batch}: ${t.msPerCall.toFixed(2)} ms/call (${t.usPerWindow.toFixed(0)} us/window)`);
  const perWindow = timings.find((t) => t.batch === 16)!.usPerWindow / 1000;
  await model.release();
  console.log(`\n1. Per-stream cost in one thread (${seconds} s of corpus speech, ${windows} windows, warmed up):`);
  console.log(`   decode + resample 48 kHz stereo s16le -> 16 kHz: ${decodeMs.toFixed(2)} ms per audio second`);
  console.log(`   features + windows (20 ms pushes):               ${featureMs.toFixed(2)} ms per audio second`);
  console.log(`   inference: ${rows.join('; ')}`);
  const share = perWindow / (decodeMs + featureMs + perWindow);
  console.log(`   => inference is ${(100 * share).toFixed(0)}% of a stream's compute; one core carries ~${Math.floor(1000 / (decodeMs + featureMs + perWindow))} real-time 48 kHz stereo streams before socket costs`);
}

async function startServer(mode: string): Promise<ServerProcess> {
  const args = ['--max-sessions', '10000', '--idle-timeout', '120', '--workers', mode === 'cluster' ? String(CORES) : '1'];
  if (mode === 'thread') args.push('--inference-thread');
  return startServerProcess(args, { showErrors: true });
}

interface Result {
  readonly labels: number;
  readonly voiced: number;
  readonly expected: number;
  readonly latencies: number[];
  readonly wallS: number;
  readonly cpuS: number;
  readonly meanBatch: number;
  /** Server-measured label latency (from the histogram), ms. */
  readonly serverP50: number;
  readonly serverP99: number;
}

/**
 * `sessions` clients each stream `pcm` (48 kHz stereo s16le) in `chunk`-byte messages, real time
 * (pace 1, start times spread over one second) or as fast as the server reads (pace 0).
 */
async function load(port: number, sessions: number, pcm: Buffer, chunk: number, pace: number): Promise<Result> {
  const url = `ws://127.0.0.1:${port}/v1/stream`;
  const http = `http://127.0.0.1:${port}`;
  const bytesPerSecond = 48000 * 4;
  const before = await scrape(http);
  const latencies: number[] = [];
  let labels = 0;
  let voiced = 0;
  const expectedPerSession = Math.floor(pcm.length / bytesPerSecond) + (pcm.length % bytesPerSecond ? 1 : 0);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: sessions }, async (_, i) => {
      if (pace > 0) await new Promise((r) => setTimeout(r, (i / sessions) * 1000));
      const c = await StreamClient.connect(url);
      c.sendJson({ type: 'start', encoding: 'pcm_s16le', sampleRate: 48000, channels: 2 });
      await c.next('ready');
      const sentAt: number[] = [];
      const start = performance.now();
      for (let o = 0, k = 0; o < pcm.length; o += chunk, k++) {
        if (pace > 0) {
          const wait = start + (k * chunk * 1000) / bytesPerSecond / pace - performance.now();
          if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        }
        const end = Math.min(pcm.length, o + chunk);
        await c.sendBinary(pcm.subarray(o, end));
        const now = performance.now();
        while (sentAt.length < Math.floor(end / bytesPerSecond)) sentAt.push(now);
      }
      c.sendJson({ type: 'stop' });
      await c.closed;
      const emotions = c.emotions;
      labels += emotions.length;
      voiced += emotions.filter((e) => e.voiced).length;
      c.messages.forEach((m, j) => {
        if (m.type === 'emotion' && m.second <= sentAt.length) latencies.push(c.arrivals[j] - sentAt[m.second - 1]);
      });
    }),
  );
  const wallS = (performance.now() - t0) / 1000;
  const after = await scrape(http);
  const cpuS = total(after, 'process_cpu_seconds_total') - total(before, 'process_cpu_seconds_total');
  latencies.sort((a, b) => a - b);
  const meanBatch = histogramMean(before, after, 'undertone_inference_batch_size');
  return {
    labels,
    voiced,
    expected: expectedPerSession * sessions,
    latencies,
    wallS,
    cpuS,
    meanBatch,
    serverP50: bucketQuantile(before, after, 'undertone_label_latency_seconds', 0.5),
    serverP99: bucketQuantile(before, after, 'undertone_label_latency_seconds', 0.99),
  };
}

async function main(): Promise<void> {
  announceConditions();
  console.log(`serve-cores: ${CORES} cores, node ${process.version}, model ${modelDir()}`);
  const { mono16k, s16le48kStereo } = await audio(SECONDS);
  await microCosts(mono16k, s16le48kStereo);
  const modes = String(values.modes).split(',');
  const fast: Record<string, Result> = {};
  const live: Record<string, Record<number, Result>> = {};
  for (const mode of modes) {
    const server = await startServer(mode);
    try {
      // Warm-up (JIT, WASM, onnxruntime): a few sessions, results dropped.
      await load(server.port, 4, s16le48kStereo.subarray(0, 48000 * 4 * 3), 19200, 0);
      process.stderr.write(`[${mode}] throughput...\n`);
      fast[mode] = await load(server.port, FAST, s16le48kStereo, 19200, 0);
      live[mode] = {};
      for (const n of SESSIONS) {
        process.stderr.write(`[${mode}] ${n} real-time sessions...\n`);
        live[mode][n] = await load(server.port, n, s16le48kStereo, 3840, 1);
      }
    } finally {
      await server.stop();
    }
  }
  const audioS = SECONDS;
  console.log(`\n2a. Throughput: ${FAST} sessions x ${audioS} s of 48 kHz stereo s16le, 100 ms messages, as fast as possible`);
  console.log('   mode      wall s   audio s/wall s   server CPU s   CPU ms/audio s   labels');
  for (const [mode, r] of Object.entries(fast)) {
    const a = FAST * audioS;
    console.log(
      `   ${mode.padEnd(8)} ${r.wallS.toFixed(2).padStart(7)} ${(a / r.wallS).toFixed(0).padStart(15)} ${r.cpuS.toFixed(2).padStart(14)} ${((r.cpuS * 1000) / a).toFixed(2).padStart(16)}   ${r.labels}/${r.expected}`,
    );
  }
  console.log(`\n2b. Latency: real-time sessions x ${audioS} s of 48 kHz stereo s16le, 20 ms messages, starts spread over 1 s`);
  console.log('   (client-measured: chunk completing a second sent -> its label received; server-measured: from the histogram)');
  const any = Object.values(Object.values(live)[0] ?? {})[0];
  if (any) console.log(`   ${any.voiced} of ${any.labels} labels voiced per run at the first load (silent seconds need no inference)`);
  console.log('   mode      sessions   p50 ms   p95 ms   p99 ms   max ms   server p50/p99 ms   mean batch   server CPU %   labels');
  for (const [mode, byCount] of Object.entries(live)) {
    for (const [n, r] of Object.entries(byCount)) {
      const q = (x: number): string => quantile(r.latencies, x).toFixed(1).padStart(7);
      console.log(
        `   ${mode.padEnd(8)} ${n.padStart(9)} ${q(0.5)}  ${q(0.95)}  ${q(0.99)}  ${r.latencies[r.latencies.length - 1].toFixed(1).padStart(7)}   ${`${r.serverP50.toFixed(1)}/${r.serverP99.toFixed(1)}`.padStart(17)}   ${r.meanBatch.toFixed(1).padStart(10)}   ${((100 * r.cpuS) / r.wallS).toFixed(0).padStart(12)}   ${r.labels}/${r.expected}`,
      );
    }
  }
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exitCode = 1;
});
