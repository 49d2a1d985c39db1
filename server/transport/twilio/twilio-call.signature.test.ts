/**
 * /v1/twilio with a Twilio auth token configured: a handshake without X-Twilio-Signature, with a
 * signature by another token, or over another URL is refused with HTTP 403 (JSON `unauthorized`)
 * before the WebSocket opens, so no media is ever read; one signed as Twilio signs it (HMAC-SHA1
 * of the full ws:// URL with the token, base64) streams and gets labelled. Real server, real
 * WebSocket client, corpus audio.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { decodeAudioFile } from '../../../core/audio/decode-file.js';
import { playTwilioCall, toMulaw8k } from '../../../test/clients/twilio-client.js';
import { corpusFile, manifestRows } from '../../../test/corpora.js';
import { type TestServer, startTestServer } from '../../../test/harness.js';
import { readMetric } from '../../../test/server-process.js';
import { twilioSignature } from './signature.js';

const TOKEN = 'twilio-auth-token-under-test';
let srv: TestServer;
let url: string;

beforeAll(async () => {
  srv = await startTestServer({ twilioAuthTokens: ['rotated-out', TOKEN] });
  url = `ws://127.0.0.1:${srv.server.port}/v1/twilio?tenant=7`;
});

afterAll(async () => {
  await srv?.server.drain();
});

/** The handshake's HTTP answer when the upgrade is refused. */
function handshake(headers: Record<string, string>): Promise<{ status: number; body: string } | 'open'> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    ws.on('error', () => undefined);
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
  });
}

describe('X-Twilio-Signature on /v1/twilio', () => {
  it('refuses a missing, foreign or wrong-URL signature with 403 before the upgrade', async () => {
    const refusals = [
      await handshake({}),
      await handshake({ 'X-Twilio-Signature': twilioSignature('another-account', url) }),
      await handshake({ 'X-Twilio-Signature': twilioSignature(TOKEN, url.replace('tenant=7', 'tenant=8')) }),
    ];
    for (const r of refusals) {
      expect(r).not.toBe('open');
      const { status, body } = r as { status: number; body: string };
      expect(status).toBe(403);
      expect(JSON.parse(body)).toMatchObject({ type: 'error', code: 'unauthorized', message: expect.stringContaining('X-Twilio-Signature'.toLowerCase()) });
    }
    expect(await readMetric(srv.http, 'undertone_errors_total{code="unauthorized"}')).toBe(3);
    expect(srv.server.liveConnections).toBe(0);
  });

  it('streams a call whose handshake Twilio signed (either configured token)', async () => {
    const audio = toMulaw8k(await decodeAudioFile(corpusFile(manifestRows().find((r) => r.durationS > 3 && r.durationS < 5)!)));
    const run = await playTwilioCall(url, { tracks: { inbound: audio }, headers: { 'X-Twilio-Signature': twilioSignature(TOKEN, url) } });
    expect(run.close.code).toBe(1000);
    const text = await (await fetch(`${srv.http}/metrics`)).text();
    const labels = [...text.matchAll(/^undertone_labels_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(labels).toBeGreaterThanOrEqual(3);
  });
});
