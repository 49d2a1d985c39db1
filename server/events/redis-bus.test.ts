/**
 * The Redis session bus across processes: a real redis-server (its own port) and two real server
 * processes (the built CLI, `serve --workers 1 --redis-url ...`). Audio goes into one; on the
 * other, the session is listed, and a WebSocket subscriber, an SSE subscriber and one that joins
 * mid-stream (served from the Redis history) each receive every label exactly once and in order,
 * then the end; the listing is empty afterwards on both. A Twilio call into the second process is
 * followed from the first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import { corpusFile, longestRow } from '../../test/corpora.js';
import { type TestRedis, startRedis } from '../../test/redis.js';
import { type ServerProcess, startServer } from '../../test/server-process.js';
import type { SubscriptionMessage } from '../../core/protocol/index.js';
import type { SessionInfo } from './session-event.js';
import { opusPackets } from '../../test/harness.js';
import { StreamClient } from '../../test/clients/stream-client.js';
import { type TestSubscription, subscribeSse, subscribeWs } from '../../test/clients/subscription-client.js';
import { playTwilioCall, sid, toMulaw8k } from '../../test/clients/twilio-client.js';

let redis: TestRedis;
let a: ServerProcess;
let b: ServerProcess;
let audio: Awaited<ReturnType<typeof opusPackets>>;

beforeAll(async () => {
  redis = await startRedis();
  [a, b] = await Promise.all([startServer(['--workers', '1', '--redis-url', redis.url, '--history-seconds', '60']), startServer(['--workers', '1'], { env: { REDIS_URL: redis.url, UNDERTONE_HISTORY_SECONDS: '60' } })]);
  audio = await opusPackets(corpusFile(longestRow()));
});

afterAll(async () => {
  await Promise.all([a?.kill(), b?.kill()]);
  await redis?.stop();
});

async function listed(s: ServerProcess): Promise<SessionInfo[]> {
  return ((await (await fetch(`http://127.0.0.1:${s.port}/v1/sessions`)).json()) as { sessions: SessionInfo[] }).sessions;
}

function plain(m: SubscriptionMessage): unknown {
  const { sessionId: _id, seq: _seq, ...rest } = m as SubscriptionMessage & { sessionId: string; seq: number };
  return rest;
}

describe('Redis session bus across two server processes', () => {
  it('audio into one process, subscribers on the other: every label once, in order, then end', async () => {
    const client = await StreamClient.connect(`ws://127.0.0.1:${a.port}/v1/stream`);
    client.sendJson({ type: 'start', encoding: 'opus', sampleRate: 48000, channels: audio.channels, preSkip: audio.preSkip, key: 'cross-replica' });
    const ready = await client.next('ready');
    await expect.poll(async () => (await listed(b)).map((s) => s.sessionId)).toEqual([ready.sessionId]);
    expect((await listed(b))[0]).toMatchObject({ key: 'cross-replica', source: 'stream', encoding: 'opus' });
    const ws = await subscribeWs(`ws://127.0.0.1:${b.port}/v1/sessions/cross-replica/events`);
    const sse = await subscribeSse(`http://127.0.0.1:${b.port}/v1/sessions/${ready.sessionId}/events`);
    await Promise.all([ws.waitFor(1), sse.waitFor(1)]);
    let late: TestSubscription | undefined;
    for (let i = 0; i < audio.packets.length; i++) {
      await client.sendBinary(audio.packets[i]);
      await new Promise((r) => setTimeout(r, (audio.packetSeconds[i] * 1000) / 4));
      // Late once process b has seen three labels (its first subscriber got them): a's client
      // can hold a label whose history append and publish (one MULTI) are still in flight.
      if (!late && ws.messages.length >= 4) late = await subscribeWs(`ws://127.0.0.1:${b.port}/v1/sessions/cross-replica/events`);
    }
    client.sendJson({ type: 'stop' });
    expect((await client.closed).code).toBe(1000);
    const want = client.relayed;
    expect(client.emotions.length).toBeGreaterThanOrEqual(7);
    for (const sub of [ws, sse, late!]) {
      const done = await sub.done;
      expect(done.code === 1000 || done.code === 200).toBe(true);
      const [first, ...rest] = sub.messages;
      expect(first).toMatchObject({ type: 'subscribed', sessions: [expect.objectContaining({ sessionId: ready.sessionId })] });
      expect(rest.map(plain)).toEqual(want);
      expect(rest.map((m) => (m as { seq: number }).seq)).toEqual(want.map((_m, i) => i + 1));
    }
    expect((late!.messages[0] as { history: number }).history).toBeGreaterThanOrEqual(3);
    expect(await listed(a)).toEqual([]);
    expect(await listed(b)).toEqual([]);
  });

  it('a Twilio call into the second process is followed, by callSid and track, from the first', async () => {
    const callSid = sid('CA');
    let sub!: TestSubscription;
    const caller = toMulaw8k(await decodeAudioFile(corpusFile(longestRow())));
    const run = await playTwilioCall(`ws://127.0.0.1:${b.port}/v1/twilio`, {
      callSid,
      tracks: { inbound: caller, outbound: caller.subarray(0, 8000 * 2) },
      pace: 8,
      afterStart: async () => {
        await expect.poll(async () => (await listed(a)).filter((s) => s.key === callSid).length).toBe(2);
        sub = await subscribeSse(`http://127.0.0.1:${a.port}/v1/sessions/${callSid}/events?track=inbound`);
      },
    });
    expect(run.close.code).toBe(1000);
    await sub.done;
    const seconds = sub.emotions().map((m) => m.second);
    expect(seconds).toEqual(seconds.map((_s, i) => i + 1));
    expect(seconds.length).toBeGreaterThanOrEqual(7);
    expect(sub.ends()).toEqual([expect.objectContaining({ reason: 'stop', seconds: seconds.length })]);
  });
});
