/**
 * --max-sessions-per-key: one API key (a tenant) holds at most N live audio connections across
 * the server; the next gets `key_session_limit` (error with retryAfterMs, close 1013) before any
 * audio, other keys are not affected, and a connection that ends frees its place. A Twilio call
 * counts against the key in its customParameters.token. In cluster mode (real server process, two
 * workers) the count is kept by the primary, so it holds whichever worker a connection lands on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamClient } from '../../test/clients/stream-client.js';
import { playTwilioCall } from '../../test/clients/twilio-client.js';
import { type TestServer, startTestServer } from '../../test/harness.js';
import { readMetric, startServer } from '../../test/server-process.js';

const START = { type: 'start', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 } as const;
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/** Opens a connection with `key`; resolves with the client once it is ready or refused. */
async function connect(url: string, key: string): Promise<StreamClient> {
  const c = await StreamClient.connect(url, bearer(key));
  c.sendJson(START);
  await Promise.race([c.next('ready'), c.closed]);
  return c;
}

describe('per-key limit, one process', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ apiKeys: ['tenant-a', 'tenant-b'], maxSessionsPerKey: 2 });
  });
  afterAll(async () => {
    await srv?.server.drain();
  });

  it('the third connection of a key is refused with key_session_limit; other keys get in; a freed place is reused', async () => {
    const held = [await connect(srv.url, 'tenant-a'), await connect(srv.url, 'tenant-a')];
    for (const c of held) expect(c.messages[0]).toMatchObject({ type: 'ready' });
    const third = await connect(srv.url, 'tenant-a');
    expect((await third.closed).code).toBe(1013);
    expect(third.error).toMatchObject({ code: 'key_session_limit', retryAfterMs: expect.any(Number), message: expect.stringContaining('limit of 2') });
    const other = await connect(srv.url, 'tenant-b');
    expect(other.messages[0]).toMatchObject({ type: 'ready' });
    // A Twilio call with the same key is one more connection of it: refused at its start.
    const call = await playTwilioCall(`ws://127.0.0.1:${srv.server.port}/v1/twilio`, { tracks: { inbound: new Uint8Array(1600).fill(0xff) }, customParameters: { token: 'tenant-a' } });
    expect(call.close.code).toBe(1013);
    expect(call.close.reason).toBe('key_session_limit');
    held[0].sendJson({ type: 'stop' });
    await held[0].closed;
    const again = await connect(srv.url, 'tenant-a');
    expect(again.messages[0]).toMatchObject({ type: 'ready' });
    for (const c of [held[1], other, again]) c.sendJson({ type: 'stop' });
    await Promise.all([held[1], other, again].map((c) => c.closed));
    expect(await readMetric(srv.http, 'undertone_sessions_shed_total{limit="key"}')).toBe(2);
  });
});

describe('per-key limit, two workers', () => {
  it('holds across workers (the primary counts)', async () => {
    const server = await startServer(['--workers', '2', '--api-keys', 'tenant-a', '--max-sessions-per-key', '3', '--latency-target-ms', '0']);
    try {
      const held = await Promise.all([0, 1, 2].map(() => connect(server.url, 'tenant-a')));
      for (const c of held) expect(c.messages[0]).toMatchObject({ type: 'ready' });
      const refused = await Promise.all([0, 1].map(() => connect(server.url, 'tenant-a')));
      for (const c of refused) {
        expect((await c.closed).code).toBe(1013);
        expect(c.error?.code).toBe('key_session_limit');
      }
      for (const c of held) c.sendJson({ type: 'stop' });
      await Promise.all(held.map((c) => c.closed));
      expect(await connect(server.url, 'tenant-a').then((c) => c.messages[0]?.type)).toBe('ready');
    } finally {
      await server.kill();
    }
  });
});
