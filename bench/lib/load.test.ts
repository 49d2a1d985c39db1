/**
 * The load generator against a real in-process server: every label of every stream is counted
 * and timed, in both encodings and message sizes, and a refused session is reported as an error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/harness.js';
import { AudioPool, corpusSpeech } from './audio.js';
import { held, runLoad } from './load.js';

let srv: TestServer;
let speech: Float32Array;

beforeAll(async () => {
  srv = await startTestServer({ maxSessions: 4 });
  speech = await corpusSpeech(12);
});

afterAll(async () => {
  await srv?.server.drain();
});

describe('runLoad', () => {
  for (const [encoding, frameMs] of [['pcm_s16le', 20], ['opus', 100]] as const) {
    it(`${encoding} in ${frameMs} ms messages: every label received and timed at real-time pace`, async () => {
      const pool = AudioPool.build(speech, encoding, frameMs);
      const r = await runLoad(srv, pool, { streams: 3, seconds: 3, rampUpMs: 300 });
      expect(r.expected).toBe(9);
      expect(r.received).toBe(9);
      expect(r.missing).toBe(0);
      expect(r.errorCount).toBe(0);
      expect(r.latency.count).toBe(9);
      expect(r.latency.p50).toBeGreaterThan(0);
      expect(r.latency.max).toBeLessThan(1000);
      // Paced, not as fast as possible: 3 s of audio take about 3 s.
      expect(r.wallS).toBeGreaterThan(2.9);
      expect(r.voiced).toBeGreaterThan(0);
      expect(r.serverCpuPct).toBeGreaterThan(0);
      expect(held(r, 1000)).toBe(true);
    });
  }

  it('counts refused sessions and their missing labels', async () => {
    const pool = AudioPool.build(speech, 'pcm_s16le', 100);
    const r = await runLoad(srv, pool, { streams: 6, seconds: 2, rampUpMs: 100 });
    expect(r.errors.overloaded).toBe(2);
    expect(r.errors['close 1013']).toBe(2);
    expect(r.missing).toBe(4);
    expect(held(r, 1000)).toBe(false);
  });
});
