/**
 * How should the server use the machine's cores? Measures, on real corpus audio:
 *   1. the per-stream costs in one thread (decode+resample, features, inference per window);
 *   2. a real server (spawned `undertone serve`) in three modes -- one process, one process with
 *      inference on a worker thread, and a node cluster of one process per core -- under
 *      (a) throughput: sessions streaming 48 kHz stereo s16le as fast as the server takes it, and
 *      (b) latency: many sessions streaming in real time (20 ms messages), per-label latency.
 * The load generator runs on the same machine and is the same for every mode.
 *
 *   npm run build && node dist/bench/serve-cores.js [--sessions 40,80,120] [--seconds 12] [--fast 16] [--modes single,thread,cluster]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { modelDir } from '../cli/paths.js';
import { decodeAudioFile } from '../core/audio/decode-file.js';
import { PcmDecoder } from '../core/audio/pcm.js';
import { StreamingResampler, resampleAll } from '../core/audio/resample.js';
import { EmotionModel } from '../core/model/emotion-model.js';
import { analyzerFor } from '../core/predict.js';
import { corpusFile, manifestRows } from '../test/corpora.js';
import { StreamClient } from '../server/testing/stream-client.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
// test/corpora.ts resolves ../shared/corpora from its own folder, which is dist/test here.
process.env.UNDERTONE_CORPORA ??= path.resolve(ROOT, '../shared/corpora');

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '40,80,120' },
    seconds: { type: 'string', default: '12' },
    fast: { type: 'string', default: '16' },
    modes: { type: 'string', default: 'single,thread,cluster' },
  },
});
const SESSIONS = String(values.sessions).split(',').map(Number);
const SECONDS = Number(values.seconds);
const FAST = Number(values.fast);
const CORES = availableParallelism();

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** `seconds` of corpus speech (files concatenated) at 16 kHz, and as 48 kHz stereo s16le bytes. */
async function audio(seconds: number): Promise<{ mono16k: Float32Array; s16le48kStereo: Buffer }> {
  const rows = manifestRows().filter((r) => r.durationS > 2.5);
  const parts: Float32Array[] = [];
  let total = 0;
  for (let i = 0; total < seconds * 16000; i += 37) {
    const s = await decodeAudioFile(corpusFile(rows[i % rows.length]));
    parts.push(s);
    total += s.length;
  }
  const mono16k = new Float32Array(seconds * 16000);
  let o = 0;
  for (const p of parts) {
    mono16k.set(p.subarray(0, Math.min(p.length, mono16k.length - o)), o);
    o += p.length;
    if (o >= mono16k.length) break;
  }
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
  const T = model.windowFrames;
  const D = model.dim;
  const rows: string[] = [];
  let perWindow = 0;
  for (const batch of [1, 8, 16, 64]) {
    const f = new Float32Array(batch * T * D).map(() => Math.random());
    const m = new Float32Array(batch * T).fill(1);
    for (let i = 0; i < 5; i++) await model.score(f, m, batch);
    const reps = Math.max(10, Math.round(400 / batch));
    const t = performance.now();
    for (let i = 0; i < reps; i++) await model.score(f, m, batch);
    const per = (performance.now() - t) / reps;
    if (batch === 16) perWindow = per / batch;
    rows.push(`batch ${batch}: ${per.toFixed(2)} ms/call (${((per / batch) * 1000).toFixed(0)} us/window)`);
  }
  await model.release();
  console.log(`\n1. Per-stream cost in one thread (${seconds} s of corpus speech, ${windows} windows, warmed up):`);
  console.log(`   decode + resample 48 kHz stereo s16le -> 16 kHz: ${decodeMs.toFixed(2)} ms per audio second`);
  console.log(`   features + windows (20 ms pushes):               ${featureMs.toFixed(2)} ms per audio second`);
  console.log(`   inference: ${rows.join('; ')}`);
  const share = perWindow / (decodeMs + featureMs + perWindow);
  console.log(`   => inference is ${(100 * share).toFixed(0)}% of a stream's compute; one core carries ~${Math.floor(1000 / (decodeMs + featureMs + perWindow))} real-time 48 kHz stereo streams before socket costs`);
}

interface Server {
  readonly child: ChildProcess;
  readonly port: number;
}

async function startServer(mode: string): Promise<Server> {
  const args = [CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--max-sessions', '10000', '--log-level', 'warn', '--idle-timeout', '120'];
  if (mode === 'cluster') args.push('--workers', String(CORES));
  else args.push('--workers', '1');
  if (mode === 'thread') args.push('--inference-thread');
  // warn level hides the "listening" line: ask for it at info and filter the rest.
  args[args.indexOf('warn')] = 'info';
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        const m = JSON.parse(line) as { msg?: string; port?: number; level?: string };
        if (m.msg === 'listening') resolve(m.port!);
        if (m.level === 'error' || m.level === 'fatal') process.stderr.write(line + '\n');
      } catch {
        /* not JSON */
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  for (;;) {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
    if (r?.status === 200) break;
    await new Promise((r2) => setTimeout(r2, 50));
  }
  return { child, port };
}

async function stopServer(s: Server): Promise<void> {
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

/** Server CPU seconds (all processes: the cluster aggregate sums workers) from /metrics. */
async function serverCpu(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = /^process_cpu_seconds_total (\S+)$/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

async function histogramTotals(port: number, name: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const sum = Number(new RegExp(`^${name}_sum (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  const count = Number(new RegExp(`^${name}_count (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { sum, count };
}

/** Cumulative bucket counts of a histogram, by upper bound (seconds). */
async function histogramBuckets(port: number, name: string): Promise<Map<number, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const buckets = new Map<number, number>();
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm'))) {
    buckets.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]));
  }
  return buckets;
}

/** Quantile q of the observations between two bucket snapshots, interpolated within its bucket (ms). */
function bucketQuantile(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  const target = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const b of bounds) {
    const count = (after.get(b) ?? 0) - (before.get(b) ?? 0);
    if (count >= target) {
      if (b === Infinity) return prevBound * 1000;
      return (prevBound + ((b - prevBound) * (target - prevCount)) / Math.max(1, count - prevCount)) * 1000;
    }
    prevBound = b;
    prevCount = count;
  }
  return NaN;
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
  const bytesPerSecond = 48000 * 4;
  const cpu0 = await serverCpu(port);
  const batch0 = await histogramTotals(port, 'undertone_inference_batch_size');
  const lat0 = await histogramBuckets(port, 'undertone_label_latency_seconds');
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
  const cpuS = (await serverCpu(port)) - cpu0;
  latencies.sort((a, b) => a - b);
  const batch1 = await histogramTotals(port, 'undertone_inference_batch_size');
  const meanBatch = (batch1.sum - batch0.sum) / (batch1.count - batch0.count);
  const lat1 = await histogramBuckets(port, 'undertone_label_latency_seconds');
  return {
    labels,
    voiced,
    expected: expectedPerSession * sessions,
    latencies,
    wallS,
    cpuS,
    meanBatch,
    serverP50: bucketQuantile(lat0, lat1, 0.5),
    serverP99: bucketQuantile(lat0, lat1, 0.99),
  };
}

async function main(): Promise<void> {
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
      await stopServer(server);
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
