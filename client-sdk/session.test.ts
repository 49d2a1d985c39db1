/**
 * The SDK against a real server on a loopback port with the shipped model and real corpus audio:
 * streaming a file in each encoding gives `undertone predict`'s labels (scores to 1e-4), a stopped
 * server and a refused start give the documented UndertoneError, keepalive holds an idle session
 * open, and reconnect replaces a lost session with a fresh one.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelDir } from '../server/process/paths.js';
import { decodeAudioFile } from '../core/audio/decode-file.js';
import { g711Decode, g711Encode } from '../core/audio/g711.js';
import { resampleAll } from '../core/audio/resample.js';
import { encodeWav } from '../core/audio/wav.js';
import { EmotionModel } from '../core/model/emotion-model.js';
import { type Prediction, predictSamples } from '../core/predict.js';
import type { EmotionMessage, EndMessage } from '../core/protocol/index.js';
import { type TestServer, compareEntry, opusPackets, startTestServer } from '../test/harness.js';
import { corpusFile, manifestRows, longestRow } from '../test/corpora.js';
import { type ReconnectInfo, UndertoneError, connect, streamFile } from './node.js';

let model: EmotionModel;
/** The server labels G.711 streams with the narrowband model (models/narrowband). */
let narrowband: EmotionModel;
let srv: TestServer;
let tmp: string;
let file: string;
let samples16k: Float32Array;

beforeAll(async () => {
  model = await EmotionModel.load(modelDir());
  narrowband = await EmotionModel.load(path.join(modelDir(), 'narrowband'));
  srv = await startTestServer({ idleTimeoutMs: 800 });
  tmp = await mkdtemp(path.join(tmpdir(), 'undertone-sdk-'));
  const row = longestRow();
  file = corpusFile(row);
  samples16k = await decodeAudioFile(file);
});

