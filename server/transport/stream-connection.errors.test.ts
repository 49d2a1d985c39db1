/**
 * Bad input ends only the session that sent it, with its error code and close code, while a
 * neighbouring session on the same server keeps receiving every label. Also: limits (message
 * size, sessions, start and idle timeouts), API keys, readiness and the HTTP endpoints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFile, manifestRows } from '../../test/corpora.js';
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import { labelPoints } from '../../core/model/window.js';
import { CLOSE_CODES, type ErrorCode } from '../../core/protocol/index.js';
import { defaultConfig } from '../process/config.js';
import { UndertoneServer } from '../process/server.js';
import { type TestServer, f32leBytes, opusPackets, s16leBytes as s16le, startTestServer } from '../../test/harness.js';
import { type StreamRun, StreamClient, chunkBytes, streamChunks } from '../../test/clients/stream-client.js';

const MAX_MESSAGE = 16384;
const MAX_SESSIONS = 6;
const START_PCM16 = { type: 'start', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 } as const;

let srv: TestServer;
let neighbour: Promise<StreamRun>;
let neighbourSeconds: number;
let pcm16k: Uint8Array;
let file: string;


beforeAll(async () => {
  srv = await startTestServer({ maxMessageBytes: MAX_MESSAGE, maxSessions: MAX_SESSIONS, startTimeoutMs: 600, idleTimeoutMs: 800 });
  const rows = manifestRows().filter((r) => r.durationS > 4 && r.durationS < 5);
  file = corpusFile(rows[0]);
  const samples = await decodeAudioFile(file);
  pcm16k = s16le(samples);
  // The neighbour streams in real time (20 ms chunks) through every error case below: the file
  // four times over (~18 s), so on a loaded machine it is still live when the session-limit test
  // counts on it holding a slot.
  const repeated = new Uint8Array(pcm16k.length * 4);
  for (let i = 0; i < 4; i++) repeated.set(pcm16k, i * pcm16k.length);
  neighbourSeconds = labelPoints(repeated.length / 2).length;
  neighbour = streamChunks(srv.url, START_PCM16, chunkBytes(repeated, [640]), { bytesPerSecond: 32000, pace: 1 });
});

afterAll(async () => {
  await srv?.server.drain();
});

/** Opens a session, runs `act`, and returns the error the server sent and its close. */
async function expectRefusal(act: (c: StreamClient) => void | Promise<void>, code: ErrorCode, headers?: Record<string, string>): Promise<void> {
  const client = await StreamClient.connect(srv.url, headers);
  await act(client);
  const closed = await client.closed;
  expect(client.error).toMatchObject({ type: 'error', code });
  expect(closed.code).toBe(
    {
      invalid_message: 1007,
      unsupported_encoding: 1003,
      unsupported_format: 1003,
      start_required: 1008,
      unexpected_message: 1008,
      start_timeout: 1008,
      unauthorized: 1008,
      invalid_audio: 1007,
      message_too_big: 1009,
      overloaded: 1013,
      not_ready: 1013,
      shutting_down: 1001,
      internal: 1011,
    }[code],
  );
  expect(client.emotions).toEqual([]);
}

