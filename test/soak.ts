/**
 * Session churn against a server in a child process: `concurrency` clients, each in a loop
 * opening a session, streaming a few seconds of real corpus speech at real time, stopping, and
 * starting over, for `minutes`. Samples the server's RSS, heap and event-loop lag (from its
 * /metrics) after a warm-up and at the end, and accounts for every label. Used by bench/soak.ts
 * (30 minutes) and server/process/server.soak.test.ts (2 minutes).
 */
import { performance } from 'node:perf_hooks';
import { decodeAudioFile } from '../core/audio/decode-file.js';
import { labelPoints } from '../core/model/window.js';
import { corpusFile, manifestRows } from './corpora.js';
import { startServer } from './server-process.js';
import { s16leBytes } from './harness.js';
import { bucketQuantile, type Samples, scrape } from '../bench/lib/metrics.js';
import { chunkBytes, streamChunks } from './clients/stream-client.js';

/**
 * Largest RSS growth from the first to the last fifth of the samples after warm-up that a soak
 * passes with. One-sided: a leak makes RSS grow; RSS that falls (memory handed back to the OS
 * after the warm-up's peak, measured 151 -> 123 MB in a 2-minute run under the full suite) is no
 * leak, and a bound on |drift| failed such a run.
 */
export const MAX_RSS_GROWTH = 0.1;

export interface SoakOptions {
  readonly minutes: number;
  readonly concurrency: number;
  /** Seconds of warm-up before the start sample (and discarded from the drift comparison). */
  readonly warmupSeconds: number;
  readonly onProgress?: (line: string) => void;
}

export interface MemorySample {
  readonly atS: number;
  readonly rssMb: number;
  readonly heapMb: number;
}

export interface SoakReport {
  readonly sessions: number;
  readonly labelsExpected: number;
  readonly labelsReceived: number;
  /** Sessions that did not end with end + 1000 (errors, other closes). */
  readonly failedSessions: number;
  readonly shed: number;
  readonly start: MemorySample;
  readonly end: MemorySample;
  /** (end - start) / start of the median of the first and last fifth of the samples after warm-up. */
  readonly rssDrift: number;
  readonly heapDrift: number;
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  readonly latencyP99Ms: { first: number; last: number };
  readonly samples: MemorySample[];
  readonly serverExit: number | string;
}

const LAG_HISTOGRAM = 'undertone_event_loop_lag_seconds';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
}

/** Corpus clips of 3-6 s as 16 kHz s16le, with the labels each must get. */
async function clips(count: number): Promise<{ pcm: Uint8Array; labels: number }[]> {
  const rows = manifestRows().filter((r) => r.durationS >= 3 && r.durationS <= 6);
  const out: { pcm: Uint8Array; labels: number }[] = [];
  for (let i = 0; i < count; i++) {
    const x = await decodeAudioFile(corpusFile(rows[(i * 131) % rows.length]));
    out.push({ pcm: s16leBytes(x), labels: labelPoints(x.length).length });
  }
  return out;
}

