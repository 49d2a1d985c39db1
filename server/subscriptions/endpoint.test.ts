/**
 * Subscriptions against a real server with the shipped model: a real corpus file streamed on
 * /v1/stream at 4x real time; WebSocket and SSE subscribers (by key and by sessionId, one joining
 * mid-stream) each receive `subscribed`, every label the audio client received, in order, and the
 * `end`, then the subscription closes. Read-only key scope, listing, not-found, and a subscriber
 * that stops reading is dropped while the session and the other subscribers carry on.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFile, longestRow } from '../../test/corpora.js';
import type { SubscriptionMessage } from '../../core/protocol/index.js';
import { InProcessBus } from '../events/in-process-bus.js';
import { type TestServer, opusPackets, startTestServer } from '../../test/harness.js';
import { StreamClient, streamChunks } from '../../test/clients/stream-client.js';
import { subscribeSse, subscribeWs } from '../../test/clients/subscription-client.js';
import { Subscriber, type SubscriberSink } from './subscriber.js';

const AUDIO = { Authorization: 'Bearer audio-key' };
const READ = { Authorization: 'Bearer read-key' };

let srv: TestServer;
let audio: Awaited<ReturnType<typeof opusPackets>>;
let base: string;

beforeAll(async () => {
  srv = await startTestServer({ apiKeys: ['audio-key'], subscriberKeys: ['read-key'], historySeconds: 30 });
  base = `127.0.0.1:${srv.server.port}`;
  audio = await opusPackets(corpusFile(longestRow()));
});

afterAll(async () => {
  await srv?.server.drain();
});

function startMessage(key: string) {
  return { type: 'start', encoding: 'opus', sampleRate: 48000, channels: audio.channels, preSkip: audio.preSkip, key } as const;
}

/** Strips what a subscription adds to an emotion/end message. */
function plain(m: SubscriptionMessage): unknown {
  const { sessionId: _id, seq: _seq, ...rest } = m as SubscriptionMessage & { sessionId: string; seq: number };
  return rest;
}

