/**
 * Admission control under 2x load: `undertone serve --max-sessions C` in a child process; first
 * C sessions alone (the baseline), then 2C clients at once, each streaming real corpus speech at
 * real time. Clients refused with overloaded (1013) wait the server's retryAfterMs and retry
 * until the phase ends, so the pressure stays at 2x. Prints, per phase: sessions attempted,
 * admitted, shed (1013 refusals), labels expected/received by admitted sessions, and their label
 * latency p50/p99/max (from sending the chunk that completes a second to receiving its label).
 *
 *   npm run bench:overload -- [--capacity 8] [--seconds 20]
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { concatFloat32 } from '../core/audio/concat.js';
import { decodeAudioFile } from '../core/audio/decode-file.js';
import { labelPoints } from '../core/model/window.js';
import { corpusFile, manifestRows } from '../test/corpora.js';
import { readMetric, startServer } from '../test/server-process.js';
import { decimal, integer } from '../server/process/parsers.js';
import { parseOrExit } from './lib/args.js';
import { s16leBytes } from '../test/harness.js';
import { chunkBytes, streamChunks } from '../test/clients/stream-client.js';

const { values } = parseArgs({ options: { capacity: { type: 'string', default: '8' }, seconds: { type: 'string', default: '20' } } });
const capacity = parseOrExit('bench:overload', () => integer(1, 100_000)(String(values.capacity), '--capacity'));
const seconds = parseOrExit('bench:overload', () => decimal(1, 86400)(String(values.seconds), '--seconds'));

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
  latenciesMs: number[];
}

async function client(url: string, audio: Uint8Array, until: number): Promise<ClientResult> {
  const r: ClientResult = { admitted: false, shed: 0, retryHints: [], expected: 0, received: 0, latenciesMs: [] };
  const start = { type: 'start', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 } as const;
  while (performance.now() < until) {
    const run = await streamChunks(url, start, chunkBytes(audio, [640]), { bytesPerSecond: 32000, pace: 1 });
    const error = run.client.error;
    if (error?.code === 'overloaded') {
      r.shed++;
      r.retryHints.push(error.retryAfterMs ?? NaN);
      await new Promise((res) => setTimeout(res, error.retryAfterMs ?? 1000));
      continue;
    }
    if (error) throw new Error(`unexpected error ${error.code}: ${error.message}`);
    r.admitted = true;
    r.expected = labelPoints(audio.length / 2).length;
    const emotions = run.client.messages.map((m, i) => ({ m, at: run.client.arrivals[i] })).filter((x) => x.m.type === 'emotion');
    r.received = emotions.length;
    for (const { m, at } of emotions) {
      const second = (m as { second: number }).second;
      if (second <= run.secondSentAt.length) r.latenciesMs.push(at - run.secondSentAt[second - 1]);
    }
    break;
  }
  return r;
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function phase(name: string, url: string, clients: number, audios: Uint8Array[]): Promise<void> {
  // Admitted sessions stream `seconds`; shed clients keep retrying for as long.
  const until = performance.now() + seconds * 1000;
  const results = await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      await new Promise((res) => setTimeout(res, i * 20));
      return client(url, audios[i % audios.length], until);
    }),
  );
  const admitted = results.filter((r) => r.admitted);
  const lat = admitted.flatMap((r) => r.latenciesMs);
  const hints = results.flatMap((r) => r.retryHints);
  console.log(
    [
      name.padEnd(10),
      String(clients).padStart(9),
      String(admitted.length).padStart(9),
      String(results.reduce((s, r) => s + r.shed, 0)).padStart(6),
      `${admitted.reduce((s, r) => s + r.received, 0)}/${admitted.reduce((s, r) => s + r.expected, 0)}`.padStart(12),
      pct(lat, 50).toFixed(1).padStart(8),
      pct(lat, 99).toFixed(1).padStart(8),
      Math.max(...lat).toFixed(1).padStart(8),
      hints.length ? `${Math.min(...hints)}-${Math.max(...hints)}`.padStart(14) : '-'.padStart(14),
    ].join(' '),
  );
}

const server = await startServer(['--workers', '1', '--max-sessions', String(capacity), '--log-level', 'warn']);
const audios = await Promise.all(Array.from({ length: Math.min(8, capacity * 2) }, (_, i) => speech(i)));
console.log(`undertone serve --max-sessions ${capacity} (1 process); each session streams ${seconds} s of corpus speech at real time (20 ms chunks)\n`);
console.log('phase      attempted  admitted   shed  labels rcvd/exp  p50 ms   p99 ms   max ms  retryAfterMs');
await phase('baseline', server.url, capacity, audios);
await phase('2x load', server.url, capacity * 2, audios);
console.log(`\nserver: undertone_sessions_shed_total{limit="sessions"} = ${(await readMetric(server.http, 'undertone_sessions_shed_total{limit="sessions"}')) ?? 0}`);
console.log(`server exit after SIGTERM: ${await server.stop()}`);
