/**
 * Access control on a real server: API keys from a file and a list, presented as a Bearer header,
 * the undertone.bearer subprotocol (with undertone.v1 echoed), ?token= and the deprecated
 * ?api_key=; refusals (1008) before any audio is read; allowed browser Origins; /metrics on its
 * own port and behind a key.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { parseServerMessage, type ServerMessage } from '../../core/protocol/index.js';
import { keyProtocols } from '../../client-sdk/session.js';
import { bearerProtocol } from './access.js';
import { loadConfig } from '../process/config.js';
import { type TestServer, startTestServer } from '../../test/harness.js';

const START = { type: 'start', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 };
const ONE_SECOND = new Uint8Array(32000);

interface Outcome {
  readonly messages: ServerMessage[];
  readonly code: number;
  readonly protocol: string;
}

/** Connects, sends start + one second of audio + stop right away, and collects what comes back. */
function session(url: string, options: { headers?: Record<string, string>; protocols?: string[] } = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers, perMessageDeflate: false });
    const messages: ServerMessage[] = [];
    ws.on('error', reject);
    ws.on('open', () => {
      // Sent without waiting for ready: a refused client must not get this audio read.
      ws.send(JSON.stringify(START));
      ws.send(ONE_SECOND);
      ws.send(JSON.stringify({ type: 'stop' }));
    });
    ws.on('message', (data) => messages.push(parseServerMessage(data.toString())));
    ws.on('close', (code) => resolve({ messages, code, protocol: ws.protocol }));
  });
}

async function metric(base: string, name: string, headers: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, { headers })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('API keys', () => {
  let dir: string;
  let srv: TestServer;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'undertone-keys-'));
    const file = path.join(dir, 'keys.txt');
    writeFileSync(file, '# production keys\nfile-key-1\n\n  file-key-2  \n');
    const config = loadConfig(['--api-keys-file', file], { UNDERTONE_API_KEYS: 'env-key' }, '/unused');
    expect(config.apiKeys).toEqual(['env-key', 'file-key-1', 'file-key-2']);
    srv = await startTestServer({ apiKeys: config.apiKeys });
  });

  afterAll(async () => {
    await srv?.server.drain();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a key as Bearer header, subprotocol (echoing undertone.v1), ?token= and the deprecated ?api_key=', async () => {
    const accepted = [
      await session(srv.url, { headers: { Authorization: 'Bearer env-key' } }),
      await session(srv.url, { protocols: ['undertone.v1', bearerProtocol('file-key-2')] }),
      await session(`${srv.url}?token=file-key-1`),
      await session(`${srv.url}?api_key=file-key-2`),
    ];
    for (const o of accepted) {
      expect(o.code).toBe(1000);
      expect(o.messages.map((m) => m.type)).toEqual(['ready', 'emotion', 'end']);
    }
    // The server selects undertone.v1 and never echoes the key-bearing protocol.
    expect(accepted[1].protocol).toBe('undertone.v1');
    expect(accepted[0].protocol).toBe('');
  });

  it("the SDK's subprotocols are the server's form, for any UTF-8 key", () => {
    for (const key of ['k-123', 'clé+/=?', 'a'.repeat(200)]) expect(keyProtocols(key)).toEqual(['undertone.v1', bearerProtocol(key)]);
  });

  it('refuses a missing or wrong key with unauthorized + 1008 before reading any audio', async () => {
    const bytesBefore = await metric(srv.http, 'undertone_audio_bytes_total');
    const refused = [
      await session(srv.url),
      await session(srv.url, { headers: { Authorization: 'Bearer env-key-but-longer' } }),
      await session(srv.url, { protocols: ['undertone.v1', bearerProtocol('nope')] }),
      await session(`${srv.url}?token=FILE-KEY-1`),
      await session(srv.url, { headers: { Authorization: 'Basic ZW52LWtleQ==' } }),
    ];
    for (const o of refused) {
      expect(o.code).toBe(1008);
      expect(o.messages).toEqual([{ type: 'error', code: 'unauthorized', message: expect.stringMatching(/API key/) }]);
    }
    expect(await metric(srv.http, 'undertone_audio_bytes_total')).toBe(bytesBefore);
    expect(await metric(srv.http, 'undertone_sessions_total{encoding="pcm_s16le",band="wideband"}')).toBe(4);
  });

  it('an API key file that is missing or empty stops the configuration, naming the file', () => {
    expect(() => loadConfig(['--api-keys-file', path.join(dir, 'missing.txt')], {}, '/m')).toThrow(/missing\.txt.*ENOENT/);
    const empty = path.join(dir, 'empty.txt');
    writeFileSync(empty, '# none yet\n\n');
    expect(() => loadConfig([], { UNDERTONE_API_KEYS_FILE: empty }, '/m')).toThrow(/empty\.txt holds no keys/);
  });
});

describe('browser origins', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ allowedOrigins: ['https://app.example.com', 'http://localhost:3000'] });
  });
  afterAll(async () => {
    await srv?.server.drain();
  });

  it('allows listed origins and clients without Origin; refuses others with origin_not_allowed + 1008', async () => {
    for (const headers of [{ Origin: 'https://app.example.com' }, { Origin: 'http://localhost:3000' }, undefined]) {
      expect((await session(srv.url, { headers })).code).toBe(1000);
    }
    for (const origin of ['https://evil.example.com', 'http://app.example.com', 'https://app.example.com.evil.net', 'null']) {
      const o = await session(srv.url, { headers: { Origin: origin } });
      expect(o.code).toBe(1008);
      expect(o.messages).toEqual([{ type: 'error', code: 'origin_not_allowed', message: expect.stringContaining('not allowed') }]);
    }
  });
});

describe('/metrics', () => {
  it('on --metrics-port only, and behind a key', async () => {
    const srv = await startTestServer({ metricsPort: 0, metricsKeys: ['m-key'] });
    try {
      expect((await fetch(`${srv.http}/metrics`)).status).toBe(404);
      expect((await fetch(`${srv.http}/healthz`)).status).toBe(200);
      const base = `http://127.0.0.1:${srv.server.metricsPort}`;
      expect(srv.server.metricsPort).not.toBe(srv.server.port);
      const denied = await fetch(`${base}/metrics`);
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toMatch(/Bearer/);
      expect((await fetch(`${base}/metrics`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
      const ok = await fetch(`${base}/metrics`, { headers: { Authorization: 'Bearer m-key' } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('undertone_live_sessions');
      expect((await fetch(`${base}/healthz`)).status).toBe(404);
    } finally {
      await srv.server.drain();
    }
  });

  it('a key on the main port', async () => {
    const srv = await startTestServer({ metricsKeys: ['m-key'] });
    try {
      expect((await fetch(`${srv.http}/metrics`)).status).toBe(401);
      expect((await fetch(`${srv.http}/metrics`, { headers: { Authorization: 'Bearer m-key' } })).status).toBe(200);
    } finally {
      await srv.server.drain();
    }
  });
});
