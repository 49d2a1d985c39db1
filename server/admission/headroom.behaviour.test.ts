/**
 * Admission by measured headroom on a real server (--latency-target-ms 50, no session ceiling,
 * the event-loop-lag guard off so the latency measure alone decides): real-time sessions of
 * corpus speech are admitted under light load; when the process cannot keep its labels on time
 * (this test shares the server's event loop and holds it 180 ms of every 200 ms, as a saturated
 * CPU would), a new session is refused with overloaded (1013) + retryAfterMs naming the measured
 * p95, while the admitted sessions are never cut: each ends 1000 with every label. Once labels are
 * on time again, sessions are admitted again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamClient, chunkBytes } from '../../test/clients/stream-client.js';
import { speechSeconds } from '../../test/corpora.js';
import { type TestServer, s16leBytes, startTestServer } from '../../test/harness.js';
import { readMetric } from '../../test/server-process.js';

const START = { type: 'start', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 } as const;
let srv: TestServer;
let audio: Uint8Array[];

beforeAll(async () => {
  srv = await startTestServer({ latencyTargetMs: 50, maxSessions: 0, retryAfterMs: 1000 });
  // 10 s of speech, 100 ms messages.
  audio = chunkBytes(s16leBytes(await speechSeconds(10)), [3200]);
});

afterAll(async () => {
  await srv?.server.drain();
});

/** Opens a session: its client once ready, or the refusal. */
async function open(): Promise<StreamClient> {
  const c = await StreamClient.connect(srv.url);
  c.sendJson(START);
  await Promise.race([c.next('ready'), c.closed]);
  return c;
}

/** Streams at real time, then stop. */
async function stream(c: StreamClient): Promise<void> {
  const t0 = performance.now();
  for (let k = 0; k < audio.length; k++) {
    const wait = t0 + k * 100 - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    await c.sendBinary(audio[k]);
  }
  c.sendJson({ type: 'stop' });
}

describe('admission by measured latency headroom', () => {
  it('admits under light load, refuses with 1013 + retryAfterMs over the target, never cuts an admitted session', async () => {
    const admitted = [await open(), await open(), await open()];
    for (const c of admitted) expect(c.messages[0], JSON.stringify(c.messages[0])).toMatchObject({ type: "ready" });
    const streams = admitted.map((c) => stream(c));
    await new Promise((r) => setTimeout(r, 2500));
    // Light load, labels on time: one more is admitted mid-stream.
    const late = await open();
    expect(late.messages[0], JSON.stringify(late.messages[0])).toMatchObject({ type: 'ready' });
    late.sendJson({ type: 'stop' });
    await late.closed;

    // Saturate: the loop is busy 180 ms of every 200 ms.
    let hogging = true;
    const hog = (async () => {
      while (hogging) {
        const until = performance.now() + 180;
        while (performance.now() < until);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));
    const refused = await open();
    hogging = false;
    await hog;
    expect((await refused.closed).code).toBe(1013);
    expect(refused.error).toMatchObject({ code: 'overloaded', message: expect.stringMatching(/label delay \d+ ms .* above the target 50 ms/) });
    expect(refused.error!.retryAfterMs).toBeGreaterThanOrEqual(1000);
    expect(await readMetric(srv.http, 'undertone_sessions_shed_total{limit="latency"}')).toBeGreaterThanOrEqual(1);

    // The admitted sessions were not cut: every second labelled, end, 1000.
    await Promise.all(streams);
    for (const c of admitted) {
      expect((await c.closed).code).toBe(1000);
      expect(c.emotions.map((e) => e.second)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      expect(c.end).toMatchObject({ reason: 'stop', seconds: 10 });
    }
    // Labels on time again (the late ones left the 1 s window): admitted again.
    await new Promise((r) => setTimeout(r, 1200));
    const again = await open();
    expect(again.messages[0], JSON.stringify(again.messages[0])).toMatchObject({ type: 'ready' });
    again.sendJson({ type: 'stop' });
    expect((await again.closed).code).toBe(1000);
  });
});