describe('subscriptions', () => {
  it('WebSocket and SSE subscribers (by key, by id, one joining late) receive every label in order, then end', async () => {
    const client = await StreamClient.connect(`ws://${base}/v1/stream`, AUDIO);
    client.sendJson(startMessage('call-77'));
    const ready = await client.next('ready');
    const id = ready.sessionId;
    const ws = await subscribeWs(`ws://${base}/v1/sessions/call-77/events`, READ);
    const sse = await subscribeSse(`http://${base}/v1/sessions/${id}/events?api_key=read-key`);
    expect(sse.status).toBe(200);
    await Promise.all([ws.waitFor(1), sse.waitFor(1)]);

    const listing = await fetch(`http://${base}/v1/sessions`, { headers: READ });
    expect(listing.status).toBe(200);
    const { sessions } = (await listing.json()) as { sessions: { sessionId: string; key: string; source: string }[] };
    expect(sessions).toContainEqual(expect.objectContaining({ sessionId: id, key: 'call-77', source: 'stream', encoding: 'opus' }));

    // Half the audio at 4x real time, a late subscriber, then the rest and stop.
    const half = Math.floor(audio.packets.length / 2);
    const send = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i++) {
        await client.sendBinary(audio.packets[i]);
        await new Promise((r) => setTimeout(r, (audio.packetSeconds[i] * 1000) / 4));
      }
    };
    await send(0, half);
    while (client.emotions.length < 2) await new Promise((r) => setTimeout(r, 10));
    const late = await subscribeWs(`ws://${base}/v1/sessions/${id}/events`, { Authorization: 'Bearer read-key' });
    await send(half, audio.packets.length);
    client.sendJson({ type: 'stop' });
    expect((await client.closed).code).toBe(1000);

    const want = client.relayed;
    expect(client.emotions.length).toBeGreaterThanOrEqual(7);
    for (const sub of [ws, sse, late]) {
      const done = await sub.done;
      if (sub === sse) expect(done).toEqual({ code: 200, reason: 'end' });
      else expect(done.code).toBe(1000);
      const [first, ...rest] = sub.messages;
      expect(first).toMatchObject({ type: 'subscribed', sessions: [expect.objectContaining({ sessionId: id, key: 'call-77' })], historySeconds: 30 });
      expect(rest.map(plain)).toEqual(want);
      expect(rest.map((m) => (m as { seq: number }).seq)).toEqual(want.map((_m, i) => i + 1));
      expect(rest.every((m) => (m as { sessionId: string }).sessionId === id)).toBe(true);
    }
    // The late one started with the history it missed.
    expect((late.messages[0] as { history: number }).history).toBeGreaterThanOrEqual(2);
    expect((ws.messages[0] as { history: number }).history).toBe(0);
    await expect.poll(() => srv.server.metrics.subscribers.get().then((g) => g.values[0]?.value)).toBe(0);
  });

  it('read-only scope: audio keys and no key cannot subscribe or list; subscriber keys cannot send audio', async () => {
    const client = await StreamClient.connect(`ws://${base}/v1/stream`, AUDIO);
    client.sendJson(startMessage('call-scope'));
    await client.next('ready');

    const byAudioKey = await subscribeWs(`ws://${base}/v1/sessions/call-scope/events`, AUDIO);
    expect(await byAudioKey.done).toEqual({ code: 1008, reason: 'unauthorized' });
    expect(byAudioKey.messages).toEqual([expect.objectContaining({ type: 'error', code: 'unauthorized' })]);
    const sse = await subscribeSse(`http://${base}/v1/sessions/call-scope/events?api_key=audio-key`);
    expect(sse.status).toBe(401);
    expect((await fetch(`http://${base}/v1/sessions`)).status).toBe(401);
    expect((await fetch(`http://${base}/v1/sessions`, { headers: AUDIO })).status).toBe(401);

    const sender = await StreamClient.connect(`ws://${base}/v1/stream`, READ);
    expect((await sender.closed).code).toBe(1008);
    expect(sender.error?.code).toBe('unauthorized');
    client.sendJson({ type: 'stop' });
    await client.closed;
  });

  it('an unknown id or key: 404 over SSE, session_not_found + 1008 over WebSocket', async () => {
    const sse = await subscribeSse(`http://${base}/v1/sessions/no-such-call/events`, READ);
    expect(sse.status).toBe(404);
    expect(sse.messages[0]).toMatchObject({ type: 'error', code: 'session_not_found' });
    const ws = await subscribeWs(`ws://${base}/v1/sessions/no-such-call/events`, READ);
    expect(await ws.done).toEqual({ code: 1008, reason: 'session_not_found' });
  });

  it('?wait= lets a subscriber come before the session: WebSocket and SSE get every label once it starts; an unknown key still ends in session_not_found', async () => {
    const ws = await subscribeWs(`ws://${base}/v1/sessions/call-later/events?wait=20`, READ);
    const ssePending = subscribeSse(`http://${base}/v1/sessions/call-later/events?wait=20&token=read-key`);
    await new Promise((r) => setTimeout(r, 600));
    expect(ws.messages).toEqual([]);
    // At twice real time: a waiting subscriber polls the directory every 250 ms, so a session must live longer than that to be seen.
    const run = await streamChunks(`ws://${base}/v1/stream`, startMessage('call-later'), audio.packets, { chunkSeconds: audio.packetSeconds, headers: AUDIO, pace: 2 });
    const sse = await ssePending;
    expect(sse.status).toBe(200);
    for (const sub of [ws, sse]) {
      await sub.done;
      expect(sub.messages[0]).toMatchObject({ type: 'subscribed', sessions: [expect.objectContaining({ key: 'call-later' })] });
      expect(sub.messages.slice(1).map(plain)).toEqual(run.client.relayed);
    }
    const t0 = Date.now();
    const none = await subscribeWs(`ws://${base}/v1/sessions/never/events?wait=1`, READ);
    expect(await none.done).toEqual({ code: 1008, reason: 'session_not_found' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    const bad = await subscribeSse(`http://${base}/v1/sessions/never/events?wait=9999`, READ);
    expect(bad.status).toBe(400);
  });

  it('with no keys configured at all (development), subscriptions are open', async () => {
    const open = await startTestServer({ historySeconds: 5 });
    try {
      const run = streamChunks(open.url, startMessage('dev'), audio.packets, { chunkSeconds: audio.packetSeconds, pace: 4 });
      await expect.poll(async () => ((await (await fetch(`${open.http}/v1/sessions`)).json()) as { sessions: unknown[] }).sessions.length).toBe(1);
      const sub = await subscribeSse(`${open.http}/v1/sessions/dev/events`);
      expect(sub.status).toBe(200);
      const { client } = await run;
      await sub.done;
      expect(sub.ends()).toHaveLength(1);
      expect(sub.emotions().map((m) => m.second)).toEqual(client.emotions.map((m) => m.second).slice(-sub.emotions().length));
    } finally {
      await open.server.drain();
    }
  });
});

