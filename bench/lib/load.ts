/**
 * The load generator: N concurrent sessions, each sending real corpus audio at real-time pace
 * (one shared timer sends every message that is due, so pacing costs the generator little),
 * measuring for every label the time from the write of the last byte of second k (the send
 * callback of the message completing it) to the arrival of label k. Also counts late (> 1 s)
 * and missing labels, errors and abnormal closes, and reads the server's CPU and memory from
 * /metrics (and from /proc when the bench started the server).
 */
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import type { ServerMessage } from '../../core/protocol/index.js';
import type { AudioPool, SessionAudio } from './audio.js';
import { openAndAwaitClose, terminateUnclosed } from './client-run.js';
import { ownCpuSeconds } from './machine.js';
import { type Samples, bucketQuantile, histogramMean, scrape, total } from './metrics.js';
import { processTree } from './machine.js';
import { type Summary, summarize } from './stats.js';

export interface LoadTarget {
  /** ws://host:port/v1/stream */
  readonly url: string;
  /** http://host:port, for /metrics. */
  readonly http: string;
  /** The server's pid when the bench started it (CPU and RSS of its process tree from /proc). */
  readonly pid?: number;
}

export interface LoadOptions {
  readonly streams: number;
  readonly seconds: number;
  /** Session starts are spread evenly over this long (ms), as real clients arrive. */
  readonly rampUpMs?: number;
  /** Give up on a session this long after its audio ended (ms). */
  readonly closeTimeoutMs?: number;
}

export interface LoadResult {
  readonly streams: number;
  readonly seconds: number;
  readonly encoding: string;
  readonly frameMs: number;
  readonly latency: Summary;
  readonly expected: number;
  readonly received: number;
  readonly missing: number;
  readonly late: number;
  readonly voiced: number;
  /** Error messages by code, abnormal closes (`close <code>`) and connect failures (`connect`). */
  readonly errors: Record<string, number>;
  readonly errorCount: number;
  readonly wallS: number;
  /** Server CPU as % of one core, from /metrics (summed over cluster workers); RSS (MB) at the end (/metrics), peak from /proc when the pid is known. */
  readonly serverCpuPct: number;
  readonly serverRssMb: number;
  /** The same from /proc over the server's process tree (primary included), when its pid is known. */
  readonly treeCpuPct?: number;
  readonly treeRssMb?: number;
  /** The root of that tree alone (% of one core): in cluster mode the primary (bus hub, metrics aggregation). */
  readonly primaryCpuPct?: number;
  readonly generatorCpuPct: number;
  /**
   * Server CPU per stream-second of audio (ms), fixed costs included (event-loop lag sampler,
   * timers, the bench's own /metrics scrapes, the cluster primary: over the process tree when the
   * pid is known), so it overstates a stream's cost at small N; the ramp fits the marginal cost
   * over its steps (see marginalCpu).
   */
  readonly cpuMsPerStreamSecond: number;
  /** The server's own label-latency histogram over the run (ms). */
  readonly serverP50: number;
  readonly serverP99: number;
  readonly meanBatch: number;
}

interface Stream {
  readonly audio: SessionAudio;
  readonly ws: WebSocket;
  startAt: number;
  next: number;
  ready: boolean;
  done: boolean;
  /** performance.now() when the message completing second k was written (index k-1). */
  readonly secondSent: number[];
  readonly labelAt: Map<number, number>;
  voiced: number;
  readonly closed: Promise<void>;
}

