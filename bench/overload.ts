/**
 * Admission under overload at default settings: `undertone serve` (default workers, no
 * --max-sessions, admission by measured headroom: --latency-target-ms) in a child process;
 * `--offered 3x` opens three times the ramp capacity of real-time clients at once, each streaming
 * real corpus speech at real time; a client refused with overloaded (1013) waits the server's
 * retryAfterMs and retries until the run ends, so the pressure stays. Prints: offered, admitted
 * (total and peak concurrent, and the peak as a share of the capacity), refusals with their
 * retryAfterMs range, labels received/expected by admitted sessions, their label latency
 * p50/p99/max (from sending the chunk that completes a second to receiving its label), admitted
 * sessions cut (not closed 1000 with every label), and the issue's targets beside them.
 *
 *   npm run bench:overload -- --offered 3x [--capacity N] [--seconds 30] [--workers N] [--hog] [--refusal close|http] [--warm-up S]
 *
 * --capacity: the ramp capacity of this machine (`npm run bench:load -- --ramp`); without it the
 * bench first runs that ramp against a server with admission off (--latency-target-ms 0).
 * --hog: a CPU hog on one core during the run (a `node -e "for(;;);"` child, pinned with
 * `taskset -c 0` when taskset exists), as a busy neighbour process would be.
 * --refusal http: the server runs with `--overload-refusal http` (refusals as HTTP 503 +
 * Retry-After instead of the handshake, an error message and close 1013); the clients read the
 * 503's JSON body for retryAfterMs and retry alike.
 * --warm-up S: before the burst, 8 real-time sessions stream for S seconds and end (JIT, WASM
 * and onnxruntime warm), so the burst meets a server that has served before; default 0: the burst
 * meets a server that has just become ready, as after a restart.
 * --cpu-prof DIR: the server's processes run under `node --cpu-prof` (profiles in DIR), and the
 * bench prints where their CPU went in the first 5 s of the burst beside 10 s to the end of it.
 * Figures are only meaningful on a quiet machine (docs/benchmarks.md: load average printed).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { concatFloat32 } from '../core/audio/concat.js';
import { decodeAudioFile } from '../core/audio/decode-file.js';
import { labelPoints } from '../core/model/window.js';
import { OVERLOAD_REFUSALS } from '../server/process/config.js';
import { ConfigError, decimal, integer, oneOf } from '../server/process/parsers.js';
import { HandshakeRefused, chunkBytes, streamChunks } from '../test/clients/stream-client.js';
import { corpusFile, manifestRows } from '../test/corpora.js';
import { s16leBytes } from '../test/harness.js';
import { startServer } from '../test/server-process.js';
import { MEASURE_SERVER_FLAGS, parseOrExit } from './lib/args.js';
import { AudioPool, corpusSpeech } from './lib/audio.js';
import { announceConditions } from './lib/machine.js';
import { formatSummary, summarizeProfiles } from './lib/cpu-profile.js';
import { bucketQuantile, type Samples, scrape, shareAtMost } from './lib/metrics.js';
import { ramp } from './lib/ramp.js';
import { runLoad } from './lib/load.js';

const { values } = parseArgs({
  options: {
    offered: { type: 'string', default: '3x' },
    capacity: { type: 'string' },
    seconds: { type: 'string', default: '30' },
    workers: { type: 'string' },
    hog: { type: 'boolean', default: false },
    refusal: { type: 'string', default: 'close' },
    'warm-up': { type: 'string', default: '0' },
    'cpu-prof': { type: 'string' },
  },
});
const offered = parseOrExit('bench:overload', () => {
  const text = String(values.offered);
  const m = /^(\d+(?:\.\d+)?)x$/.exec(text);
  if (m) return { factor: decimal(0.1, 100)(m[1], '--offered') };
  if (/^\d+$/.test(text)) return { count: integer(1, 100_000)(text, '--offered') };
  throw new ConfigError(`--offered must be a multiple of the capacity (3x) or a number of clients, got ${JSON.stringify(text)}`);
});
const givenCapacity = parseOrExit('bench:overload', () => (values.capacity === undefined ? undefined : integer(1, 100_000)(values.capacity, '--capacity')));
const seconds = parseOrExit('bench:overload', () => decimal(1, 86400)(String(values.seconds), '--seconds'));
const warmUpSeconds = parseOrExit('bench:overload', () => decimal(0, 600)(String(values['warm-up']), '--warm-up'));
const refusal = parseOrExit('bench:overload', () => oneOf(OVERLOAD_REFUSALS)(String(values.refusal), '--refusal'));
const workers = parseOrExit('bench:overload', () => (values.workers === undefined ? [] : ['--workers', String(integer(1, 256)(values.workers, '--workers'))]));

/** `seconds` of real speech (corpus files back to back) as 16 kHz s16le. */
async function speech(offset: number): Promise<Uint8Array> {
  const rows = manifestRows();
  const parts: Float32Array[] = [];
  for (let i = offset * 37, total = 0; total < seconds * 16000; i += 7) {
    const x = await decodeAudioFile(corpusFile(rows[i % rows.length]));
    parts.push(x);
    total += x.length;
  }
  return s16leBytes(concatFloat32(parts).subarray(0, seconds * 16000));
}

