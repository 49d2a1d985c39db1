/**
 * The default `npm start` (one worker per CPU, no REDIS_URL): the session bus goes through the
 * cluster primary (bus-hub.ts + cluster-bus.ts), so every listing, every WebSocket and every SSE
 * subscription sees every worker's sessions, whichever worker it lands on. Real server process
 * (the built CLI, default worker count), real clients, corpus audio. Issue 12 measured, before
 * this bus: 12 of 24 listings and 0 of 6 WebSocket subscriptions found their session, and a
 * Twilio call followed by its callSid delivered 0 of 40 labels. A worker killed mid-session: the
 * primary ends its session with reason `lost` for the subscribers on the other worker.
 */
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import type { SubscriptionMessage } from '../../core/protocol/index.js';
import { StreamClient, chunkBytes } from '../../test/clients/stream-client.js';
import { type TestSubscription, subscribeSse, subscribeWs } from '../../test/clients/subscription-client.js';
import { playTwilioCall, sid, toMulaw8k } from '../../test/clients/twilio-client.js';
import { corpusFile, longestRow, manifestRows } from '../../test/corpora.js';
import { f32leBytes } from '../../test/harness.js';
import { type ServerProcess, startServer } from '../../test/server-process.js';
import type { SessionInfo } from './session-event.js';

const START = { type: 'start', encoding: 'pcm_f32le', sampleRate: 16000, channels: 1 } as const;
const SESSIONS = 6;

let server: ServerProcess;

beforeAll(async () => {
  // No --workers: the default, one worker per CPU.
  server = await startServer([]);
});

afterAll(async () => {
  await server?.kill();
});

async function listed(): Promise<SessionInfo[]> {
  return ((await (await fetch(`${server.http}/v1/sessions`)).json()) as { sessions: SessionInfo[] }).sessions;
}

function plain(m: SubscriptionMessage): unknown {
  const { sessionId: _id, seq: _seq, ...rest } = m as SubscriptionMessage & { sessionId: string; seq: number };
  return rest;
}