export async function runLoad(target: LoadTarget, pool: AudioPool, options: LoadOptions): Promise<LoadResult> {
  const { streams: n, seconds } = options;
  const rampUpMs = options.rampUpMs ?? 1000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 30_000;
  const errors: Record<string, number> = {};
  const bump = (key: string): void => void (errors[key] = (errors[key] ?? 0) + 1);

  const before: Samples = await scrape(target.http);
  const tree0 = target.pid ? processTree(target.pid) : undefined;
  const gen0 = ownCpuSeconds();
  let peakRss = 0;
  let peakTreeRss = 0;
  // Peak memory: from /proc when the server is ours (costs the server nothing); else a /metrics
  // scrape every 5 s (a scrape is work for the server, and in cluster mode for every worker).
  const sampleMemory = async (): Promise<void> => {
    if (target.pid) {
      peakTreeRss = Math.max(peakTreeRss, processTree(target.pid).rssBytes);
      return;
    }
    const s = await scrape(target.http).catch(() => undefined);
    if (s) peakRss = Math.max(peakRss, total(s, 'process_resident_memory_bytes'));
  };
  const memoryTimer = setInterval(() => void sampleMemory(), target.pid ? 1000 : 5000);
  const t0 = performance.now();

  const all: Stream[] = [];
  const open = (i: number): Promise<void> =>
    new Promise<void>((resolveOpen) => {
      const audio = pool.session(i * 7, seconds);
      const ws = new WebSocket(target.url, { perMessageDeflate: false });
      let resolveClosed!: () => void;
      const stream: Stream = {
        audio,
        ws,
        startAt: Infinity,
        next: 0,
        ready: false,
        done: false,
        secondSent: [],
        labelAt: new Map(),
        voiced: 0,
        closed: new Promise<void>((r) => (resolveClosed = r)),
      };
      all.push(stream);
      ws.on('open', () => {
        ws.send(JSON.stringify(audio.start));
        resolveOpen();
      });
      ws.on('error', () => undefined);
      ws.on('unexpected-response', (_req, res) => {
        bump(`connect HTTP ${res.statusCode}`);
        resolveOpen();
      });
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const m = JSON.parse(data.toString()) as ServerMessage;
        if (m.type === 'ready') {
          stream.ready = true;
          stream.startAt = performance.now();
        } else if (m.type === 'emotion') {
          if (!stream.labelAt.has(m.second)) stream.labelAt.set(m.second, performance.now());
          if (m.voiced) stream.voiced++;
        } else if (m.type === 'error') bump(m.code);
      });
      ws.on('close', (code) => {
        if (code !== 1000) bump(`close ${code}`);
        stream.done = true;
        resolveOpen();
        resolveClosed();
      });
    });

  // One timer sends every due message of every session (a tick is at most a quarter frame).
  const tickMs = Math.max(1, Math.min(5, pool.frameMs / 4));
  let ticking = true;
  const tick = (): void => {
    const now = performance.now();
    for (const s of all) {
      if (!s.ready || s.done || s.next >= s.audio.messages.length) continue;
      while (s.next < s.audio.messages.length && now >= s.startAt + s.next * s.audio.frameMs) {
        const i = s.next++;
        const completes = s.audio.secondEnds.indexOf(i);
        if (s.ws.readyState !== WebSocket.OPEN) break;
        s.ws.send(s.audio.messages[i], { binary: true }, completes < 0 ? undefined : () => (s.secondSent[completes] = performance.now()));
        if (s.next === s.audio.messages.length) s.ws.send(JSON.stringify({ type: 'stop' }));
      }
    }
    if (ticking) setTimeout(tick, tickMs);
  };
  tick();

  await openAndAwaitClose(n, rampUpMs, open, all, seconds * 1000 + rampUpMs + closeTimeoutMs);
  ticking = false;
  terminateUnclosed(all, bump);
  clearInterval(memoryTimer);
  const wallS = (performance.now() - t0) / 1000;
  const generatorCpuPct = (100 * (ownCpuSeconds() - gen0)) / wallS;
  await sampleMemory();
  const after = await scrape(target.http);
  peakRss = Math.max(peakRss, total(after, 'process_resident_memory_bytes'));
  const tree1 = target.pid ? processTree(target.pid) : undefined;

  const latencies: number[] = [];
  let received = 0;
  let voiced = 0;
  for (const s of all) {
    voiced += s.voiced;
    for (let k = 1; k <= seconds; k++) {
      const at = s.labelAt.get(k);
      const sent = s.secondSent[k - 1];
      if (at === undefined) continue;
      received++;
      if (sent !== undefined) latencies.push(at - sent);
    }
  }
  const latency = summarize(latencies);
  const expected = n * seconds;
  const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
  return {
    streams: n,
    seconds,
    encoding: pool.encoding,
    frameMs: pool.frameMs,
    latency,
    expected,
    received,
    missing: expected - received,
    late: latencies.filter((x) => x > 1000).length,
    voiced,
    errors,
    errorCount,
    wallS,
    serverCpuPct: (100 * (total(after, 'process_cpu_seconds_total') - total(before, 'process_cpu_seconds_total'))) / wallS,
    serverRssMb: peakRss / 2 ** 20,
    ...(tree0 && tree1 ? { treeCpuPct: (100 * (tree1.cpuS - tree0.cpuS)) / wallS, treeRssMb: peakTreeRss / 2 ** 20 } : {}),
    ...(tree0 && tree1 && tree1.processes > 1 ? { primaryCpuPct: (100 * (tree1.rootCpuS - tree0.rootCpuS)) / wallS } : {}),
    generatorCpuPct,
    // The process tree when the bench started the server: the cluster primary's CPU is a fixed cost too.
    cpuMsPerStreamSecond: ((tree0 && tree1 ? tree1.cpuS - tree0.cpuS : total(after, 'process_cpu_seconds_total') - total(before, 'process_cpu_seconds_total')) * 1000) / (n * seconds),
    serverP50: bucketQuantile(before, after, 'undertone_label_latency_seconds', 0.5),
    serverP99: bucketQuantile(before, after, 'undertone_label_latency_seconds', 0.99),
    meanBatch: histogramMean(before, after, 'undertone_inference_batch_size'),
  };
}

