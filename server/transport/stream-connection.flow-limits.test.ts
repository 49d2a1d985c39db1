/**
 * Flow control on a real server: a client sending faster than real time is held to its burst +
 * maxSpeed allowance (its socket is not read meanwhile) and still gets every label; the audio a
 * session holds unhandled stays under maxBufferedBytes; a client that stops reading its socket
 * is closed (slow_consumer, 1008) once the server's unsent data for it passes maxSendBufferBytes,
 * which bounds what the server holds for it.
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { speechSeconds } from '../../test/corpora.js';
import { rateWaitMs } from './flow-limits.js';
import { readMetric } from '../../test/server-process.js';
import { s16leBytes, startTestServer } from '../../test/harness.js';
import { StreamClient, chunkBytes, streamChunks } from '../../test/clients/stream-client.js';

async function speech(seconds: number): Promise<Uint8Array> {
  return s16leBytes(await speechSeconds(seconds));
}

describe('speed allowance', () => {
  it('rateWaitMs: nothing within burst + speed x elapsed, the excess / speed beyond; 0 speed = unlimited', () => {
    const limits = { burstSeconds: 2, maxSpeed: 4, maxBufferedBytes: 1e6, maxSendBufferBytes: 1e6 };
    expect(rateWaitMs(limits, 2000, 0)).toBe(0);
    expect(rateWaitMs(limits, 6000, 1000)).toBe(0);
    expect(rateWaitMs(limits, 10000, 1000)).toBe(1000);
    expect(rateWaitMs({ ...limits, maxSpeed: 0 }, 1e9, 0)).toBe(0);
  });

  it('a client sending 12 s of audio at once with burst 2 s and max speed 4x takes >= 2.5 s and gets every label; unlimited takes less', async () => {
    const audio = await speech(12);
    const chunks = chunkBytes(audio, [3200]);
    const start = { type: 'start', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 } as const;
    const timed = async (overrides: object): Promise<{ ms: number; seconds: number[]; inbound: number }> => {
      const srv = await startTestServer({ rateBurstSeconds: 2, maxSpeed: 4, maxBufferedBytes: 65536, ...overrides });
      try {
        const t0 = performance.now();
        const run = await streamChunks(srv.url, start, chunks);
        const ms = performance.now() - t0;
        expect(run.closed.code).toBe(1000);
        const inbound = (await readMetric(srv.http, 'undertone_session_inbound_buffer_max_bytes')) ?? NaN;
        return { ms, seconds: run.client.emotions.map((e) => e.second), inbound };
      } finally {
        await srv.server.drain();
      }
    };
    const held = await timed({});
    const free = await timed({ maxSpeed: 0 });
    console.log(`12 s sent at once: ${held.ms.toFixed(0)} ms to the end with burst 2 s + max speed 4x (${free.ms.toFixed(0)} ms unlimited); largest unhandled inbound ${held.inbound} B (bound 65536 B + one 64 KiB socket read)`);
    const all = Array.from({ length: 12 }, (_, i) => i + 1);
    expect(held.seconds).toEqual(all);
    expect(free.seconds).toEqual(all);
    // (12 s - 2 s burst) / 4x = 2.5 s at least (audio is decoded no faster); a little timer slack below.
    expect(held.ms).toBeGreaterThanOrEqual(2400);
    expect(held.ms).toBeLessThan(8000);
    expect(free.ms).toBeLessThan(held.ms);
    // Received but unhandled audio stayed within the bound (plus the message that crossed it).
    expect(held.inbound).toBeGreaterThan(0);
    // ws may still emit the messages of one socket read (64 KiB) after reading pauses.
    expect(held.inbound).toBeLessThanOrEqual(65536 + 65536 + 3200);
  });
});

describe('a client that stops reading', () => {
  it('is closed as slow_consumer once unsent data passes maxSendBufferBytes; the server holds no more than that', async () => {
    const LIMIT = 8192;
    const srv = await startTestServer({ maxSendBufferBytes: LIMIT, maxSpeed: 0 });
    try {
      const c = await StreamClient.connect(srv.url);
      c.sendJson({ type: 'start', encoding: 'pcm_mulaw', sampleRate: 8000, channels: 1 });
      await c.next('ready');
      c.ws.pause();
      // A client that stops reading fills the kernel's socket buffers first (megabytes on
      // loopback: tens of thousands of labels), then ws buffers in user space. Corking the
      // server's end of this connection makes every write stay in user space from now on, as
      // it would once the kernel buffers are full, so the bound is reached in seconds.
      const wss = (srv.server as unknown as { wss: { clients: Set<{ _socket: { cork(): void } }> } }).wss;
      expect(wss.clients.size).toBe(1);
      for (const client of wss.clients) client._socket.cork();
      const silence = new Uint8Array(16000).fill(0xff); // 2 s of mu-law silence per message
      let sent = 0;
      while (sent < 2000 && (await readMetric(srv.http, 'undertone_errors_total{code="slow_consumer"}')) === undefined) {
        for (let i = 0; i < 10; i++) await c.sendBinary(silence).catch(() => undefined);
        sent += 20;
      }
      expect(await readMetric(srv.http, 'undertone_errors_total{code="slow_consumer"}')).toBe(1);
      const outbound = (await readMetric(srv.http, 'undertone_session_outbound_buffer_max_bytes'))!;
      console.log(`slow consumer: closed at ${outbound} B unsent (limit ${LIMIT} B) after ${sent} s of audio`);
      expect(outbound).toBeGreaterThan(LIMIT);
      // Checked after every send: at most one message (a label, ~100-300 bytes) beyond the limit.
      expect(outbound).toBeLessThan(LIMIT + 1024);
      // The session is gone: closed and its connection cut within the 1 s grace.
      for (let i = 0; i < 50 && srv.server.liveConnections > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(srv.server.liveConnections).toBe(0);
      // About 8192 bytes / ~70 bytes per unvoiced label: the client got ~120 s of audio in.
      expect(sent).toBeLessThan(2000);
      c.ws.terminate();
    } finally {
      await srv.server.drain();
    }
  });
});