describe('bad input closes only its own session', () => {
  it('bad start messages', async () => {
    await expectRefusal((c) => c.sendText('{"type":"start",'), 'invalid_message');
    await expectRefusal((c) => c.sendText('hello'), 'invalid_message');
    await expectRefusal((c) => c.sendJson({ type: 'begin' }), 'invalid_message');
    await expectRefusal((c) => c.sendJson({ type: 'start', encoding: 'pcm_s16le', sampleRate: '16000', channels: 1 }), 'invalid_message');
    await expectRefusal((c) => c.sendJson({ type: 'start', encoding: 'pcm_s16le', sampleRate: 16000, channels: 6 }), 'unsupported_format');
    await expectRefusal((c) => c.sendJson({ type: 'start', encoding: 'pcm_s16le', sampleRate: 1000, channels: 1 }), 'unsupported_format');
  });

  it('wrong encoding: one the server does not take, and audio that is not what start declared', async () => {
    await expectRefusal((c) => c.sendJson({ type: 'start', encoding: 'mp3', sampleRate: 44100, channels: 2 }), 'unsupported_encoding');
    // Declared opus, sent something else: a packet RFC 6716 forbids (code 3 with a frame count
    // of 0). (Arbitrary PCM bytes often parse as some valid Opus packet, so they prove nothing.)
    await expectRefusal(async (c) => {
      c.sendJson({ type: 'start', encoding: 'opus', sampleRate: 48000, channels: 1 });
      await c.next('ready');
      await c.sendBinary(Uint8Array.from([0x03, 0x00]));
    }, 'invalid_audio');
    await expectRefusal(async (c) => {
      c.sendJson({ type: 'start', encoding: 'opus', sampleRate: 48000, channels: 1 });
      await c.next('ready');
      await c.sendBinary(new Uint8Array(0));
    }, 'invalid_audio');
  });

  it('binary before start, stop before start, and a second start', async () => {
    await expectRefusal((c) => c.sendBinary(pcm16k.subarray(0, 640)), 'start_required');
    await expectRefusal((c) => c.sendJson({ type: 'stop' }), 'start_required');
    await expectRefusal(async (c) => {
      c.sendJson(START_PCM16);
      c.sendJson(START_PCM16);
    }, 'unexpected_message');
  });

  it('oversized messages: error + 1009 up to the hard limit, plain 1009 beyond it', async () => {
    await expectRefusal(async (c) => {
      c.sendJson(START_PCM16);
      await c.next('ready');
      await c.sendBinary(new Uint8Array(MAX_MESSAGE + 2));
    }, 'message_too_big');
    await expectRefusal((c) => c.sendText(' '.repeat(MAX_MESSAGE + 1)), 'message_too_big');
    // Above the hard limit ws refuses the frame from its header, before reading it.
    const c = await StreamClient.connect(srv.url);
    c.sendJson(START_PCM16);
    await c.next('ready');
    await c.sendBinary(new Uint8Array(MAX_MESSAGE * 8));
    expect((await c.closed).code).toBe(CLOSE_CODES.MESSAGE_TOO_BIG);
  });

  it('no start within the start timeout', async () => {
    await expectRefusal(() => undefined, 'start_timeout');
  });

  it('idle timeout ends a started session with end + 1000; keepalive keeps it open', async () => {
    const c = await StreamClient.connect(srv.url);
    c.sendJson(START_PCM16);
    await c.next('ready');
    for (const chunk of chunkBytes(pcm16k.subarray(0, 32000 * 2 + 16000), [8000])) await c.sendBinary(chunk);
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 400));
      c.sendJson({ type: 'keepalive' });
    }
    expect(c.end).toBeUndefined();
    const closed = await c.closed;
    expect(closed).toEqual({ code: 1000, reason: 'idle timeout' });
    expect(c.end).toMatchObject({ reason: 'idle_timeout', seconds: 3 });
    expect(c.emotions.map((e) => e.second)).toEqual([1, 2, 3]);
  });

  it('sessions beyond maxSessions get overloaded (1013), and the slots free up again', async () => {
    // Open sessions until the server refuses one. The neighbour holds a slot while it streams; on a
    // slow machine it may have finished by now, so the count is not assumed.
    const held: StreamClient[] = [];
    for (;;) {
      const c = await StreamClient.connect(srv.url);
      c.sendJson(START_PCM16);
      const first = await Promise.race([c.next('ready'), c.next('error')]);
      if (first.type === 'error') {
        expect(first.code).toBe('overloaded');
        expect((await c.closed).code).toBe(1013);
        expect(c.emotions).toEqual([]);
        break;
      }
      held.push(c);
      expect(held.length).toBeLessThanOrEqual(MAX_SESSIONS);
    }
    expect(held.length).toBeGreaterThanOrEqual(MAX_SESSIONS - 1);
    held.pop()!.sendJson({ type: 'stop' });
    await new Promise((r) => setTimeout(r, 100));
    const again = await streamChunks(srv.url, START_PCM16, chunkBytes(pcm16k.subarray(0, 32000), [8000]));
    expect(again.closed.code).toBe(1000);
    expect(again.client.emotions).toHaveLength(1);
    for (const c of held) c.sendJson({ type: 'stop' });
    await Promise.all(held.map((c) => c.closed));
  });

  it('the neighbour received every label and a normal end', async () => {
    const run = await neighbour;
    expect(run.client.error).toBeUndefined();
    expect(run.closed.code).toBe(1000);
    expect(run.client.emotions.map((e) => e.second)).toEqual(Array.from({ length: neighbourSeconds }, (_, i) => i + 1));
    expect(run.client.end).toMatchObject({ reason: 'stop', seconds: neighbourSeconds });
  });

  it('metrics count the errors by code', async () => {
    const text = await (await fetch(`${srv.http}/metrics`)).text();
    for (const code of ['invalid_message', 'unsupported_encoding', 'unsupported_format', 'start_required', 'message_too_big', 'start_timeout', 'overloaded', 'invalid_audio']) {
      expect(text).toMatch(new RegExp(`undertone_errors_total\\{code="${code}"\\} [1-9]`));
    }
  });
});

