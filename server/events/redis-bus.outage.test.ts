/**
 * The Redis bus when things fail, with real processes: a real redis-server and server processes
 * from the built CLI (`serve --workers 1 --redis-url ...`).
 * - A replica that dies (SIGKILL) mid-stream: the subscribers of its session on another replica
 *   get the labels published so far, in order, then `end` with reason `lost` within the heartbeat
 *   bound (replica TTL 5 s + one 1 s check), and the listing drops the session.
 * - Redis stopped mid-stream: the audio session keeps getting labels; its live subscriber is told
 *   `bus_unavailable` (1013); the listing answers 503 `bus_unavailable`; once redis-server is back
 *   (same port) the session is listed again, a new subscriber gets the remaining labels and the
 *   end, and /metrics counts the labels not shared meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamClient, chunkBytes } from '../../test/clients/stream-client.js';
import { type TestSubscription, subscribeSse, subscribeWs } from '../../test/clients/subscription-client.js';
import { speechSeconds } from '../../test/corpora.js';
import { f32leBytes } from '../../test/harness.js';
import { type TestRedis, startRedis } from '../../test/redis.js';
import { type ServerProcess, readMetric, startServer } from '../../test/server-process.js';
import type { SessionInfo } from './session-event.js';

const START = { type: 'start', encoding: 'pcm_f32le', sampleRate: 16000, channels: 1 } as const;
let redis: TestRedis;
let audio: Uint8Array[];

beforeAll(async () => {
  redis = await startRedis();
  // 20 s of speech in 100 ms messages.
  audio = chunkBytes(f32leBytes(await speechSeconds(20)), [6400]);
});

afterAll(async () => {
  await redis?.stop();
});

async function listing(s: ServerProcess): Promise<{ status: number; sessions?: SessionInfo[]; code?: string }> {
  const res = await fetch(`${s.http}/v1/sessions`);
  const body = (await res.json()) as { sessions?: SessionInfo[]; code?: string };
  return { status: res.status, ...body };
}

/** Streams `chunks` at `speed` x real time (100 ms each) until `stopAt` says stop; does not send stop. */
async function stream(client: StreamClient, chunks: Uint8Array[], speed: number, stopAt: () => boolean = () => false): Promise<void> {
  const t0 = performance.now();
  for (let k = 0; k < chunks.length && !stopAt(); k++) {
    const wait = t0 + (k * 100) / speed - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (client.ws.readyState !== client.ws.OPEN) return;
    await client.sendBinary(chunks[k]);
  }
}

describe('a replica that dies', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  beforeAll(async () => {
    [a, b] = await Promise.all([startServer(['--workers', '1', '--redis-url', redis.url]), startServer(['--workers', '1', '--redis-url', redis.url])]);
  });
  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
  });

  it('its sessions end with reason lost for subscribers on other replicas, and leave the listing', async () => {
    const client = await StreamClient.connect(a.url);
    client.sendJson({ ...START, key: 'doomed' });
    const ready = await client.next('ready');
    await expect.poll(async () => (await listing(b)).sessions?.map((s) => s.sessionId)).toEqual([ready.sessionId]);
    const ws = await subscribeWs(`ws://127.0.0.1:${b.port}/v1/sessions/doomed/events`);
    const sse = await subscribeSse(`${b.http}/v1/sessions/${ready.sessionId}/events`);
    await Promise.all([ws.waitFor(1), sse.waitFor(1)]);
    void stream(client, audio, 2);
    await expect.poll(() => client.emotions.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(4);
    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    await Promise.all([ws.done, sse.done]);
    const boundMs = Date.now() - killedAt;
    process.stderr.write(`lost after ${boundMs} ms\n`);
    // Replica TTL 5 s, checked every 1 s, plus delivery.
    expect(boundMs).toBeLessThan(8000);
    for (const sub of [ws, sse]) {
      const seconds = sub.emotions().map((e) => e.second);
      expect(seconds.length).toBeGreaterThanOrEqual(4);
      expect(seconds).toEqual(seconds.map((_s, i) => i + 1));
      expect(sub.ends()).toEqual([expect.objectContaining({ reason: 'lost', seconds: seconds.length, seq: seconds.length + 1, sessionId: ready.sessionId })]);
    }
    expect((await listing(b)).sessions).toEqual([]);
  });
});

describe('a Redis outage', () => {
  let s: ServerProcess;
  beforeAll(async () => {
    s = await startServer(['--workers', '1', '--redis-url', redis.url]);
  });
  afterAll(async () => {
    await s?.kill();
  });

  it('audio keeps being labelled; subscribers get bus_unavailable; everything recovers when Redis is back', async () => {
    const client = await StreamClient.connect(s.url);
    client.sendJson({ ...START, key: 'through-outage' });
    const ready = await client.next('ready');
    const before = await subscribeWs(`ws://127.0.0.1:${s.port}/v1/sessions/through-outage/events`);
    let stopStreaming = false;
    const streaming = stream(client, audio, 1, () => stopStreaming);
    await expect.poll(() => before.emotions().length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);

    await redis.stop();
    const labelsAtOutage = client.emotions.length;
    // The live subscriber is told, with a retryable code.
    expect((await before.done).code).toBe(1013);
    expect(before.messages.at(-1)).toMatchObject({ type: 'error', code: 'bus_unavailable', retryAfterMs: expect.any(Number) });
    // Listing and new subscriptions: a clear error, not a hang or a crash.
    await expect.poll(async () => (await listing(s)).status).toBe(503);
    expect(await listing(s)).toMatchObject({ code: 'bus_unavailable' });
    const refusedSse = await subscribeSse(`${s.http}/v1/sessions/through-outage/events`);
    expect(refusedSse.status).toBe(503);
    expect(refusedSse.messages[0]).toMatchObject({ code: 'bus_unavailable' });
    // The audio session is labelled on: 3 more seconds while Redis is down.
    await expect.poll(() => client.emotions.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(labelsAtOutage + 3);
    expect(await readMetric(s.http, 'undertone_bus_up')).toBe(0);

    redis = await startRedis(redis.port);
    // Back: the session is listed again, and a new subscriber follows it to its end.
    await expect.poll(async () => (await listing(s)).sessions?.map((x) => x.sessionId), { timeout: 15_000 }).toEqual([ready.sessionId]);
    const after: TestSubscription = await subscribeWs(`ws://127.0.0.1:${s.port}/v1/sessions/through-outage/events`);
    await after.waitFor(1);
    expect(after.messages[0]).toMatchObject({ type: 'subscribed' });
    const labelsAtResubscribe = client.emotions.length;
    await expect.poll(() => after.emotions().length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    stopStreaming = true;
    await streaming;
    client.sendJson({ type: 'stop' });
    expect((await client.closed).code).toBe(1000);
    await after.done;
    // Every label published after the new subscription, in order, then the end.
    const got = after.emotions().map((e) => e.second);
    const all = client.emotions.map((e) => e.second);
    expect(got).toEqual(all.slice(all.indexOf(got[0])));
    expect(got[0]).toBeLessThanOrEqual(labelsAtResubscribe + 1);
    expect(after.ends()).toEqual([expect.objectContaining({ reason: 'stop', seconds: client.emotions.length })]);
    expect(await readMetric(s.http, 'undertone_bus_events_dropped_total')).toBeGreaterThanOrEqual(3);
    expect(await readMetric(s.http, 'undertone_bus_up')).toBe(1);
  });
});
