/**
 * Admission control on measured saturation: with the event loop lagging past
 * --max-event-loop-lag-ms, or the inference queue at --max-queued-windows, a new session is
 * refused with overloaded (1013) and a retryAfterMs hint, counted by limit; once the server
 * recovers, sessions are admitted again. (The session-count limit is in errors.test.ts; the 2x
 * load run with latencies is `npm run bench:overload`.)
 */
import { describe, expect, it } from 'vitest';
import { readMetric } from '../../test/server-process.js';
import { startTestServer } from '../../test/harness.js';
import { StreamClient, streamChunks } from '../../test/clients/stream-client.js';

const START = { type: 'start', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 } as const;

async function refusal(url: string): Promise<{ code: number; error?: { code: string; retryAfterMs?: number; message: string } }> {
  const c = await StreamClient.connect(url);
  const closed = await c.closed;
  return { code: closed.code, error: c.error };
}

describe('admission on measured saturation', () => {
  it('event-loop lag over the bound: overloaded 1013 with retryAfterMs, then admitted once the lag is gone', async () => {
    const srv = await startTestServer({ maxEventLoopLagMs: 200, retryAfterMs: 1000 });
    try {
      // A live session: a saturated server has some, and with one its lag sampler runs at the busy
      // rate (10 a second; once a second when it has no audio connection).
      const live = await StreamClient.connect(srv.url);
      live.sendJson(START);
      await live.next('ready');
      // This test shares the server's event loop: hold it for 400 ms, as a saturated server would be.
      await new Promise((r) => setTimeout(r, 150));
      const until = Date.now() + 400;
      while (Date.now() < until);
      await new Promise((r) => setTimeout(r, 120)); // let the lag sampler see it
      const r = await refusal(srv.url);
      expect(r.code).toBe(1013);
      expect(r.error).toMatchObject({ code: 'overloaded', message: expect.stringMatching(/event-loop lag \d+ ms/) });
      expect(r.error!.retryAfterMs).toBeGreaterThanOrEqual(1000);
      expect(r.error!.retryAfterMs).toBeLessThanOrEqual(1500);
      expect(await readMetric(srv.http, 'undertone_sessions_shed_total{limit="lag"}')).toBe(1);
      live.sendJson({ type: 'stop' });
      expect((await live.closed).code).toBe(1000);
      // The lag window is the last 1-2 s: after it, sessions are admitted again.
      await new Promise((r) => setTimeout(r, 2200));
      const run = await streamChunks(srv.url, START, [new Uint8Array(32000)]);
      expect(run.closed.code).toBe(1000);
      expect(run.client.emotions).toHaveLength(1);
    } finally {
      await srv.server.drain();
    }
  });

  it('inference queue at its bound: overloaded 1013, then admitted once the queue drains', async () => {
    const srv = await startTestServer({ maxQueuedWindows: 64 });
    try {
      // The wideband model's scheduler (loaded[0]; the queue bound counts every model's queue).
      type Scheduler = { submit(f: Float32Array, m: Float32Array): Promise<unknown>; pending: number };
      const wideband = (srv.server as unknown as { loaded: { scheduler: Scheduler; model: { windowFrames: number; dim: number } }[] }).loaded[0];
      const { scheduler } = wideband;
      const { windowFrames, dim } = wideband.model;
      // Fill the queue as hundreds of voiced seconds due at once would.
      const done = Array.from({ length: 2000 }, () => scheduler.submit(new Float32Array(windowFrames * dim), new Float32Array(windowFrames).fill(1)));
      expect(scheduler.pending).toBeGreaterThanOrEqual(64);
      const r = await refusal(srv.url);
      expect(r.code).toBe(1013);
      expect(r.error).toMatchObject({ code: 'overloaded', message: expect.stringMatching(/inference queue is full/) });
      expect(r.error!.retryAfterMs).toBeGreaterThan(0);
      expect(await readMetric(srv.http, 'undertone_sessions_shed_total{limit="queue"}')).toBe(1);
      await Promise.all(done);
      const run = await streamChunks(srv.url, START, [new Uint8Array(32000)]);
      expect(run.closed.code).toBe(1000);
    } finally {
      await srv.server.drain();
    }
  });
});
