/**
 * `--overload-refusal http`: an overloaded refusal is sent as HTTP 503 with Retry-After and the
 * protocol's JSON error instead of the WebSocket handshake (no 101, no frames), is counted like
 * the 1013 one, and frees nothing it never took: once the admitted session ends, the next client
 * is admitted. Unknown paths still get a bare 404. Real server on a loopback port, real `ws`
 * clients and a raw TCP upgrade request.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/harness.js';
import { HandshakeRefused, StreamClient, streamChunks } from '../../test/clients/stream-client.js';
import { readMetric } from '../../test/server-process.js';

const START = { type: 'start', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 } as const;

/** The raw bytes the server answers a WebSocket upgrade of `path` with (until it closes the socket). */
function rawUpgrade(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      );
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
  });
}

describe('--overload-refusal http', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ maxSessions: 1, retryAfterMs: 3000, overloadRefusal: 'http' });
  });
  afterAll(async () => {
    await srv.server.drain();
  });

  it('refuses past the ceiling with 503, Retry-After and the JSON error, before any handshake; admits again once the slot frees', async () => {
    const first = await StreamClient.connect(srv.url);
    first.sendJson(START);
    await first.next('ready');

    const refused = await StreamClient.connect(srv.url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(HandshakeRefused);
    const r = refused as HandshakeRefused;
    expect(r.status).toBe(503);
    expect(r.error).toMatchObject({ type: 'error', code: 'overloaded', message: expect.stringMatching(/ceiling of 1 sessions/) });
    expect(r.error!.retryAfterMs).toBeGreaterThanOrEqual(3000);
    expect(r.error!.retryAfterMs).toBeLessThanOrEqual(3000 * 1.5 * 16);
    expect(r.retryAfterSeconds).toBe(Math.ceil(r.error!.retryAfterMs! / 1000));

    // On the wire: a 503 and nothing of a WebSocket (no 101, no Sec-WebSocket-Accept).
    const port = Number(new URL(srv.url).port);
    const raw = await rawUpgrade(port, '/v1/stream');
    expect(raw).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(raw).toMatch(/\r\nRetry-After: \d+\r\n/);
    expect(raw).not.toMatch(/Sec-WebSocket-Accept/i);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toMatchObject({ type: 'error', code: 'overloaded' });
    expect(await readMetric(srv.http, 'undertone_sessions_shed_total{limit="sessions"}')).toBe(2);
    expect(await readMetric(srv.http, 'undertone_errors_total{code="overloaded"}')).toBe(2);

    // The admitted session was not disturbed, and its slot serves the next client once it ends.
    await first.sendBinary(new Uint8Array(32000));
    first.sendJson({ type: 'stop' });
    expect((await first.closed).code).toBe(1000);
    expect(first.emotions).toHaveLength(1);
    const next = await streamChunks(srv.url, START, [new Uint8Array(32000)]);
    expect(next.closed.code).toBe(1000);
    expect(next.client.emotions).toHaveLength(1);
  });

  it('an unknown path still gets a bare 404', async () => {
    const raw = await rawUpgrade(Number(new URL(srv.url).port), '/v1/nowhere');
    expect(raw).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(raw).toMatch(/Content-Length: 0\r\n\r\n$/);
  });
});
