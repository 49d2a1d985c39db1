/**
 * UpgradeQueue on its own (fake requests, real streams, the real event loop), then a real server
 * pacing one handshake per turn: a burst of real WebSocket clients is answered in full, the
 * admitted ones opened and the rest refused as usual.
 */
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../../test/harness.js';
import { UpgradeQueue } from './upgrade-queue.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const request = (n: number) => ({ url: `/v1/stream?n=${n}` }) as IncomingMessage;

describe('UpgradeQueue', () => {
  it('handles at most perTurn upgrades per turn of the event loop, in arrival order', async () => {
    const seen: string[] = [];
    const q = new UpgradeQueue((req) => seen.push(req.url!), 3);
    for (let n = 0; n < 8; n++) q.push(request(n), new PassThrough(), Buffer.alloc(0));
    expect(seen).toEqual([]); // never inside the 'upgrade' event itself
    expect(q.pending).toBe(8);
    const perTurn: number[] = [];
    while (q.pending > 0) {
      const before = seen.length;
      await turn();
      perTurn.push(seen.length - before);
    }
    expect(perTurn).toEqual([3, 3, 2]);
    expect(seen).toEqual(Array.from({ length: 8 }, (_, n) => `/v1/stream?n=${n}`));
  });

  it('lets the rest of the loop run between turns: a timer due meanwhile fires before the last upgrades', async () => {
    const order: string[] = [];
    // Each handshake holds the loop 0.2 ms, as a real one does: 50 take 10 ms, the timer is due after 1.
    const busy = (req: IncomingMessage) => {
      const until = performance.now() + 0.2;
      while (performance.now() < until);
      order.push(req.url!);
    };
    const q = new UpgradeQueue(busy, 1);
    setTimeout(() => order.push('timer'), 1);
    for (let n = 0; n < 50; n++) q.push(request(n), new PassThrough(), Buffer.alloc(0));
    while (q.pending > 0) await turn();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const at = order.indexOf('timer');
    expect(at).toBeGreaterThan(-1);
    expect(at).toBeLessThan(50); // not after every queued upgrade, as it would be without pacing
  });

  it('skips clients that went away while waiting, and survives their socket errors', async () => {
    const seen: string[] = [];
    const q = new UpgradeQueue((req) => seen.push(req.url!), 2);
    const sockets = Array.from({ length: 4 }, () => new PassThrough());
    sockets.forEach((s, n) => q.push(request(n), s, Buffer.alloc(0)));
    sockets[1].destroy(new Error('ECONNRESET')); // no listener of its own: the queue's keeps it from throwing
    sockets[2].destroy();
    while (q.pending > 0) await turn();
    expect(seen).toEqual(['/v1/stream?n=0', '/v1/stream?n=3']);
  });

  it('perTurn 0 handles each upgrade at once, as before the queue', () => {
    const seen: string[] = [];
    const q = new UpgradeQueue((req) => seen.push(req.url!), 0);
    q.push(request(1), new PassThrough(), Buffer.alloc(0));
    expect(seen).toEqual(['/v1/stream?n=1']);
    expect(q.pending).toBe(0);
  });
});

describe('a real server pacing one handshake per turn', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ handshakesPerTurn: 1, maxSessions: 10 });
  });
  afterAll(() => t?.server.drain());

  it('answers a burst of 60 clients: 10 admitted, 50 refused overloaded with 1013 and a retry hint', async () => {
    const admitted: WebSocket[] = [];
    // Each client settles on `ready` (admitted; kept open so its slot stays taken) or on its close.
    const outcomes = await Promise.all(
      Array.from(
        { length: 60 },
        () =>
          new Promise<{ ready: boolean; code?: number; error?: { code: string; retryAfterMs?: number } }>((resolve) => {
            const ws = new WebSocket(t.url);
            let error: { code: string; retryAfterMs?: number } | undefined;
            ws.on('open', () => ws.send(JSON.stringify({ type: 'start', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 })));
            ws.on('message', (data) => {
              const m = JSON.parse(String(data));
              if (m.type === 'error') error = m;
              if (m.type === 'ready') {
                admitted.push(ws);
                resolve({ ready: true });
              }
            });
            ws.on('close', (code) => resolve({ ready: false, code, error }));
            ws.on('error', () => undefined);
          }),
      ),
    );
    for (const ws of admitted) ws.close(1000);
    expect(outcomes.filter((o) => o.ready)).toHaveLength(10);
    const refused = outcomes.filter((o) => !o.ready);
    expect(refused).toHaveLength(50);
    for (const o of refused) {
      expect(o.error?.code).toBe('overloaded');
      expect(o.code).toBe(1013);
      expect(o.error!.retryAfterMs).toBeGreaterThan(0);
    }
  });
});