describe('access and readiness', () => {
  it('API keys: none or a wrong one is refused with 1008; Bearer header and api_key query are accepted', async () => {
    const keyed = await startTestServer({ apiKeys: ['k-123', 'k-456'] });
    try {
      const refuse = async (url: string, headers?: Record<string, string>): Promise<void> => {
        const c = await StreamClient.connect(url, headers);
        expect(await c.closed).toMatchObject({ code: 1008 });
        expect(c.error?.code).toBe('unauthorized');
      };
      await refuse(keyed.url);
      await refuse(keyed.url, { Authorization: 'Bearer nope' });
      const oneSecond = chunkBytes(pcm16k.subarray(0, 32000), [8000]);
      for (const [url, headers] of [
        [keyed.url, { Authorization: 'Bearer k-456' }],
        [`${keyed.url}?api_key=k-123`, undefined],
      ] as const) {
        const run = await streamChunks(url, START_PCM16, oneSecond, { headers });
        expect(run.closed.code).toBe(1000);
        expect(run.client.emotions).toHaveLength(1);
      }
    } finally {
      await keyed.server.drain();
    }
  });

  it('a server whose model cannot load stays unready: /readyz 503, sessions refused with not_ready (1013)', async () => {
    const server = await UndertoneServer.listen({ config: defaultConfig('/nonexistent/model', { port: 0, host: '127.0.0.1' }) });
    try {
      await expect(server.ready).rejects.toThrow(/model\.json/);
      const base = `http://127.0.0.1:${server.port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ reason: 'model not loaded' });
      const c = await StreamClient.connect(`ws://127.0.0.1:${server.port}/v1/stream`);
      expect((await c.closed).code).toBe(1013);
      expect(c.error?.code).toBe('not_ready');
    } finally {
      await server.drain();
    }
  });

  it('HTTP endpoints: /healthz, /readyz, /metrics, 426 on plain GET /v1/stream, 404 elsewhere', async () => {
    expect(await (await fetch(`${srv.http}/healthz`)).json()).toMatchObject({ status: 'ok' });
    expect((await fetch(`${srv.http}/readyz`)).status).toBe(200);
    const metrics = await fetch(`${srv.http}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await metrics.text();
    for (const name of [
      'undertone_label_latency_seconds_bucket',
      'undertone_inference_batch_size_bucket',
      'undertone_inference_duration_seconds_bucket',
      'undertone_feature_duration_seconds_bucket',
      'undertone_event_loop_lag_seconds_bucket',
      'undertone_live_sessions',
      'undertone_sessions_total',
      'undertone_audio_seconds_total',
      'undertone_audio_bytes_total',
      'process_cpu_user_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text).toContain(name);
    }
    expect((await fetch(`${srv.http}/v1/stream`)).status).toBe(426);
    expect((await fetch(`${srv.http}/nope`)).status).toBe(404);
  });
});

describe('drain', () => {
  it('SIGTERM-style drain: live sessions get their last labels, end (shutdown) and 1001; new ones are refused', async () => {
    const own = await startTestServer();
    const samples = await decodeAudioFile(file);
    const opus = await opusPackets(file);
    const pcm = streamChunks(own.url, { type: 'start', encoding: 'pcm_f32le', sampleRate: 16000, channels: 1 }, chunkBytes(f32leBytes(samples), [1280]), {
      bytesPerSecond: 64000,
      pace: 1,
    });
    const packets = streamChunks(own.url, { type: 'start', encoding: 'opus', sampleRate: 16000, channels: opus.channels, preSkip: opus.preSkip }, opus.packets, {
      chunkSeconds: opus.packetSeconds,
      pace: 1,
    });
    await new Promise((r) => setTimeout(r, 2300));
    const drained = own.server.drain();
    for (const run of await Promise.all([pcm, packets])) {
      expect(run.closed).toEqual({ code: 1001, reason: 'server shutting down' });
      expect(run.client.end).toMatchObject({ reason: 'shutdown' });
      const seconds = run.client.emotions.map((e) => e.second);
      // Two whole seconds were due before the drain, then the partial one it flushed.
      expect(seconds.length).toBeGreaterThanOrEqual(3);
      expect(seconds).toEqual(Array.from({ length: seconds.length }, (_, i) => i + 1));
      expect(run.client.end!.seconds).toBe(seconds.length);
    }
    await drained;
    await expect(StreamClient.connect(own.url)).rejects.toThrow();
  });
});
