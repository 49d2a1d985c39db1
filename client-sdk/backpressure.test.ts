/**
 * Backpressure over a real WebSocket link whose server stops reading after `ready` (a stalled
 * consumer: the kernel buffers fill, then `bufferedAmount` grows): awaited sends wait at the
 * `maxBufferedBytes` bound and then fail with `backpressure` instead of queueing without end;
 * sends that are not awaited are refused beyond `maxQueuedBytes`.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { ReadyMessage } from '../core/protocol/index.js';
import { UndertoneError, connect } from './node.js';

const READY: ReadyMessage = {
  type: 'ready',
  sessionId: 'stalled',
  model: { name: 'stub', version: '0', band: 'wideband', labels: ['neutral', 'angry'] },
  windowMs: 3000,
  limits: { maxMessageBytes: 262144, idleTimeoutMs: 30000 },
};

let wss: WebSocketServer;
let url: string;

beforeAll(async () => {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/v1/stream`;
  wss.on('connection', (ws) => {
    ws.once('message', () => {
      ws.send(JSON.stringify(READY));
      // Stop reading: nothing the client sends is consumed from now on.
      (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    });
  });
});

afterAll(async () => {
  for (const c of wss.clients) c.terminate();
  await new Promise((r) => wss.close(r));
});

const MAX_BUFFERED = 256 * 1024;
const MAX_QUEUED = 1024 * 1024;
const PIECE = new Int16Array(32 * 1024); // 64 KiB of s16le per call

describe('backpressure against a server that stops reading', () => {
  it('awaited sendPcm waits at maxBufferedBytes, then fails with backpressure; memory stays bounded', async () => {
    const session = await connect({
      url,
      encoding: 'pcm_s16le',
      sampleRate: 16000,
      channels: 1,
      maxBufferedBytes: MAX_BUFFERED,
      maxQueuedBytes: MAX_QUEUED,
      sendTimeoutMs: 800,
    });
    const errors: UndertoneError[] = [];
    session.on('error', (e) => errors.push(e));
    let accepted = 0;
    let err: unknown;
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    try {
      // Up to 1 GiB: without backpressure this would all be buffered in memory.
      for (let i = 0; i < 16384; i++) {
        await session.sendPcm(PIECE);
        accepted += PIECE.byteLength;
        expect(session.pendingBytes).toBeLessThanOrEqual(MAX_BUFFERED + MAX_QUEUED);
      }
    } catch (e) {
      err = e;
    }
    const growth = process.memoryUsage().arrayBuffers - before;
    console.log(
      `stalled link: ${(accepted / 2 ** 20).toFixed(1)} MiB accepted before backpressure after ${(performance.now() - t0).toFixed(0)} ms; peak bufferedAmount ${session.peakBufferedBytes} B; arrayBuffers growth ${(growth / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(err).toBeInstanceOf(UndertoneError);
    expect(err).toMatchObject({ code: 'backpressure' });
    expect((err as Error).message).toMatch(/did not take audio for 800 ms .* link too slow or server not reading/);
    expect(errors.map((e) => e.code)).toEqual(['backpressure']);
    // The kernel's socket buffers take some, the SDK holds at most its bounds: far below 1 GiB.
    expect(accepted).toBeLessThan(64 * 2 ** 20);
    expect(session.peakBufferedBytes).toBeLessThanOrEqual(MAX_BUFFERED + 32 * 1024);
    expect(growth).toBeLessThan(32 * 2 ** 20);
    // The session is failed: later audio and stop() give the same error.
    await expect(session.sendPcm(PIECE)).rejects.toBe(err);
    await expect(session.stop()).rejects.toBe(err);
    session.close();
  });

  it('sends that are not awaited are refused beyond maxQueuedBytes', async () => {
    const session = await connect({
      url,
      encoding: 'pcm_s16le',
      sampleRate: 16000,
      channels: 1,
      maxBufferedBytes: MAX_BUFFERED,
      maxQueuedBytes: MAX_QUEUED,
      sendTimeoutMs: 500,
    });
    const results = await Promise.allSettled(
      Array.from({ length: 2000 }, () => {
        const p = session.sendPcm(PIECE);
        expect(session.pendingBytes).toBeLessThanOrEqual(MAX_BUFFERED + MAX_QUEUED + 32 * 1024);
        return p;
      }),
    );
    const full = results.filter((r) => r.status === 'rejected' && /audio queue full/.test((r.reason as Error).message));
    console.log(
      `2000 unawaited 64 KiB sends: ${results.filter((r) => r.status === 'fulfilled').length} sent, ${full.length} refused as queue full`,
    );
    expect(full.length).toBeGreaterThan(1000);
    for (const r of full) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'backpressure' });
    session.close();
  });
});
