/**
 * Audio that decodes but is not speech (silence, clipping, DC offset, full-scale square waves and
 * noise, NaN/Inf and huge floats in f32le) streamed to a real server: every second gets its
 * label message, `voiced:false` or a label with finite scores summing to 1; never NaN, never an
 * error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import { corpusFile, manifestRows } from '../../test/corpora.js';
import { badEmotion } from '../../test/fuzz/runner.js';
import { type TestServer, s16leBytes as s16le, startTestServer } from '../../test/harness.js';
import { chunkBytes, streamChunks } from '../../test/clients/stream-client.js';

const RATE = 16000;
const SECONDS = 3;
let srv: TestServer;
let speech: Float32Array;

beforeAll(async () => {
  srv = await startTestServer();
  const row = manifestRows().find((r) => r.durationS > SECONDS + 0.5)!;
  speech = (await decodeAudioFile(corpusFile(row))).subarray(0, SECONDS * RATE);
});

afterAll(async () => {
  await srv?.server.drain();
});

function signal(f: (i: number) => number): Float32Array {
  return Float32Array.from({ length: SECONDS * RATE }, (_, i) => f(i));
}


function f32le(x: ArrayLike<number>): Uint8Array {
  const b = Buffer.alloc(x.length * 4);
  for (let i = 0; i < x.length; i++) b.writeFloatLE(x[i], i * 4);
  return b;
}

async function labels(encoding: 'pcm_s16le' | 'pcm_f32le', bytes: Uint8Array): Promise<{ voiced: boolean[]; problems: string[] }> {
  const run = await streamChunks(srv.url, { type: 'start', encoding, sampleRate: RATE, channels: 1 }, chunkBytes(bytes, [4000]));
  expect(run.client.error).toBeUndefined();
  expect(run.closed.code).toBe(1000);
  expect(run.client.emotions.map((e) => e.second)).toEqual([1, 2, 3]);
  const problems = run.client.emotions.map(badEmotion).filter((p): p is string => p !== undefined);
  // The end summary too: pooled scores must be finite.
  const summary = run.client.end!.summary;
  for (const v of Object.values(summary.scores ?? {})) if (!Number.isFinite(v)) problems.push(`summary score ${v}`);
  expect(JSON.stringify(run.client.messages)).not.toMatch(/NaN|Infinity/);
  return { voiced: run.client.emotions.map((e) => e.voiced), problems };
}

describe('audio that decodes but is not speech', () => {
  it('all zeros: every second voiced:false', async () => {
    const r = await labels('pcm_s16le', s16le(signal(() => 0)));
    expect(r.problems).toEqual([]);
    expect(r.voiced).toEqual([false, false, false]);
  });

  it('NaN and ±Inf in f32le count as 0: voiced:false', async () => {
    const r = await labels('pcm_f32le', f32le(signal((i) => [NaN, Infinity, -Infinity][i % 3])));
    expect(r.problems).toEqual([]);
    expect(r.voiced).toEqual([false, false, false]);
  });

  it('speech with NaN/Inf sprinkled in f32le still gets labels', async () => {
    const x = Array.from(speech, (v, i) => (i % 97 === 0 ? NaN : i % 89 === 0 ? Infinity : v));
    const r = await labels('pcm_f32le', f32le(x));
    expect(r.problems).toEqual([]);
    expect(r.voiced.some((v) => v)).toBe(true);
  });

  it('hard clipping (speech x 30), DC offset, full-scale square, full-scale noise, huge floats: finite labels', async () => {
    const cases: [string, 'pcm_s16le' | 'pcm_f32le', Uint8Array][] = [
      ['clipped speech', 'pcm_s16le', s16le(signal((i) => Math.max(-1, Math.min(1, speech[i] * 30))))],
      ['DC offset only', 'pcm_s16le', s16le(signal(() => 0.5))],
      ['speech + DC offset', 'pcm_s16le', s16le(signal((i) => 0.6 + speech[i] * 0.4))],
      ['full-scale square 100 Hz', 'pcm_s16le', s16le(signal((i) => (Math.floor(i / 80) % 2 ? 1 : -1)))],
      ['full-scale square at Nyquist', 'pcm_s16le', s16le(signal((i) => (i % 2 ? 1 : -1)))],
      ['full-scale white noise', 'pcm_s16le', s16le(signal(() => Math.random() * 2 - 1))],
      ['f32le far beyond ±1', 'pcm_f32le', f32le(signal((i) => speech[i] * 1000))],
      ['f32le ±3.4e38', 'pcm_f32le', f32le(signal((i) => (i % 2 ? 3.4e38 : -3.4e38)))],
      ['f32le subnormals', 'pcm_f32le', f32le(signal((i) => (i % 2 ? 1e-45 : -1e-45)))],
    ];
    for (const [name, encoding, bytes] of cases) {
      const r = await labels(encoding, bytes);
      expect(r.problems, name).toEqual([]);
    }
  });
});
