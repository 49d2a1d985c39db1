/**
 * The load generator for Twilio Media Streams (/v1/twilio): N calls at real-time pace, each
 * `connected`, `start` (1 or 2 tracks), a `media` message of 20 ms of base64 mu-law per track
 * every 20 ms (Twilio's own framing), `stop`; one shared timer sends every due message, as in
 * load.ts. Twilio's socket carries no labels back, so labels and their latency are read from the
 * server's /metrics (labels counted per band, the server's own label-latency histogram); CPU from
 * /proc over the server's process tree.
 */
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { TWILIO_CHUNK_BYTES, sid } from '../../test/clients/twilio-client.js';
import { openAndAwaitClose, terminateUnclosed } from './client-run.js';
import { ownCpuSeconds, processTree } from './machine.js';
import { type Samples, bucketQuantile, histogramMean, scrape, total } from './metrics.js';

/** The server (test/server-process.ts's ServerProcess has these): on 127.0.0.1. */
export interface TwilioLoadTarget {
  readonly port: number;
  /** http://127.0.0.1:port, for /metrics. */
  readonly http: string;
  /** The server's pid (CPU of its process tree from /proc). */
  readonly pid: number;
}

export interface TwilioLoadOptions {
  readonly calls: number;
  readonly seconds: number;
  /** Tracks per call: 1 (inbound) or 2 (inbound and outbound, one session each). */
  readonly tracks: 1 | 2;
  /** Call starts are spread evenly over this long (ms). */
  readonly rampUpMs?: number;
  /** Give up on a call this long after its audio ended (ms). */
  readonly closeTimeoutMs?: number;
}

export interface TwilioLoadResult {
  readonly calls: number;
  readonly tracks: number;
  readonly seconds: number;
  /** Labels the server counted (every band) over the run, and one per second per track expected. */
  readonly labels: number;
  readonly expected: number;
  /** Closes other than 1000, connect failures. */
  readonly errors: Record<string, number>;
  readonly errorCount: number;
  readonly wallS: number;
  /** The server's process tree, % of one core. */
  readonly treeCpuPct: number;
  readonly generatorCpuPct: number;
  /** Server CPU (process tree, fixed costs included) per second of one track's audio, ms. */
  readonly cpuMsPerTrackSecond: number;
  /** The server's label-latency histogram over the run (ms): audio arrival -> label published. */
  readonly serverP50: number;
  readonly serverP99: number;
  readonly meanBatch: number;
}

/** The base64 payload of every whole 20 ms chunk of `mulaw`, once per run (every call plays them from its own offset). */
function chunkPayloads(mulaw: Uint8Array): string[] {
  const payloads: string[] = [];
  for (let at = 0; at + TWILIO_CHUNK_BYTES <= mulaw.length; at += TWILIO_CHUNK_BYTES) payloads.push(Buffer.from(mulaw.subarray(at, at + TWILIO_CHUNK_BYTES)).toString('base64'));
  return payloads;
}

/** Chunk `c` (0-based) of a call as its media messages, one per track (both tracks carry the same audio; the server labels each track as its own session either way). */
function mediaMessages(call: Call, c: number, payload: string): string[] {
  const seq = 2 + c * call.tracks.length; // `start` was 1
  return call.tracks.map(
    (track, t) =>
      `{"event":"media","sequenceNumber":"${seq + t}","media":{"track":"${track}","chunk":"${c + 1}","timestamp":"${c * 20}","payload":"${payload}"},"streamSid":"${call.streamSid}"}`,
  );
}

interface Call {
  readonly ws: WebSocket;
  readonly streamSid: string;
  readonly tracks: readonly string[];
  /** Index into the run's payloads of the call's first chunk. */
  readonly offset: number;
  readonly stop: string;
  startAt: number;
  next: number;
  done: boolean;
  readonly closed: Promise<void>;
}

