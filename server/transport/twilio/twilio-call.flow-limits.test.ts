/**
 * Flow control on /v1/twilio: Twilio itself sends media at real time, but anything can connect to
 * the endpoint. A "call" that sends 12 s of both tracks at once is held to the same speed
 * allowance as /v1/stream (burst, then maxSpeed x real time; its socket is not read meanwhile),
 * still gets every label, and is not cut by the idle timeout while the server holds it.
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { speechSeconds } from '../../../test/corpora.js';
import { readMetric } from '../../../test/server-process.js';
import { startTestServer } from '../../../test/harness.js';
import { playTwilioCall, toMulaw8k } from '../../../test/clients/twilio-client.js';

describe('Twilio speed allowance', () => {
  it('12 s of a two-track call sent at once, burst 2 s and max speed 4x: >= 2.5 s to the end, every label; unlimited is faster', async () => {
    const audio = toMulaw8k(await speechSeconds(12));
    const timed = async (overrides: object): Promise<{ ms: number; labels: number; code: number }> => {
      // Idle timeout shorter than the hold: a held call must not be ended as idle.
      const srv = await startTestServer({ rateBurstSeconds: 2, maxSpeed: 4, idleTimeoutMs: 1500, ...overrides });
      try {
        const t0 = performance.now();
        const run = await playTwilioCall(srv.server.port ? `ws://127.0.0.1:${srv.server.port}/v1/twilio` : '', { tracks: { inbound: audio, outbound: audio }, pace: 0 });
        const ms = performance.now() - t0;
        const voiced = (await readMetric(srv.http, 'undertone_labels_total{voiced="true",band="narrowband"}')) ?? 0;
        const silent = (await readMetric(srv.http, 'undertone_labels_total{voiced="false",band="narrowband"}')) ?? 0;
        return { ms, labels: voiced + silent, code: run.close.code };
      } finally {
        await srv.server.drain();
      }
    };
    const held = await timed({});
    const free = await timed({ maxSpeed: 0 });
    console.log(`Twilio call, 12 s x 2 tracks sent at once: ${held.ms.toFixed(0)} ms to the end with burst 2 s + max speed 4x (${free.ms.toFixed(0)} ms unlimited)`);
    expect(held.code).toBe(1000);
    expect(free.code).toBe(1000);
    // One label per second per track.
    expect(held.labels).toBe(24);
    expect(free.labels).toBe(24);
    // (12 s - 2 s burst) / 4x = 2.5 s at least; a little timer slack below.
    expect(held.ms).toBeGreaterThanOrEqual(2400);
    expect(free.ms).toBeLessThan(held.ms);
  });
});