/** Whether a run held: p99 within the bound, no label missing, no error. */
export function held(r: LoadResult, p99BoundMs: number): boolean {
  return r.missing === 0 && r.errorCount === 0 && r.latency.p99 <= p99BoundMs;
}

export function formatResult(r: LoadResult): string {
  const f = (x: number | undefined, d = 0): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
  const errors = Object.entries(r.errors).map(([k, v]) => `${k} x${v}`).join(', ') || 'none';
  return [
    `${r.streams} streams x ${r.seconds} s, ${r.encoding}, ${r.frameMs} ms messages (wall ${r.wallS.toFixed(1)} s)`,
    `  label latency ms (last byte of second k sent -> label k received): p50 ${f(r.latency.p50, 1)}  p95 ${f(r.latency.p95, 1)}  p99 ${f(r.latency.p99, 1)}  max ${f(r.latency.max, 1)}`,
    `  server histogram (audio message arrival -> label sent):          p50 ${f(r.serverP50, 1)}  p99 ${f(r.serverP99, 1)}   mean batch ${f(r.meanBatch, 1)}`,
    `  labels: expected ${r.expected}, received ${r.received}, missing ${r.missing}, late (> 1 s) ${r.late}, voiced ${r.voiced}; errors: ${errors}`,
    `  CPU (% of one core): server ${f(r.serverCpuPct)}${r.treeCpuPct !== undefined ? ` (process tree incl. primary ${f(r.treeCpuPct)}${r.primaryCpuPct !== undefined ? `, primary alone ${f(r.primaryCpuPct, 1)}` : ''})` : ''}, generator ${f(r.generatorCpuPct)}; server RSS ${f(r.serverRssMb)} MB${r.treeRssMb !== undefined ? ` (process tree peak ${f(r.treeRssMb)} MB)` : ''}`,
    `  server CPU per stream (fixed costs included): ${f(r.cpuMsPerStreamSecond, 2)} ms per audio second`,
  ].join('\n');
}

/** The server's CPU (% of one core): its whole process tree when known (primary included), else its /metrics. */
export function serverCpuPct(r: LoadResult): number {
  return r.treeCpuPct ?? r.serverCpuPct;
}

/**
 * Least-squares fit of server CPU (ms per wall second) against streams over several runs: the
 * slope is what one more real-time stream costs (ms of CPU per audio second), the intercept the
 * fixed cost. Fixed costs make the plain per-stream figure misleading at small N.
 */
export function marginalCpu(runs: readonly LoadResult[]): { perStreamMs: number; fixedMs: number } | undefined {
  const pts = runs.map((r) => ({ x: r.streams, y: serverCpuPct(r) * 10 })).filter((p) => Number.isFinite(p.y));
  if (new Set(pts.map((p) => p.x)).size < 2) return undefined;
  const mx = pts.reduce((s, p) => s + p.x, 0) / pts.length;
  const my = pts.reduce((s, p) => s + p.y, 0) / pts.length;
  const sxy = pts.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = pts.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  const perStreamMs = sxy / sxx;
  return { perStreamMs, fixedMs: my - perStreamMs * mx };
}
