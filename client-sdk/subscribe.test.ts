/**
 * The SDK's `subscribe` against a real server: a corpus file streamed with the SDK's own
 * `streamFile` under a key; a WebSocket subscription (Node entry, token as header) and an SSE one
 * (token in the query) by that key each get `subscribed`, every label the sender got, in order,
 * and the `end`, then close. Refusals are typed errors (session_not_found, unauthorized). The
 * browser entry subscribes with a global WebSocket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { corpusFile, longestRow } from '../test/corpora.js';
import { type TestServer, startTestServer } from '../test/harness.js';
import { subscribe as browserSubscribe } from './index.js';
import { type SessionEmotionMessage, type SessionEndMessage, type Subscription, UndertoneError, connect, subscribe } from './node.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ apiKeys: ['audio'], subscriberKeys: ['reader'], historySeconds: 60 });
});
afterAll(async () => {
  await srv?.server.drain();
});

function collect(sub: Subscription): { emotions: SessionEmotionMessage[]; ends: SessionEndMessage[] } {
  const got = { emotions: [] as SessionEmotionMessage[], ends: [] as SessionEndMessage[] };
  sub.on('emotion', (m) => got.emotions.push(m));
  sub.on('end', (m) => got.ends.push(m));
  return got;
}

describe('client SDK subscribe', () => {
  it('WebSocket and SSE subscriptions by key get every label in order, then end and close', async () => {
    const file = corpusFile(longestRow());
    const session = await connect({ url: srv.url, token: 'audio', encoding: 'pcm_f32le', sampleRate: 16000, channels: 1, key: 'sdk-call' });
    const base = srv.http;
    const ws = await subscribe({ url: base, id: 'sdk-call', token: 'reader' });
    const sse = await subscribe({ url: base, id: 'sdk-call', token: 'reader', tokenIn: 'query', transport: 'sse' });
    expect(ws.sessions).toEqual([expect.objectContaining({ key: 'sdk-call', source: 'stream', sessionId: session.sessionId })]);
    const got = [collect(ws), collect(sse)];
    const sent: unknown[] = [];
    session.on('emotion', (m) => sent.push(m));
    const { decodeAudioFile } = await import('../core/audio/decode-file.js');
    const samples = await decodeAudioFile(file);
    for (let i = 0; i < samples.length; i += 3200) await session.sendPcm(samples.subarray(i, i + 3200));
    const end = await session.stop();
    for (const [i, sub] of [ws, sse].entries()) {
      expect((await sub.closed).code).toBe(1000);
      const { emotions, ends } = got[i];
      expect(emotions.map(({ sessionId: _a, seq: _b, ...m }) => m)).toEqual(sent);
      expect(emotions.map((m) => m.seq)).toEqual(emotions.map((_m, k) => k + 1));
      expect(ends).toHaveLength(1);
      expect(ends[0]).toMatchObject({ reason: 'stop', seconds: end.seconds, summary: end.summary });
    }
    expect(sent.length).toBeGreaterThanOrEqual(7);
  });

  it('waitSeconds: subscribing before the session starts', async () => {
    const pending = subscribe({ url: srv.http, id: 'sdk-later', token: 'reader', waitSeconds: 20 });
    await new Promise((r) => setTimeout(r, 500));
    const session = await connect({
      url: srv.url,
      token: 'audio',
      encoding: 'pcm_s16le',
      sampleRate: 16000,
      channels: 1,
      key: 'sdk-later',
    });
    const sub = await pending;
    const { emotions, ends } = collect(sub);
    await session.sendPcm(new Float32Array(16000 * 2.5).map((_v, i) => 0.3 * Math.sin(i / 7)));
    await session.stop();
    await sub.closed;
    expect(sub.sessions.map((s) => s.sessionId)).toEqual([session.sessionId]);
    expect(emotions.map((m) => m.second)).toEqual([1, 2, 3]);
    expect(ends).toHaveLength(1);
  });

  it('refusals are typed errors', async () => {
    const missing = await subscribe({ url: srv.http, id: 'nobody', token: 'reader' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(UndertoneError);
    expect(missing).toMatchObject({ code: 'session_not_found', closeCode: 1008 });
    const session = await connect({
      url: srv.url,
      token: 'audio',
      encoding: 'pcm_s16le',
      sampleRate: 16000,
      channels: 1,
      key: 'sdk-scope',
    });
    for (const transport of ['websocket', 'sse'] as const) {
      const denied = await subscribe({ url: srv.http, id: 'sdk-scope', token: 'audio', transport }).catch((e: unknown) => e);
      expect(denied).toMatchObject({ code: 'unauthorized' });
    }
    await session.stop();
  });

  it('the browser entry subscribes with a global WebSocket (token in the query)', async () => {
    const g = globalThis as { WebSocket?: unknown };
    const had = g.WebSocket;
    g.WebSocket = WebSocket;
    try {
      const session = await connect({
        url: srv.url,
        token: 'audio',
        encoding: 'pcm_s16le',
        sampleRate: 16000,
        channels: 1,
        key: 'sdk-browser',
      });
      const sub = await browserSubscribe({ url: srv.url, id: 'sdk-browser', token: 'reader' });
      const { emotions, ends } = collect(sub);
      await session.sendPcm(new Float32Array(16000 * 2.5).map((_v, i) => 0.3 * Math.sin(i / 7)));
      await session.stop();
      await sub.closed;
      expect(emotions.map((m) => m.second)).toEqual([1, 2, 3]);
      expect(ends).toHaveLength(1);
    } finally {
      g.WebSocket = had;
    }
  });
});
