/**
 * The browser entry (client-sdk/index.ts) stays browser-safe: its import graph is relative files
 * only (no `node:` modules, no `ws`), and with a global `WebSocket` it talks to a real server,
 * passing the API key as `?token=` (browsers cannot set headers). The Node entry sends it as a
 * header; a wrong key is refused with `unauthorized`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type TestServer, startTestServer } from '../test/harness.js';
import { connect as browserConnect } from './index.js';
import { UndertoneError, connect as nodeConnect } from './node.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Every module specifier imported (statically or by type) from `file`, recursively for relative ones. */
function importGraph(file: string, seen = new Map<string, string[]>()): Map<string, string[]> {
  if (seen.has(file)) return seen;
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/g),
    ...text.matchAll(/import\(\s*'([^']+)'\s*\)/g),
  ].map((m) => m[1]);
  seen.set(file, specs);
  for (const s of specs) if (s.startsWith('.')) importGraph(path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts')), seen);
  return seen;
}

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ apiKeys: ['k-123'] });
});
afterAll(async () => {
  await srv?.server.drain();
});

describe('browser entry', () => {
  it('imports only relative modules (no node:, no ws)', () => {
    const graph = importGraph(path.join(here, 'index.ts'));
    const files = [...graph.keys()].map((f) => path.relative(here, f));
    expect(files).toContain('session.ts');
    expect(files).not.toContain('node.ts');
    expect(files).not.toContain('file-stream.ts');
    const bare = [...graph.entries()].flatMap(([f, specs]) =>
      specs.filter((s) => !s.startsWith('.')).map((s) => `${path.relative(here, f)}: ${s}`),
    );
    expect(bare).toEqual([]);
  });

  it('without a global WebSocket (Node 20) connect says what to do', async () => {
    const had = (globalThis as { WebSocket?: unknown }).WebSocket;
    if (had) return;
    const err = await browserConnect({ url: srv.url, encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(UndertoneError);
    expect(err.message).toMatch(/no WebSocket implementation.*client-sdk\/node\.js/);
  });

  it('with a global WebSocket it streams to a real server, the token in ?token=', async () => {
    const g = globalThis as { WebSocket?: unknown };
    const had = g.WebSocket;
    g.WebSocket = WebSocket;
    try {
      const session = await browserConnect({ url: srv.url, token: 'k-123', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 });
      await session.sendPcm(new Int16Array(16000));
      const end = await session.stop();
      expect(end).toMatchObject({ reason: 'stop', seconds: 1, summary: { durationMs: 1000 } });
      const bad = await browserConnect({ url: srv.url, token: 'wrong', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 }).catch(
        (e) => e,
      );
      expect(bad).toMatchObject({ code: 'unauthorized', closeCode: 1008 });
    } finally {
      g.WebSocket = had;
    }
  });

  it("with tokenIn: 'subprotocol' the key travels as undertone.bearer.<base64url>, not in the URL", async () => {
    const g = globalThis as { WebSocket?: unknown };
    const had = g.WebSocket;
    const urls: string[] = [];
    g.WebSocket = class extends WebSocket {
      constructor(url: string, protocols?: string[]) {
        urls.push(url);
        super(url, protocols);
      }
    };
    try {
      const session = await browserConnect({
        url: srv.url,
        token: 'k-123',
        tokenIn: 'subprotocol',
        encoding: 'pcm_s16le',
        sampleRate: 16000,
        channels: 1,
      });
      await session.sendPcm(new Int16Array(16000));
      expect(await session.stop()).toMatchObject({ reason: 'stop', seconds: 1 });
      expect(urls).toEqual([srv.url]);
      const bad = await browserConnect({
        url: srv.url,
        token: 'wrong',
        tokenIn: 'subprotocol',
        encoding: 'pcm_s16le',
        sampleRate: 16000,
        channels: 1,
      }).catch((e) => e);
      expect(bad).toMatchObject({ code: 'unauthorized', closeCode: 1008 });
    } finally {
      g.WebSocket = had;
    }
  });

  it('the Node entry sends the token as a header', async () => {
    const session = await nodeConnect({ url: srv.url, token: 'k-123', encoding: 'pcm_f32le', sampleRate: 16000, channels: 1 });
    await session.sendPcm(new Float32Array(8000));
    expect((await session.stop()).summary.durationMs).toBeCloseTo(500, 6);
    const missing = await nodeConnect({ url: srv.url, encoding: 'pcm_f32le', sampleRate: 16000, channels: 1 }).catch((e) => e);
    expect(missing).toMatchObject({ code: 'unauthorized' });
    expect(missing.message).toMatch(/^server refused the session: unauthorized/);
  });
});
