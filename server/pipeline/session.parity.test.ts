/**
 * The server's labels equal `undertone predict` on the same audio (same windows, scores to
 * 1e-4): a real corpus file streamed in odd-sized chunks as 48 kHz stereo s16le, as 16 kHz
 * f32le, as its own Opus packets, and as 8 kHz G.711 μ-law and A-law in 20 ms messages (what a
 * telephony platform forks), to a real server on a loopback port. The G.711 streams are telephone
 * band, so the server labels them with the narrowband model (models/narrowband): their reference
 * is predict with that model.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFile, longestRow } from '../../test/corpora.js';
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import { type G711Law, g711Decode, g711Encode } from '../../core/audio/g711.js';
import { resampleAll } from '../../core/audio/resample.js';
import { encodeWav } from '../../core/audio/wav.js';
import type { EmotionModel } from '../../core/model/emotion-model.js';
import { type Prediction, predictSamples } from '../../core/predict.js';
import type { EmotionMessage } from '../../core/protocol/index.js';
import { type TestServer, compareEntry, f32leBytes, opusPackets } from '../../test/harness.js';
import { shippedModels } from '../../test/shipped-models.js';
import { type StreamRun, chunkBytes, streamChunks } from '../../test/clients/stream-client.js';

/** Chunk sizes that split s16 samples, stereo frames and f32 samples at every offset. */
const ODD_SIZES = [1001, 3, 4093, 517, 1, 2222, 77, 9999];

const shipped = shippedModels();
let model: EmotionModel;
let narrowband: EmotionModel;
let srv: TestServer;
let tmp: string;
let file: string;
let samples16k: Float32Array;

beforeAll(async () => {
  ({ wideband: model, narrowband, srv } = shipped);
  tmp = await mkdtemp(path.join(tmpdir(), 'undertone-parity-'));
  // The longest corpus file: several whole seconds and a partial last one.
  const row = longestRow();
  file = corpusFile(row);
  samples16k = await decodeAudioFile(file);
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function expectSame(run: StreamRun, want: Prediction): void {
  const { client, closed } = run;
  expect(client.error).toBeUndefined();
  expect(closed.code).toBe(1000);
  const got: EmotionMessage[] = client.emotions;
  expect(got.map((e) => e.second)).toEqual(want.timeline.map((e) => e.second));
  expect(want.timeline.some((e) => e.voiced)).toBe(true);
  let worst = 0;
  got.forEach((e, i) => (worst = Math.max(worst, compareEntry(e, want.timeline[i]))));
  expect(worst).toBeLessThan(1e-4);
  const end = client.end!;
  expect(end).toMatchObject({ type: 'end', seconds: want.timeline.length, reason: 'stop' });
  expect(end.summary.label).toBe(want.label);
  expect(end.summary.voicedSeconds).toBe(want.timeline.filter((e) => e.voiced).length);
  expect(end.summary.durationMs).toBeCloseTo(want.durationMs, 6);
  for (const [l, p] of Object.entries(want.scores ?? {})) expect(Math.abs(end.summary.scores![l as keyof typeof end.summary.scores]! - p!)).toBeLessThan(1e-4);
}

describe('server labels equal undertone predict', () => {
  it('48 kHz stereo s16le in odd-sized chunks = predict on the same WAV', async () => {
    // Build a 48 kHz stereo recording from the corpus file (right channel quieter), and write it as a WAV.
    const mono48 = resampleAll(samples16k, 16000, 48000);
    const stereo = new Float32Array(mono48.length * 2);
    for (let i = 0; i < mono48.length; i++) {
      stereo[2 * i] = mono48[i];
      stereo[2 * i + 1] = 0.6 * mono48[i];
    }
    const wav = encodeWav(stereo, 48000, 2, 'pcm16');
    const wavPath = path.join(tmp, 'stereo48k.wav');
    await writeFile(wavPath, wav);
    const want = await predictSamples(model, await decodeAudioFile(wavPath));
    const pcm = wav.subarray(44); // the data chunk: what a live client would send
    const run = await streamChunks(srv.url, { type: 'start', encoding: 'pcm_s16le', sampleRate: 48000, channels: 2 }, chunkBytes(pcm, ODD_SIZES));
    expect(run.client.ready).toMatchObject({ type: 'ready', model: { name: model.metadata.name, band: 'wideband', labels: model.labels } });
    expect(want.timeline.length).toBeGreaterThan(3);
    expectSame(run, want);
  });

  it('16 kHz mono f32le in odd-sized chunks = predict on the file', async () => {
    const want = await predictSamples(model, samples16k);
    const run = await streamChunks(srv.url, { type: 'start', encoding: 'pcm_f32le', sampleRate: 16000, channels: 1 }, chunkBytes(f32leBytes(samples16k), ODD_SIZES));
    expectSame(run, want);
  });

  it('Opus packets of the file = predict on their decoded audio, and on the file for every whole second', async () => {
    const { packets, preSkip, channels, decoded } = await opusPackets(file);
    const want = await predictSamples(model, decoded);
    const run = await streamChunks(srv.url, { type: 'start', encoding: 'opus', sampleRate: 48000, channels, preSkip }, packets);
    expectSame(run, want);
    // The packets carry a few ms of end padding that the Ogg granule trims off: only the final
    // partial second may differ from predict on the file itself.
    const fromFile = await predictSamples(model, samples16k);
    const whole = fromFile.timeline.filter((e) => e.endMs % 1000 === 0);
    expect(whole.length).toBeGreaterThan(3);
    whole.forEach((e, i) => expect(compareEntry(run.client.emotions[i], e)).toBeLessThan(1e-4));
  });

  for (const law of ['mulaw', 'alaw'] as const satisfies readonly G711Law[]) {
    it(`8 kHz G.711 ${law} in 20 ms messages = predict with the narrowband model on the decoded 8 kHz audio resampled to 16 kHz`, async () => {
      const narrow = resampleAll(samples16k, 16000, 8000);
      const codes = g711Encode(law, narrow);
      // What the server hears: the characters decoded, then brought to 16 kHz by the same resampler.
      const want = await predictSamples(narrowband, resampleAll(g711Decode(law, codes), 8000, 16000));
      const messages: Uint8Array[] = [];
      for (let o = 0; o < codes.length; o += 160) messages.push(codes.subarray(o, o + 160));
      const run = await streamChunks(srv.url, { type: 'start', encoding: `pcm_${law}`, sampleRate: 8000, channels: 1 }, messages);
      expect(run.client.ready).toMatchObject({ model: { name: 'undertone-narrowband', band: 'narrowband', labels: narrowband.labels } });
      // One label a second: every whole second of the 8 kHz stream, and the partial last one.
      expect(run.client.emotions.map((e) => e.second)).toEqual(Array.from({ length: Math.ceil(codes.length / 8000) }, (_, i) => i + 1));
      expectSame(run, want);
    });
  }
});
