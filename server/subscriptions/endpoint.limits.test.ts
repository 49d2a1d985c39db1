/**
 * Subscriber limits on a real server: at most --max-subscribers-per-session subscribers of one
 * session and --max-subscribers in the process; the next one is refused with
 * `too_many_subscribers` (WebSocket: error message with retryAfterMs, close 1013; SSE: HTTP 429
 * with the same JSON), the admitted ones keep receiving labels, and a place freed by a subscriber
 * that leaves is taken by the next.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import { StreamClient, chunkBytes } from '../../test/clients/stream-client.js';
import { type TestSubscription, subscribeSse, subscribeWs } from '../../test/clients/subscription-client.js';
import { corpusFile, manifestRows } from '../../test/corpora.js';
import { type TestServer, f32leBytes, startTestServer } from '../../test/harness.js';
import { readMetric } from '../../test/server-process.js';

const START = { type: 'start', encoding: 'pcm_f32le', sampleRate: 16000, channels: 1 } as const;
let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer({ maxSubscribersPerSession: 2, maxSubscribers: 3, retryAfterMs: 1000 });
});

afterAll(async () => {
  await srv?.server.drain();
});

async function open(key: string): Promise<StreamClient> {
  const c = await StreamClient.connect(srv.url);
  c.sendJson({ ...START, key });
  await c.next('ready');
  return c;
}

const events = (key: string): string => `ws://127.0.0.1:${srv.server.port}/v1/sessions/${key}/events`;

describe('subscriber limits', () => {
  it('per session and per process: refused with too_many_subscribers (WS 1013, SSE 429); admitted ones get every label', async () => {
    const a = await open('limit-a');
    const b = await open('limit-b');
    const a1 = await subscribeWs(events('limit-a'));
    const a2 = await subscribeSse(`${srv.http}/v1/sessions/limit-a/events`);
    await Promise.all([a1.waitFor(1), a2.waitFor(1)]);
    // A third subscriber of the same session.
    const a3 = await subscribeWs(events('limit-a'));
    expect((await a3.done).code).toBe(1013);
    expect(a3.messages).toEqual([expect.objectContaining({ type: 'error', code: 'too_many_subscribers', retryAfterMs: expect.any(Number) })]);
    const a4 = await subscribeSse(`${srv.http}/v1/sessions/limit-a/events`);
    expect(a4.status).toBe(429);
    expect(a4.messages[0]).toMatchObject({ type: 'error', code: 'too_many_subscribers' });
    // Another session: one more fits the process (3), the next does not.
    const b1 = await subscribeWs(events('limit-b'));
    await b1.waitFor(1);
    const b2 = await subscribeWs(events('limit-b'));
    expect((await b2.done).code).toBe(1013);
    expect(b2.messages[0]).toMatchObject({ code: 'too_many_subscribers', message: expect.stringContaining('limit of 3 subscribers') });
    // A place freed is taken by the next.
    b1.close();
    await b1.done;
    let b3!: TestSubscription;
    await expect
      .poll(async () => {
        b3 = await subscribeWs(events('limit-b'));
        await Promise.race([b3.waitFor(1), b3.done]);
        return b3.messages[0]?.type;
      })
      .toBe('subscribed');
    // The admitted subscribers of A get every label.
    const samples = await decodeAudioFile(corpusFile(manifestRows().find((r) => r.durationS > 3 && r.durationS < 5)!));
    for (const chunk of chunkBytes(f32leBytes(samples), [6400])) await a.sendBinary(chunk);
    a.sendJson({ type: 'stop' });
    b.sendJson({ type: 'stop' });
    await Promise.all([a.closed, b.closed, a1.done, a2.done, b3.done]);
    for (const sub of [a1, a2]) expect(sub.emotions().map((e) => e.second)).toEqual(a.emotions.map((e) => e.second));
    expect(a.emotions.length).toBeGreaterThanOrEqual(3);
    expect(await readMetric(srv.http, 'undertone_errors_total{code="too_many_subscribers"}')).toBeGreaterThanOrEqual(3);
  });
});
