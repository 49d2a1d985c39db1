/**
 * Read coalescing on a real server (`--read-coalesce-ms 250`, off by default): a real-time client
 * of 20 ms PCM messages gets every label in order and each about as soon as without coalescing
 * (the message completing a second is read as it comes); a drain while the socket rests ends the
 * session with its last labels. The figures of what it saves are in docs/benchmarks.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import { concatFloat32 } from '../../core/audio/concat.js';
import { corpusFile, manifestRows } from '../../test/corpora.js';
import { chunkBytes, type StreamRun, streamChunks } from '../../test/clients/stream-client.js';
import { s16leBytes, startTestServer, type TestServer } from '../../test/harness.js';

const START = { type: 'start', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 } as const;
/** 20 ms of 16 kHz s16le. */
const MESSAGE_BYTES = 640;

/** How long after the message that completed second k its label arrived, ms, for every whole second. */
function labelDelays(run: StreamRun): number[] {
  const { client, secondSentAt } = run;
  return client.messages.flatMap((m, i) => (m.type === 'emotion' && m.second <= secondSentAt.length ? [client.arrivals[i] - secondSentAt[m.second - 1]] : []));
}

describe('read coalescing on a real server (--read-coalesce-ms 250)', () => {
  let srv: TestServer;
  let pcm: Uint8Array;

  beforeAll(async () => {
    srv = await startTestServer({ readCoalesceMs: 250 });
    const rows = manifestRows().filter((r) => r.corpus === 'ravdess' && r.durationS > 3.5);
    const clips = await Promise.all(rows.slice(0, 3).map((r) => decodeAudioFile(corpusFile(r))));
    pcm = s16leBytes(concatFloat32(clips));
  }, 60_000);
  afterAll(async () => {
    await srv?.server.drain();
  });

  it('a real-time client gets every label in order, each soon after the message that completed its second', async () => {
    const run = await streamChunks(srv.url, START, chunkBytes(pcm, [MESSAGE_BYTES]), { bytesPerSecond: 32000, pace: 1 });
    expect(run.closed.code).toBe(1000);
    const seconds = run.client.emotions.map((e) => e.second);
    expect(seconds).toEqual(Array.from({ length: seconds.length }, (_, i) => i + 1));
    expect(seconds.length).toBe(Math.ceil(pcm.length / 32000));
    const delays = labelDelays(run);
    expect(delays.length).toBeGreaterThanOrEqual(9);
    // A label held back by a pause would come 200+ ms late; the median shows the usual path.
    delays.sort((a, b) => a - b);
    expect(delays[Math.floor(delays.length / 2)]).toBeLessThan(100);
  }, 60_000);

  it('a drain while the socket rests: the last labels in order, end (shutdown) and 1001', async () => {
    const run = streamChunks(srv.url, START, chunkBytes(pcm, [MESSAGE_BYTES]), { bytesPerSecond: 32000, pace: 1 });
    // 4.3 s: the schedule is known (two whole windows) and the next label is 0.7 s away, so the
    // socket rests; the drain reads what the kernel kept (ReadCoalescer.stop, unit-tested) first.
    await new Promise((r) => setTimeout(r, 4300));
    await srv.server.drain();
    const done = await run;
    expect(done.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    const seconds = done.client.emotions.map((e) => e.second);
    // At least three whole seconds were sent before the drain even on a loaded machine.
    expect(seconds.length).toBeGreaterThanOrEqual(3);
    expect(seconds).toEqual(Array.from({ length: seconds.length }, (_, i) => i + 1));
    expect(done.client.end).toMatchObject({ reason: 'shutdown', seconds: seconds.length });
  }, 60_000);
});