/** `mulaw`: 8 kHz mu-law speech that every call plays from its own offset. */
export async function runTwilioLoad(target: TwilioLoadTarget, mulaw: Uint8Array, options: TwilioLoadOptions): Promise<TwilioLoadResult> {
  const { calls: n, seconds } = options;
  const rampUpMs = options.rampUpMs ?? 1000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 30_000;
  const trackNames = options.tracks === 2 ? ['inbound', 'outbound'] : ['inbound'];
  const chunks = seconds * (1000 / 20);
  const payloads = chunkPayloads(mulaw);
  const errors: Record<string, number> = {};
  const bump = (key: string): void => void (errors[key] = (errors[key] ?? 0) + 1);
  const before: Samples = await scrape(target.http);
  const tree0 = processTree(target.pid);
  const gen0 = ownCpuSeconds();
  const t0 = performance.now();
  const all: Call[] = [];

  const open = (i: number): Promise<void> =>
    new Promise<void>((resolveOpen) => {
      const streamSid = sid('MZ');
      const accountSid = sid('AC');
      const callSid = sid('CA');
      const ws = new WebSocket(`ws://127.0.0.1:${target.port}/v1/twilio`, { perMessageDeflate: false });
      let resolveClosed!: () => void;
      const call: Call = {
        ws,
        streamSid,
        tracks: trackNames,
        offset: i * 7 * 50,
        stop: JSON.stringify({ event: 'stop', sequenceNumber: String(chunks * trackNames.length + 2), streamSid, stop: { accountSid, callSid } }),
        startAt: Infinity,
        next: 0,
        done: false,
        closed: new Promise<void>((r) => (resolveClosed = r)),
      };
      all.push(call);
      ws.on('open', () => {
        ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
        const format = { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 };
        ws.send(JSON.stringify({ event: 'start', sequenceNumber: '1', start: { accountSid, streamSid, callSid, tracks: trackNames, customParameters: {}, mediaFormat: format }, streamSid }));
        call.startAt = performance.now();
        resolveOpen();
      });
      ws.on('error', () => undefined);
      ws.on('unexpected-response', (_req, res) => {
        bump(`connect HTTP ${res.statusCode}`);
        call.done = true;
        resolveOpen();
        resolveClosed();
      });
      ws.on('close', (code) => {
        if (code !== 1000) bump(`close ${code}`);
        call.done = true;
        resolveOpen();
        resolveClosed();
      });
    });

  // One timer sends every due message of every call (ticks of 5 ms: a quarter of Twilio's 20 ms).
  let ticking = true;
  const tick = (): void => {
    const now = performance.now();
    for (const c of all) {
      while (!c.done && c.next < chunks && now >= c.startAt + c.next * 20) {
        for (const m of mediaMessages(c, c.next, payloads[(c.offset + c.next) % payloads.length])) c.ws.send(m);
        if (++c.next === chunks) c.ws.send(c.stop);
      }
    }
    if (ticking) setTimeout(tick, 5);
  };
  tick();

  await openAndAwaitClose(n, rampUpMs, open, all, seconds * 1000 + rampUpMs + closeTimeoutMs);
  ticking = false;
  terminateUnclosed(all, bump);
  const wallS = (performance.now() - t0) / 1000;
  const generatorCpuPct = (100 * (ownCpuSeconds() - gen0)) / wallS;
  const after = await scrape(target.http);
  const tree1 = processTree(target.pid);
  const cpuS = tree1.cpuS - tree0.cpuS;
  return {
    calls: n,
    tracks: trackNames.length,
    seconds,
    labels: total(after, 'undertone_labels_total') - total(before, 'undertone_labels_total'),
    expected: n * trackNames.length * seconds,
    errors,
    errorCount: Object.values(errors).reduce((a, b) => a + b, 0),
    wallS,
    treeCpuPct: (100 * cpuS) / wallS,
    generatorCpuPct,
    cpuMsPerTrackSecond: (cpuS * 1000) / (n * trackNames.length * seconds),
    serverP50: bucketQuantile(before, after, 'undertone_label_latency_seconds', 0.5),
    serverP99: bucketQuantile(before, after, 'undertone_label_latency_seconds', 0.99),
    meanBatch: histogramMean(before, after, 'undertone_inference_batch_size'),
  };
}

export function formatTwilioResult(r: TwilioLoadResult): string {
  const f = (x: number, d = 0): string => (Number.isFinite(x) ? x.toFixed(d) : '-');
  const errors = Object.entries(r.errors).map(([k, v]) => `${k} x${v}`).join(', ') || 'none';
  return [
    `${r.calls} Twilio calls x ${r.tracks} track(s) x ${r.seconds} s, 20 ms base64 mu-law media messages (wall ${r.wallS.toFixed(1)} s)`,
    `  server histogram (audio message arrival -> label published): p50 ${f(r.serverP50, 1)}  p99 ${f(r.serverP99, 1)} ms   mean batch ${f(r.meanBatch, 1)}`,
    `  labels counted by the server: ${r.labels} (one a second per track: ${r.expected}); errors: ${errors}`,
    `  CPU (% of one core): server process tree ${f(r.treeCpuPct)}, generator ${f(r.generatorCpuPct)}`,
    `  server CPU per track (fixed costs included): ${f(r.cpuMsPerTrackSecond, 2)} ms per audio second`,
  ].join('\n');
}