interface ClientResult {
  admitted: boolean;
  shed: number;
  retryHints: number[];
  expected: number;
  received: number;
  cut: boolean;
  latenciesMs: number[];
  /** performance.now() when each label arrived (beside latenciesMs). */
  arrivalsAt: number[];
  /** performance.now() when admitted (ready) and when closed. */
  span?: [number, number];
}

async function client(url: string, audio: Uint8Array, until: number): Promise<ClientResult> {
  const r: ClientResult = { admitted: false, shed: 0, retryHints: [], expected: 0, received: 0, cut: false, latenciesMs: [], arrivalsAt: [] };
  const start = { type: 'start', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 } as const;
  while (performance.now() < until) {
    const opened = performance.now();
    const run = await streamChunks(url, start, chunkBytes(audio, [640]), { bytesPerSecond: 32000, pace: 1 }).catch((e: unknown) => {
      if (e instanceof HandshakeRefused && e.status === 503) return e;
      throw e;
    });
    if (run instanceof HandshakeRefused) {
      // --refusal http: the same refusal, as HTTP 503 before the handshake.
      const hint = run.error?.retryAfterMs ?? (run.retryAfterSeconds ?? 1) * 1000;
      r.shed++;
      r.retryHints.push(hint);
      await new Promise((res) => setTimeout(res, hint));
      continue;
    }
    const error = run.client.error;
    if (error?.code === 'overloaded' && run.client.emotions.length === 0 && !run.client.messages.some((m) => m.type === 'ready')) {
      r.shed++;
      r.retryHints.push(error.retryAfterMs ?? Number.NaN);
      await new Promise((res) => setTimeout(res, error.retryAfterMs ?? 1000));
      continue;
    }
    r.admitted = true;
    r.span = [run.client.arrivals[0] ?? opened, performance.now()];
    r.expected = labelPoints(audio.length / 2).length;
    const emotions = run.client.messages.map((m, i) => ({ m, at: run.client.arrivals[i] })).filter((x) => x.m.type === 'emotion');
    r.received = emotions.length;
    r.cut = run.closed.code !== 1000 || r.received !== r.expected || error !== undefined;
    for (const { m, at } of emotions) {
      const second = (m as { second: number }).second;
      if (second <= run.secondSentAt.length) {
        r.latenciesMs.push(at - run.secondSentAt[second - 1]);
        r.arrivalsAt.push(at);
      }
    }
    break;
  }
  return r;
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/** Most admitted sessions open at once. */
function peakConcurrent(spans: [number, number][]): number {
  const edges = spans.flatMap(([a, b]) => [
    [a, 1],
    [b, -1],
  ]);
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let open = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (open += d));
  return peak;
}

/** The ramp capacity of this machine: largest number of real-time streams at p99 <= 100 ms with every label, admission off. */
async function measureCapacity(): Promise<number> {
  const server = await startServer([...workers, ...MEASURE_SERVER_FLAGS], { showErrors: true });
  try {
    const pool = AudioPool.build(await corpusSpeech(70), 'pcm_s16le', 20);
    const r = await ramp(server, pool, { start: 10, seconds: 10, p99BoundMs: 100 });
    return r.held;
  } finally {
    await server.stop();
  }
}