afterAll(async () => {
  await srv?.server.drain();
  await model?.release();
  await narrowband?.release();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function expectSame(got: EmotionMessage[], end: EndMessage, want: Prediction): void {
  expect(got.map((e) => e.second)).toEqual(want.timeline.map((e) => e.second));
  expect(want.timeline.some((e) => e.voiced)).toBe(true);
  let worst = 0;
  got.forEach((e, i) => (worst = Math.max(worst, compareEntry(e, want.timeline[i]))));
  expect(worst).toBeLessThan(1e-4);
  console.log(`${got.length} labels equal predict's; largest score difference ${worst.toExponential(2)}`);
  expect(end).toMatchObject({ type: 'end', seconds: want.timeline.length, reason: 'stop' });
  expect(end.summary.label).toBe(want.label);
  expect(end.summary.durationMs).toBeCloseTo(want.durationMs, 6);
  for (const [l, p] of Object.entries(want.scores ?? {}))
    expect(Math.abs(end.summary.scores![l as keyof typeof end.summary.scores]! - p!)).toBeLessThan(1e-4);
}

describe('client SDK: labels equal undertone predict', () => {
  it('opus: streamFile relays the Ogg Opus file packets with its pre-skip', async () => {
    const { decoded } = await opusPackets(file);
    const want = await predictSamples(model, decoded);
    const got: EmotionMessage[] = [];
    const { end, audio } = await streamFile(file, { url: srv.url, onSession: (s) => s.on('emotion', (e) => got.push(e)) });
    expect(audio.encoding).toBe('opus');
    expect(audio.preSkip).toBeGreaterThan(0);
    expectSame(got, end, want);
  });

  it('pcm_s16le: streamFile of a 48 kHz 16-bit WAV = predict on the WAV', async () => {
    const wav = encodeWav(resampleAll(samples16k, 16000, 48000), 48000, 1, 'pcm16');
    const wavPath = path.join(tmp, 'mono48k.wav');
    await writeFile(wavPath, wav);
    const want = await predictSamples(model, await decodeAudioFile(wavPath));
    const got: EmotionMessage[] = [];
    const { end, audio } = await streamFile(wavPath, { url: srv.url, onSession: (s) => s.on('emotion', (e) => got.push(e)) });
    expect(audio).toMatchObject({ encoding: 'pcm_s16le', sampleRate: 48000, channels: 1 });
    expectSame(got, end, want);
  });

  it('pcm_f32le: connect + sendPcm(Float32Array) in 20 ms pieces = predict on the file', async () => {
    const want = await predictSamples(model, samples16k);
    const session = await connect({ url: srv.url, encoding: 'pcm_f32le', sampleRate: 16000, channels: 1, key: 'sdk-test' });
    expect(session.ready).toMatchObject({ type: 'ready', key: 'sdk-test', model: { labels: model.labels } });
    const got: EmotionMessage[] = [];
    session.on('emotion', (e) => got.push(e));
    // The server closes after `end`; wait for the close itself rather than a fixed delay (50 ms was
    // not always enough when the full suite loads both cores).
    const closed = new Promise<{ code: number }>((r) => session.once('close', r));
    for (let o = 0; o < samples16k.length; o += 320) await session.sendPcm(samples16k.subarray(o, o + 320));
    const end = await session.stop();
    expectSame(got, end, want);
    expect((await closed).code).toBe(1000);
  });

  it('pcm_mulaw: streamFile sends the Ogg Opus file as 8 kHz μ-law = predict with the narrowband model on the telephone-band audio; band: "wideband" = the wideband model', async () => {
    const codes = g711Encode('mulaw', resampleAll(samples16k, 16000, 8000));
    const heard = resampleAll(g711Decode('mulaw', codes), 8000, 16000);
    const got: EmotionMessage[] = [];
    let readyModel: unknown;
    const { end, audio } = await streamFile(file, {
      url: srv.url,
      encoding: 'pcm_mulaw',
      onSession: (s) => {
        s.on('emotion', (e) => got.push(e));
        readyModel = s.ready.model;
      },
    });
    expect(audio).toMatchObject({ encoding: 'pcm_mulaw', sampleRate: 8000, channels: 1 });
    expect(audio.chunks.reduce((n, c) => n + c.length, 0)).toBe(codes.length);
    expect(readyModel).toMatchObject({ name: 'undertone-narrowband', band: 'narrowband' });
    expectSame(got, end, await predictSamples(narrowband, heard));
    const gotWide: EmotionMessage[] = [];
    const wide = await streamFile(file, {
      url: srv.url,
      encoding: 'pcm_mulaw',
      band: 'wideband',
      onSession: (s) => s.on('emotion', (e) => gotWide.push(e)),
    });
    expectSame(gotWide, wide.end, await predictSamples(model, heard));
  });

  it('pcm_s16le: a 16 kHz WAV paced at 4x real time still matches', async () => {
    const short = manifestRows().find((r) => r.durationS > 2 && r.durationS < 3)!;
    const wavPath = path.join(tmp, 'short16k.wav');
    await writeFile(wavPath, encodeWav(await decodeAudioFile(corpusFile(short)), 16000, 1, 'pcm16'));
    const want = await predictSamples(model, await decodeAudioFile(wavPath));
    const got: EmotionMessage[] = [];
    const t0 = performance.now();
    const { end } = await streamFile(wavPath, { url: srv.url, speed: 4, onSession: (s) => s.on('emotion', (e) => got.push(e)) });
    const took = performance.now() - t0;
    expect(took).toBeGreaterThan((short.durationS * 1000) / 4 - 150);
    expectSame(got, end, want);
  });
});

describe('client SDK: errors', () => {
  it('a stopped server: connect rejects with UndertoneError connection_failed', async () => {
    const gone = await startTestServer();
    const url = gone.url;
    await gone.server.drain();
    const err = await connect({ url, encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(UndertoneError);
    expect(err.code).toBe('connection_failed');
    expect(err.message).toMatch(/cannot connect to ws:\/\/127\.0\.0\.1:\d+\/v1\/stream: .*ECONNREFUSED.*is the server running/);
    expect(err.retryable).toBe(true);
  });

  it('a refused start: connect rejects with the server code and message', async () => {
    const err = await connect({ url: srv.url, encoding: 'opus', sampleRate: 44100, channels: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(UndertoneError);
    expect(err).toMatchObject({ code: 'unsupported_format', closeCode: 1003 });
    expect(err.message).toMatch(/^server refused the session: unsupported_format: unsupported Opus sample rate 44100/);
    expect(err.retryable).toBe(false);
  });

  it.each(['close', 'http'] as const)(
    "reconnect also retries connect while the server is overloaded, with backoff and at least the server's retryAfterMs (--overload-refusal %s)",
    async (overloadRefusal) => {
      // close: the refusal is an error message + close 1013 after the handshake; http: a 503 with the same JSON instead of it.
      const busy = await startTestServer({ maxSessions: 1, retryAfterMs: 400, overloadRefusal });
      try {
        const holder = await connect({ url: busy.url, encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 });
        const refused = await connect({ url: busy.url, encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 }).catch((e) => e);
        expect(refused).toMatchObject({ code: 'overloaded', closeCode: 1013 });
        expect(refused.retryable).toBe(true);
        expect(refused.retryAfterMs).toBeGreaterThanOrEqual(400);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(600);
        setTimeout(() => void holder.stop(), 300);
        const t0 = performance.now();
        // initialDelayMs 10: the first retry waits the server's hint (>= 400 ms), not 10 ms.
        const session = await connect({
          url: busy.url,
          encoding: 'pcm_s16le',
          sampleRate: 16000,
          channels: 1,
          reconnect: { initialDelayMs: 10, retries: 6 },
        });
        expect(performance.now() - t0).toBeGreaterThan(400);
        await session.sendPcm(new Int16Array(1600));
        expect((await session.stop()).summary.durationMs).toBeCloseTo(100, 6);
      } finally {
        await busy.server.drain();
      }
    },
  );

  it('wrong calls: sendOpus on a PCM session, audio after stop', async () => {
    const session = await connect({ url: srv.url, encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 });
    await expect(session.sendOpus(new Uint8Array([1]))).rejects.toMatchObject({ code: 'invalid_state' });
    await session.sendPcm(new Int16Array(1600));
    const end = await session.stop();
    expect(end.summary.durationMs).toBeCloseTo(100, 6);
    await expect(session.sendPcm(new Int16Array(10))).rejects.toMatchObject({ code: 'invalid_state' });
  });
});

describe('client SDK: keepalive and reconnect', () => {
  it('keepalive holds an idle session past the server idle timeout (800 ms)', async () => {
    const session = await connect({ url: srv.url, encoding: 'pcm_s16le', sampleRate: 16000, channels: 1, keepaliveMs: 200 });
    await session.sendPcm(new Int16Array(16000));
    await new Promise((r) => setTimeout(r, 1800));
    const end = await session.stop();
    expect(end.reason).toBe('stop');
    expect(end.summary.durationMs).toBeCloseTo(1000, 6);
  });

  /** A TCP proxy in front of a real server, whose connections the test can cut and whose target it can switch. */
  async function proxyTo(port: number): Promise<{ url: string; links: Set<net.Socket>; target: { port: number }; close(): void }> {
    const target = { port };
    const links = new Set<net.Socket>();
    const proxy = net.createServer((c) => {
      const s = net.connect(target.port, '127.0.0.1');
      links.add(c);
      c.pipe(s).pipe(c);
      const cut = (): void => {
        c.destroy();
        s.destroy();
      };
      c.on('error', cut).on('close', cut);
      s.on('error', cut).on('close', cut);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const url = `ws://127.0.0.1:${(proxy.address() as net.AddressInfo).port}/v1/stream`;
    return { url, links, target, close: () => proxy.close() };
  }

  it('reconnect: a cut connection is replaced by a fresh session, announced by a reconnect event', async () => {
    const proxy = await proxyTo(Number(new URL(srv.url).port));
    try {
      const session = await connect({
        url: proxy.url,
        encoding: 'pcm_f32le',
        sampleRate: 16000,
        channels: 1,
        reconnect: { initialDelayMs: 50 },
      });
      const first = session.sessionId;
      const reconnects: ReconnectInfo[] = [];
      session.on('reconnect', (r) => reconnects.push(r));
      await session.sendPcm(samples16k.subarray(0, 16000));
      const lost = new Promise((r) => session.once('close', r));
      for (const l of proxy.links) l.destroy();
      await lost;
      // Audio sent while the link is down waits in the bounded queue and goes to the new session.
      await session.sendPcm(samples16k.subarray(16000, 48000));
      const end = await session.stop();
      expect(reconnects).toHaveLength(1);
      expect(reconnects[0]).toMatchObject({ attempt: 1, previousSessionId: first, cause: { code: 'connection_lost' } });
      expect(reconnects[0].sessionId).not.toBe(first);
      expect(session.sessionId).toBe(reconnects[0].sessionId);
      expect(end.summary.durationMs).toBeCloseTo(2000, 6);
    } finally {
      proxy.close();
    }
  });

  it('reconnect: a server shutting down mid-stream ends that session (end event) and the SDK moves to another server', async () => {
    const other = await startTestServer();
    const proxy = await proxyTo(other.server.port);
    try {
      const session = await connect({
        url: proxy.url,
        encoding: 'pcm_f32le',
        sampleRate: 16000,
        channels: 1,
        reconnect: { initialDelayMs: 50 },
      });
      const ends: EndMessage[] = [];
      const reconnects: ReconnectInfo[] = [];
      session.on('end', (e) => ends.push(e));
      session.on('reconnect', (r) => reconnects.push(r));
      const two = new Promise((r) => session.on('emotion', (e) => e.second === 2 && r(e)));
      await session.sendPcm(samples16k.subarray(0, 32000));
      await two; // the server has all of it
      proxy.target.port = Number(new URL(srv.url).port); // new connections go to the surviving server
      await other.server.drain();
      await session.sendPcm(samples16k.subarray(32000, 48000));
      const end = await session.stop();
      expect(ends[0]).toMatchObject({ reason: 'shutdown' });
      expect(ends[0].summary.durationMs).toBeCloseTo(2000, 6);
      expect(reconnects).toHaveLength(1);
      expect(reconnects[0].cause.code).toBe('shutting_down');
      expect(end).toMatchObject({ reason: 'stop' });
      expect(end.summary.durationMs).toBeCloseTo(1000, 6);
      expect(ends).toEqual([ends[0], end]);
    } finally {
      proxy.close();
    }
  });
});