/**
 * A subscriber whose transport stops taking bytes (a Writable whose writes never complete, as a
 * socket to a client that stopped reading) is dropped at its byte limit; publishing on the bus
 * never waits for it, and another subscriber of the same session receives everything. (An
 * end-to-end version over loopback TCP would need megabytes of labels to fill the kernel's
 * socket buffers, hours of audio.)
 */
describe('slow subscribers', () => {
  class StuckSink implements SubscriberSink {
    readonly stream = new Writable({ highWaterMark: 16, write: () => undefined });
    closedWith?: string;
    constructor(private readonly limit: number) {}
    send(m: SubscriptionMessage): boolean {
      if (this.stream.writableLength > this.limit) return false;
      this.stream.write(JSON.stringify(m));
      return true;
    }
    close(error?: { code: string }): void {
      this.closedWith = error?.code ?? 'normal';
    }
  }
  class ListSink implements SubscriberSink {
    readonly messages: SubscriptionMessage[] = [];
    closed = false;
    send(m: SubscriptionMessage): boolean {
      this.messages.push(m);
      return true;
    }
    close(): void {
      this.closed = true;
    }
  }

  it('is dropped at its limit; the session and the other subscriber are unaffected', async () => {
    const bus = new InProcessBus(10);
    const info = { sessionId: 's1', source: 'stream', encoding: 'opus', startedAt: new Date().toISOString() } as const;
    bus.open(info);
    const stuck = new StuckSink(2000);
    const fine = new ListSink();
    let dropped = false;
    await Subscriber.start(bus, [info], stuck, 10, (d) => (dropped = d));
    await Subscriber.start(bus, [info], fine, 10);
    const t0 = performance.now();
    for (let s = 1; s <= 100; s++) {
      bus.publish({ type: 'emotion', sessionId: 's1', seq: s, second: s, startMs: s * 1000 - 1000, endMs: s * 1000, voiced: true, label: 'neutral', scores: { neutral: 1 } });
    }
    bus.publish({ type: 'end', sessionId: 's1', seq: 101, seconds: 100, reason: 'stop', summary: { label: 'neutral', scores: { neutral: 1 }, voicedSeconds: 100, durationMs: 100000, segments: [], voicedShare: {}, peakArousal: null, alerts: [], alertCounts: {} } });
    const publishMs = performance.now() - t0;
    expect(dropped).toBe(true);
    expect(stuck.closedWith).toBe('subscriber_too_slow');
    expect(stuck.stream.writableLength).toBeLessThan(2000 + 300);
    expect(fine.messages.map((m) => m.type)).toEqual(['subscribed', ...Array(100).fill('emotion'), 'end']);
    expect(fine.closed).toBe(true);
    expect(publishMs).toBeLessThan(1000);
  });
});