describe('the default cluster without Redis: one session bus through the primary', () => {
  it('runs one worker per CPU', () => {
    expect(server.logs.find((l) => l.msg === 'listening')).toMatchObject({ workers: availableParallelism() });
  });

  it(`${SESSIONS} sessions: every listing and every WS and SSE subscription finds each, every label in order`, async () => {
    const rows = manifestRows()
      .filter((r) => r.durationS > 4 && r.durationS < 6)
      .slice(0, SESSIONS);
    const audio = await Promise.all(rows.map(async (r) => chunkBytes(f32leBytes(await decodeAudioFile(corpusFile(r))), [6400])));
    const clients = await Promise.all(
      audio.map(async (_a, i) => {
        const c = await StreamClient.connect(server.url);
        c.sendJson({ ...START, key: `agent-${i}` });
        return { client: c, ready: await c.next('ready') };
      }),
    );
    const ids = clients.map((c) => c.ready.sessionId);
    // Right after start: each session is listed by every listing (several, so they land on every worker).
    for (let n = 0; n < 4; n++) expect((await listed()).map((s) => s.sessionId)).toEqual(expect.arrayContaining(ids));
    const subs: { ws: TestSubscription; sse: TestSubscription }[] = await Promise.all(
      clients.map(async ({ ready }, i) => ({
        ws: await subscribeWs(`ws://127.0.0.1:${server.port}/v1/sessions/agent-${i}/events`),
        sse: await subscribeSse(`${server.http}/v1/sessions/${ready.sessionId}/events`),
      })),
    );
    await Promise.all(subs.flatMap((s) => [s.ws.waitFor(1), s.sse.waitFor(1)]));
    // Twice real time, all sessions at once.
    await Promise.all(
      clients.map(async ({ client }, i) => {
        const t0 = performance.now();
        for (let k = 0; k < audio[i].length; k++) {
          const wait = t0 + k * 100 - performance.now();
          if (wait > 1) await new Promise((r) => setTimeout(r, wait));
          await client.sendBinary(audio[i][k]);
        }
        client.sendJson({ type: 'stop' });
        expect((await client.closed).code).toBe(1000);
      }),
    );
    const pids = new Set(server.logs.filter((l) => l.msg === 'session started').map((l) => l.pid));
    expect(pids.size).toBe(Math.min(availableParallelism(), SESSIONS));
    for (const [i, { client, ready }] of clients.entries()) {
      const want = client.relayed;
      expect(client.emotions.length).toBeGreaterThanOrEqual(4);
      for (const sub of [subs[i].ws, subs[i].sse]) {
        const done = await sub.done;
        expect(done.code === 1000 || done.code === 200).toBe(true);
        const [first, ...rest] = sub.messages;
        expect(first).toMatchObject({ type: 'subscribed', sessions: [expect.objectContaining({ sessionId: ready.sessionId, key: `agent-${i}` })] });
        expect(rest.map(plain)).toEqual(want);
        expect(rest.map((m) => (m as { seq: number }).seq)).toEqual(want.map((_m, k) => k + 1));
      }
    }
    expect(await listed()).toEqual([]);
  });

  it('a worker that dies (SIGKILL): its session ends with reason lost for subscribers on the other worker, and leaves the listing', async () => {
    const client = await StreamClient.connect(server.url);
    client.sendJson({ ...START, key: 'doomed-worker' });
    const ready = await client.next('ready');
    // Round-robin spreads subscriptions over both workers: those on the other worker stay open.
    const subs = await Promise.all([0, 1, 2, 3].map(() => subscribeWs(`ws://127.0.0.1:${server.port}/v1/sessions/doomed-worker/events`)));
    await Promise.all(subs.map((s) => s.waitFor(1)));
    const samples = await decodeAudioFile(corpusFile(manifestRows().find((r) => r.durationS > 4)!));
    const chunks = chunkBytes(f32leBytes(samples), [6400]);
    for (const chunk of chunks.slice(0, 25)) await client.sendBinary(chunk);
    await expect.poll(() => client.emotions.length).toBeGreaterThanOrEqual(2);
    const pid = server.logs.find((l) => l.msg === 'session started' && l.key === 'doomed-worker')?.pid as number;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    const closes = await Promise.all(subs.map((s) => s.done));
    const survivors = subs.filter((s) => s.ends().length > 0);
    expect(survivors.length).toBeGreaterThanOrEqual(1);
    for (const sub of survivors) {
      const seconds = sub.emotions().map((e) => e.second);
      expect(seconds).toEqual(seconds.map((_s, i) => i + 1));
      expect(sub.ends()).toEqual([expect.objectContaining({ reason: 'lost', sessionId: ready.sessionId, seconds: seconds.length, seq: seconds.length + 1 })]);
    }
    // The others were served by the dead worker: their sockets went with it.
    expect(closes.filter((c) => c.code === 1000).length).toBe(survivors.length);
    await expect.poll(async () => (await listed()).map((s) => s.key)).not.toContain('doomed-worker');
    // The primary forks a new worker: the server is ready again.
    await expect.poll(async () => (await fetch(`${server.http}/readyz`)).status, { timeout: 60_000 }).toBe(200);
  });

  it('a Twilio call followed by its callSid (the subscriber waits for it with ?wait=) gets every label', async () => {
    const callSid = sid('CA');
    const waiting = subscribeSse(`${server.http}/v1/sessions/${callSid}/events?track=inbound&wait=60`);
    const caller = toMulaw8k(await decodeAudioFile(corpusFile(longestRow())));
    let ws!: TestSubscription;
    const run = await playTwilioCall(`ws://127.0.0.1:${server.port}/v1/twilio`, {
      callSid,
      tracks: { inbound: caller },
      pace: 4,
      afterStart: async () => {
        await expect.poll(async () => (await listed()).filter((s) => s.key === callSid).length).toBe(1);
        ws = await subscribeWs(`ws://127.0.0.1:${server.port}/v1/sessions/${callSid}/events`);
      },
    });
    expect(run.close.code).toBe(1000);
    const sse = await waiting;
    expect(sse.status).toBe(200);
    for (const sub of [sse, ws]) {
      await sub.done;
      const seconds = sub.emotions().map((m) => m.second);
      expect(seconds.length).toBeGreaterThanOrEqual(7);
      expect(seconds).toEqual(seconds.map((_s, i) => i + 1));
      expect(sub.ends()).toEqual([expect.objectContaining({ reason: 'stop', seconds: seconds.length })]);
    }
  });
});
