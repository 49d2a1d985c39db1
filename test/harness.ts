/**
 * Test/bench helpers: an in-process server on a loopback port with the shipped model, and the
 * reference results (`predictSamples`, the computation behind `undertone predict`) to compare
 * the server's labels with.
 */
import { readFile } from 'node:fs/promises';
import { modelDir } from '../server/process/paths.js';
import { OpusPacketDecoder, demuxOggOpus } from '../core/audio/opus.js';
import type { TimelineEntry } from '../core/predict.js';
import type { EmotionMessage } from '../core/protocol/index.js';
import { type ServerConfig, defaultConfig } from '../server/process/config.js';
import { type Logger, silentLogger } from '../server/process/logger.js';
import { UndertoneServer } from '../server/process/server.js';

export interface TestServer {
  readonly server: UndertoneServer;
  readonly url: string;
  readonly http: string;
}

export async function startTestServer(overrides: Partial<ServerConfig> = {}, logger: Logger = silentLogger()): Promise<TestServer> {
  // maxEventLoopLagMs and latencyTargetMs 0: this server shares its event loop with the test's own
  // work (decoding files, building signals), whose stalls are not the server's saturation.
  const config = defaultConfig(modelDir(), { port: 0, host: '127.0.0.1', workers: 1, maxEventLoopLagMs: 0, latencyTargetMs: 0, ...overrides });
  const server = await UndertoneServer.listen({ config, logger });
  await server.ready;
  return { server, url: `ws://127.0.0.1:${server.port}/v1/stream`, http: `http://127.0.0.1:${server.port}` };
}

/** An Ogg Opus file's packets as a live client would relay them, and the audio the server decodes from them. */
export async function opusPackets(file: string): Promise<{ packets: Uint8Array[]; preSkip: number; channels: 1 | 2; decoded: Float32Array; packetSeconds: number[] }> {
  const stream = demuxOggOpus(new Uint8Array(await readFile(file)), file);
  const channels = stream.channels > 1 ? 2 : 1;
  const decoder = await OpusPacketDecoder.create(channels, stream.preSkip);
  const parts: Float32Array[] = [];
  const packetSeconds: number[] = [];
  try {
    for (const p of stream.packets) {
      const pcm = decoder.decode(p);
      parts.push(pcm);
      packetSeconds.push(pcm.length / 16000);
    }
  } finally {
    decoder.free();
  }
  const decoded = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    decoded.set(p, o);
    o += p.length;
  }
  return { packets: stream.packets, preSkip: stream.preSkip, channels, decoded, packetSeconds };
}

/** Largest score difference between a server emotion message and predict's entry; throws on any other mismatch. */
export function compareEntry(got: EmotionMessage, want: TimelineEntry): number {
  // The supervision fields (smoothed, arousal, valence; settled, an earlier second's) are predict's
  // entries plus the session's history; server/pipeline/session.supervision.test.ts checks them.
  // Here: smoothed/arousal/valence present iff voiced.
  const { type: _t, scores: gotScores, smoothed, settled: _settled, arousal, valence, ...gotRest } = got;
  if ((smoothed !== undefined && arousal !== undefined && valence !== undefined) !== got.voiced) throw new Error(`second ${got.second}: supervision fields ${got.voiced ? 'missing on a voiced' : 'present on an unvoiced'} second`);
  const { scores: wantScores, ...wantRest } = want;
  const a = JSON.stringify(gotRest, Object.keys(gotRest).sort());
  const b = JSON.stringify(wantRest, Object.keys(wantRest).sort());
  if (a !== b) throw new Error(`entry differs: server ${a} vs predict ${b}`);
  if (!gotScores !== !wantScores) throw new Error(`second ${got.second}: scores present on one side only`);
  let worst = 0;
  for (const [label, p] of Object.entries(wantScores ?? {})) {
    worst = Math.max(worst, Math.abs((gotScores as Record<string, number>)[label] - (p as number)));
  }
  return worst;
}

/** 16-bit little-endian PCM of Float32 samples (clipped to ±1). */
export function s16leBytes(samples: Float32Array): Uint8Array {
  const buf = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) buf.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32767))), i * 2);
  return buf;
}

/** The PCM bytes of Float32 samples, little-endian. */
export function f32leBytes(samples: Float32Array): Uint8Array {
  const buf = Buffer.alloc(samples.length * 4);
  for (let i = 0; i < samples.length; i++) buf.writeFloatLE(samples[i], i * 4);
  return buf;
}