function startHog(): ChildProcess {
  const pin = spawnSync('taskset', ['--version']).status === 0;
  const args = ['-e', 'for(;;);'];
  return pin ? spawn('taskset', ['-c', '0', process.execPath, ...args], { stdio: 'ignore' }) : spawn(process.execPath, args, { stdio: 'ignore' });
}

announceConditions();
const capacity = givenCapacity ?? (await measureCapacity());
const clients = offered.count ?? Math.max(1, Math.round(capacity * (offered.factor ?? 3)));
const profileDir = values['cpu-prof'];
if (profileDir) mkdirSync(profileDir, { recursive: true });
// Profiles already in DIR (an earlier run's) are left out of this run's summary.
const earlierProfiles = new Set(profileDir ? readdirSync(profileDir) : []);
const server = await startServer([...workers, '--overload-refusal', refusal, '--log-level', 'warn'], {
  showErrors: true,
  ...(profileDir ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] } : {}),
});
let began = Number.NaN;
let until = Number.NaN;
const hog = values.hog ? startHog() : undefined;
try {
  if (warmUpSeconds > 0) {
    const warm = await runLoad(server, AudioPool.build(await corpusSpeech(warmUpSeconds + 10), 'pcm_s16le', 20), { streams: 8, seconds: warmUpSeconds });
    console.log(`warm-up: 8 sessions x ${warmUpSeconds} s before the burst (p99 ${warm.latency.p99.toFixed(1)} ms, ${warm.received}/${warm.expected} labels)`);
  }
  const audios = await Promise.all(Array.from({ length: Math.min(8, clients) }, (_, i) => speech(i)));
  console.log(
    `undertone serve ${workers.join(' ') || '(default workers)'} at default settings (admission by measured headroom; refusals ${refusal === 'http' ? 'as HTTP 503 before the handshake' : 'as error + close 1013'}); capacity ${capacity}${givenCapacity ? ' (given)' : ' (ramp)'}; ${clients} clients offered at once (${values.offered}), each ${seconds} s of corpus speech at real time (20 ms chunks)${hog ? `; CPU hog pid ${hog.pid} on one core` : ''}\n`,
  );
  // The server's histograms before the burst and 5 s into it: its own view of the opening
  // seconds apart from the rest (the generator's clock holds its own loop delay too).
  const beforeBurst = await scrape(server.http);
  began = performance.now();
  until = began + seconds * 1000;
  // Settles either way (a failed scrape is printed as n/a), so nothing is left rejected unawaited.
  const fiveSecondsIn = new Promise<Samples | undefined>((resolve) => setTimeout(() => scrape(server.http).then(resolve, () => resolve(undefined)), 5000));
  // The generator's own event-loop delay: a label that arrives while this loop is busy is
  // timestamped late, so the client-side latency holds the generator's delay too.
  const generatorLoop = monitorEventLoopDelay({ resolution: 10 });
  generatorLoop.enable();
  const results = await Promise.all(Array.from({ length: clients }, (_, i) => client(server.url, audios[i % audios.length], until)));
  const admitted = results.filter((r) => r.admitted);
  const lat = admitted.flatMap((r) => r.latenciesMs);
  const hints = results.flatMap((r) => r.retryHints);
  const peak = peakConcurrent(admitted.map((r) => r.span!));
  const cut = admitted.filter((r) => r.cut).length;
  const p99 = pct(lat, 99);
  console.log('offered  admitted  peak  peak/capacity  refusals  retryAfterMs  labels rcvd/exp  p50 ms  p99 ms  max ms  cut');
  console.log(
    [
      String(clients).padStart(7),
      String(admitted.length).padStart(9),
      String(peak).padStart(5),
      `${((100 * peak) / capacity).toFixed(0)} %`.padStart(14),
      String(results.reduce((s, r) => s + r.shed, 0)).padStart(9),
      (hints.length ? `${Math.min(...hints)}-${Math.max(...hints)}` : '-').padStart(13),
      `${admitted.reduce((s, r) => s + r.received, 0)}/${admitted.reduce((s, r) => s + r.expected, 0)}`.padStart(16),
      pct(lat, 50).toFixed(1).padStart(7),
      p99.toFixed(1).padStart(7),
      (lat.length ? Math.max(...lat) : Number.NaN).toFixed(1).padStart(7),
      String(cut).padStart(4),
    ].join(' '),
  );
  // Where the tail is: p99 of the labels that arrived in each 5 s of the run (a connect storm at
  // the start shows in the first bucket only; a process admitted past its capacity in all).
  const buckets = new Map<number, number[]>();
  for (const r of admitted) r.arrivalsAt.forEach((at, k) => {
    const b = Math.floor((at - began) / 5000);
    if (!buckets.has(b)) buckets.set(b, []);
    buckets.get(b)!.push(r.latenciesMs[k]);
  });
  console.log(`label latency p99 by 5 s of the run: ${[...buckets.keys()].sort((a, b) => a - b).map((b) => `${b * 5}-${b * 5 + 5} s ${pct(buckets.get(b)!, 99).toFixed(0)} ms (${buckets.get(b)!.length})`).join(', ')}`);
  console.log(
    `\ntargets (issue 12): p99 < 100 ms: ${p99 < 100 ? 'met' : 'NOT met'}; peak admitted >= 80 % of capacity: ${peak >= 0.8 * capacity ? 'met' : 'NOT met'}; nothing admitted cut: ${cut === 0 ? 'met' : 'NOT met'}`,
  );
  generatorLoop.disable();
  // Who holds the tail: the server's view of the same labels (from reading the audio that
  // completes a second to sending its label; its loop lag stands for the wait before reading)
  // beside the generator's loop delay.
  const metrics = await scrape(server.http);
  const opening = await fiveSecondsIn;
  const serverP99 = (a: Samples | undefined, b: Samples | undefined) => (a && b ? bucketQuantile(a, b, 'undertone_label_latency_seconds', 0.99).toFixed(0) : 'n/a');
  console.log(`server view by time: label latency p99 ${serverP99(beforeBurst, opening)} ms in the first 5 s, ${serverP99(opening, metrics)} ms after (its histogram between scrapes, interpolated within buckets)`);
  const within = (name: string, le: number): string => {
    const share = shareAtMost(metrics, name, le);
    return share === undefined ? 'n/a' : `${(100 * share).toFixed(1)} %`;
  };
  console.log(
    `server view: labels sent within 100 ms of reading their audio ${within('undertone_label_latency_seconds', 0.1)}, within 50 ms ${within('undertone_label_latency_seconds', 0.05)}; ` +
      `event-loop lag samples within 50 ms ${within('undertone_event_loop_lag_seconds', 0.05)}, within 100 ms ${within('undertone_event_loop_lag_seconds', 0.1)}; ` +
      `windows that waited for inference at most 50 ms ${within('undertone_inference_queue_wait_seconds', 0.05)}, at most 100 ms ${within('undertone_inference_queue_wait_seconds', 0.1)}`,
  );
  console.log(
    `generator view: its own event-loop delay p50 ${(generatorLoop.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(generatorLoop.percentile(99) / 1e6).toFixed(1)} ms, max ${(generatorLoop.max / 1e6).toFixed(1)} ms (added to every label it timestamps)`,
  );
  for (const limit of ['latency', 'utilization', 'pace', 'queue', 'lag', 'sessions']) {
    const key = `undertone_sessions_shed_total{limit="${limit}"}`;
    console.log(`server: ${key} = ${metrics.get(key) ?? 0}`);
  }
} finally {
  hog?.kill('SIGKILL');
  console.log(`server exit after SIGTERM: ${await server.stop()}`);
}
if (profileDir) {
  // Windows in ms before each profile's end (its process's exit, just before this instant).
  const exitAt = performance.now();
  const files = readdirSync(profileDir)
    .filter((f) => f.endsWith('.cpuprofile') && !earlierProfiles.has(f))
    .map((f) => path.join(profileDir, f));
  console.log(`\nserver CPU (${files.length} profile(s) in ${profileDir}), the first 5 s of the burst:`);
  console.log(formatSummary(summarizeProfiles(files, { fromMsBeforeEnd: exitAt - began, toMsBeforeEnd: exitAt - (began + 5000) })));
  if (seconds > 10) {
    console.log(`\nserver CPU from 10 s to the end of the burst (${(seconds - 10).toFixed(0)} s):`);
    console.log(formatSummary(summarizeProfiles(files, { fromMsBeforeEnd: exitAt - (began + 10_000), toMsBeforeEnd: exitAt - until })));
  }
}