export async function soak(options: SoakOptions): Promise<SoakReport> {
  const say = options.onProgress ?? (() => undefined);
  const audio = await clips(16);
  const server = await startServer(['--workers', '1', '--log-level', 'warn']);
  const t0 = performance.now();
  const endAt = t0 + options.minutes * 60_000;
  const warmEnd = t0 + options.warmupSeconds * 1000;
  let sessions = 0;
  let expected = 0;
  let received = 0;
  let failed = 0;
  let shed = 0;
  const latencies: { at: number; ms: number }[] = [];
  const samples: MemorySample[] = [];
  const lags: number[] = [];
  let lagMax = 0;

  const worker = async (w: number): Promise<void> => {
    for (let k = w; performance.now() < endAt; k += options.concurrency) {
      const clip = audio[k % audio.length];
      const run = await streamChunks(server.url, { type: 'start', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 }, chunkBytes(clip.pcm, [640]), {
        bytesPerSecond: 32000,
        pace: 1,
      });
      if (run.client.error?.code === 'overloaded') {
        shed++;
        await new Promise((r) => setTimeout(r, run.client.error!.retryAfterMs ?? 1000));
        continue;
      }
      sessions++;
      expected += clip.labels;
      const emotions = run.client.messages.map((m, i) => ({ m, at: run.client.arrivals[i] })).filter((x) => x.m.type === 'emotion');
      received += emotions.length;
      if (run.closed.code !== 1000 || run.client.end?.seconds !== clip.labels || emotions.length !== clip.labels) failed++;
      for (const { m, at } of emotions) {
        const s = (m as { second: number }).second;
        if (s <= run.secondSentAt.length) latencies.push({ at, ms: at - run.secondSentAt[s - 1] });
      }
    }
  };

  // Sample the server every 5 s: RSS, heap used, and event-loop lag from the server's own
  // undertone_event_loop_lag_seconds (timer delay beyond its due time). Not prom-client's
  // nodejs_eventloop_lag_*: node's monitorEventLoopDelay records the interval between its timer's
  // runs, not the delay, so at the server's 1 s precision those read ~1000 ms on an idle loop.
  let prevLag: Samples | undefined;
  const sampler = setInterval(() => {
    void scrape(server.http).then((m) => {
      const atS = (performance.now() - t0) / 1000;
      const sample = { atS, rssMb: (m.get('process_resident_memory_bytes') ?? NaN) / 2 ** 20, heapMb: (m.get('nodejs_heap_size_used_bytes') ?? NaN) / 2 ** 20 };
      if (prevLag) {
        lags.push(bucketQuantile(prevLag, m, LAG_HISTOGRAM, 0.99));
        // q = 1: the upper bound of the highest bucket that gained a sample in these 5 s.
        const top = bucketQuantile(prevLag, m, LAG_HISTOGRAM, 1);
        if (Number.isFinite(top)) lagMax = Math.max(lagMax, top);
      }
      if (performance.now() >= warmEnd) samples.push(sample);
      prevLag = m;
      say(`  ${atS.toFixed(0)} s: ${sessions} sessions, labels ${received}/${expected}, rss ${sample.rssMb.toFixed(1)} MB, heap ${sample.heapMb.toFixed(1)} MB`);
    }, () => undefined);
  }, 5000);
  await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)));
  clearInterval(sampler);
  const serverExit = await server.stop();

  const fifth = Math.max(1, Math.floor(samples.length / 5));
  const first = samples.slice(0, fifth);
  const last = samples.slice(-fifth);
  const drift = (key: 'rssMb' | 'heapMb'): number => (median(last.map((s) => s[key])) - median(first.map((s) => s[key]))) / median(first.map((s) => s[key]));
  const warmLat = latencies.filter((l) => l.at >= warmEnd);
  const cut = warmLat.length / 5;
  return {
    sessions,
    labelsExpected: expected,
    labelsReceived: received,
    failedSessions: failed,
    shed,
    start: samples[0],
    end: samples[samples.length - 1],
    rssDrift: drift('rssMb'),
    heapDrift: drift('heapMb'),
    lagP99Ms: pct(lags.filter(Number.isFinite), 99),
    lagMaxMs: lagMax,
    latencyP99Ms: { first: pct(warmLat.slice(0, cut).map((l) => l.ms), 99), last: pct(warmLat.slice(-cut).map((l) => l.ms), 99) },
    samples,
    serverExit,
  };
}

export function formatSoak(r: SoakReport, minutes: number, concurrency: number): string {
  return [
    `soak: ${minutes} min, ${concurrency} concurrent clients churning sessions of 3-6 s of corpus speech at real time`,
    `sessions:            ${r.sessions} (${r.failedSessions} failed, ${r.shed} shed)`,
    `labels:              ${r.labelsReceived} received / ${r.labelsExpected} expected`,
    `RSS:                 ${r.start.rssMb.toFixed(1)} MB at ${r.start.atS.toFixed(0)} s (after warm-up) -> ${r.end.rssMb.toFixed(1)} MB at ${r.end.atS.toFixed(0)} s; drift ${(r.rssDrift * 100).toFixed(1)}% (median of first vs last fifth of samples)`,
    `heap used:           ${r.start.heapMb.toFixed(1)} MB -> ${r.end.heapMb.toFixed(1)} MB; drift ${(r.heapDrift * 100).toFixed(1)}%`,
    `event-loop lag:      p99 of 5 s windows ${r.lagP99Ms.toFixed(1)} ms, worst window's top bucket ${r.lagMaxMs.toFixed(1)} ms (undertone_event_loop_lag_seconds)`,
    `label latency p99:   first fifth ${r.latencyP99Ms.first.toFixed(1)} ms, last fifth ${r.latencyP99Ms.last.toFixed(1)} ms`,
    `server exit:         ${r.serverExit}`,
  ].join('\n');
}
