/**
 * Every live /v1/stream session publishes on the session bus exactly what its client receives:
 * one event per `emotion` message, in order, numbered 1, 2, 3, ..., then `end`; it is listed in
 * the directory (with its key) while live and removed when it ends, also when the client just
 * disconnects. A real server with the shipped model and a real corpus file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelDir } from '../process/paths.js';
import { corpusFile, longestRow } from '../../test/corpora.js';
import { defaultConfig } from '../process/config.js';
import { InProcessBus } from '../events/in-process-bus.js';
import type { SessionEvent, SessionInfo } from '../events/session-event.js';
import { opusPackets } from '../../test/harness.js';
import { StreamClient, streamChunks } from '../../test/clients/stream-client.js';
import { UndertoneServer } from '../process/server.js';

/** The in-process bus, also recording everything published and the directory at each open. */
class RecordingBus extends InProcessBus {
  readonly published: SessionEvent[] = [];
  readonly opened: SessionInfo[] = [];
  override open(info: SessionInfo): void {
    this.opened.push(info);
    super.open(info);
  }
  override publish(event: SessionEvent): void {
    this.published.push(event);
    super.publish(event);
  }
}

let server: UndertoneServer;
let bus: RecordingBus;
let url: string;
let audio: Awaited<ReturnType<typeof opusPackets>>;

beforeAll(async () => {
  bus = new RecordingBus(5);
  // Admission off (latencyTargetMs 0), as in test/harness.ts: this server shares its event loop
  // with the test and its machine with other test files; admission has its own tests.
  server = await UndertoneServer.listen({ config: defaultConfig(modelDir(), { port: 0, host: '127.0.0.1', latencyTargetMs: 0 }), bus });
  await server.ready;
  url = `ws://127.0.0.1:${server.port}/v1/stream`;
  audio = await opusPackets(corpusFile(longestRow()));
});

afterAll(async () => {
  await server?.drain();
});

describe('Session publishing', () => {
  it('publishes every label the client receives, in order, then end, and lists the session while live', async () => {
    bus.published.length = 0;
    const start = { type: 'start', encoding: 'opus', sampleRate: 48000, channels: audio.channels, preSkip: audio.preSkip, key: 'call-live-stream' } as const;
    const run = await streamChunks(url, start, audio.packets, { chunkSeconds: audio.packetSeconds });
    expect(run.closed.code).toBe(1000);
    const sessionId = run.client.ready!.sessionId;
    const info = bus.opened.find((i) => i.sessionId === sessionId)!;
    expect(info).toMatchObject({ sessionId, key: 'call-live-stream', source: 'stream', encoding: 'opus' });
    expect(Number.isNaN(Date.parse(info.startedAt))).toBe(false);

    const events = bus.published.filter((e) => e.sessionId === sessionId);
    const emotions = run.client.emotions;
    expect(emotions.length).toBeGreaterThan(3);
    expect(events.map((e) => e.seq)).toEqual(events.map((_e, i) => i + 1));
    expect(events.length).toBe(emotions.length + 1);
    emotions.forEach((m, i) => {
      const { sessionId: id, seq: _seq, ...rest } = events[i] as SessionEvent;
      expect(id).toBe(sessionId);
      expect(rest).toEqual(m);
    });
    const { sessionId: _id, seq: _s, ...end } = events.at(-1)!;
    expect(end).toEqual(run.client.end);
    // Ended: no longer listed, history gone.
    expect(await bus.find('call-live-stream')).toEqual([]);
    expect(await bus.history(sessionId)).toEqual([]);
  });

  it('keeps the last N labels as history and ends with client_closed when the client just leaves', async () => {
    bus.published.length = 0;
    const client = await StreamClient.connect(url);
    client.sendJson({ type: 'start', encoding: 'opus', sampleRate: 48000, channels: audio.channels, preSkip: audio.preSkip, key: 'call-drop' });
    const ready = await client.next('ready');
    expect((await bus.find('call-drop')).map((i) => i.sessionId)).toEqual([ready.sessionId]);
    expect((await bus.find(ready.sessionId)).map((i) => i.key)).toEqual(['call-drop']);
    // The whole file (7.1 s) without stop: 7 whole seconds get labels.
    for (const p of audio.packets) await client.sendBinary(p);
    while (client.emotions.length < 6) await new Promise((r) => setTimeout(r, 20));
    const history = await bus.history(ready.sessionId);
    // Five consecutive labels, the newest at least as new as what the client has received.
    const last = history.at(-1)!.seq;
    expect(history.map((e) => e.seq)).toEqual([4, 3, 2, 1, 0].map((d) => last - d));
    expect(last).toBeGreaterThanOrEqual(client.emotions.length);
    expect(history.every((e) => e.type === 'emotion')).toBe(true);
    expect((await bus.sessions()).map((s) => s.sessionId)).toContain(ready.sessionId);
    client.ws.terminate();
    await client.closed;
    await expect.poll(() => bus.published.find((e) => e.type === 'end' && e.sessionId === ready.sessionId)).toMatchObject({ reason: 'client_closed' });
    expect(await bus.find('call-drop')).toEqual([]);
  });
});
