/**
 * Per-stream model choice (server/inference/served-models.ts, core/protocol/start.ts streamBand): a real
 * server with both shipped models, real corpus audio. Telephone-band streams (G.711, <= 8 kHz)
 * get the narrowband model, others the wideband one, `start.band` overrides both ways, and the
 * choice shows in `ready.model`, in GET /v1/sessions, and in the labels themselves (equal to
 * `predict` with the chosen model, scores to 1e-4). Without a narrowband model every stream gets
 * the wideband one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import { g711Decode, g711Encode } from '../../core/audio/g711.js';
import { resampleAll } from '../../core/audio/resample.js';
import type { EmotionModel } from '../../core/model/emotion-model.js';
import { type Prediction, predictSamples } from '../../core/predict.js';
import type { SessionInfo, StartMessage } from '../../core/protocol/index.js';
import { corpusFile, sampleRows } from '../../test/corpora.js';
import { type TestServer, compareEntry, startTestServer } from '../../test/harness.js';
import { shippedModels } from '../../test/shipped-models.js';
import { StreamClient, type StreamRun, streamChunks } from '../../test/clients/stream-client.js';

const shipped = shippedModels();
let wideband: EmotionModel;
let narrowband: EmotionModel;
let srv: TestServer;
let samples16k: Float32Array;
/** The file as 8 kHz μ-law, and what the server hears from it (decoded, back at 16 kHz). */
let mulaw: Uint8Array;
let telephone16k: Float32Array;

beforeAll(async () => {
  ({ wideband, narrowband, srv } = shipped);
  samples16k = await decodeAudioFile(corpusFile(sampleRows(3)[1]));
  mulaw = g711Encode('mulaw', resampleAll(samples16k, 16000, 8000));
  telephone16k = resampleAll(g711Decode('mulaw', mulaw), 8000, 16000);
});

function s16le(samples: Float32Array): Uint8Array {
  const buf = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) buf.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32768))), i * 2);
  return buf;
}

/** Splits bytes into messages of `size` bytes. */
function messages(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < bytes.length; o += size) out.push(bytes.subarray(o, o + size));
  return out;
}

/** The server's labels equal predict's (same seconds, scores to 1e-4). */
function expectLabels(run: StreamRun, want: Prediction): void {
  expect(run.client.error).toBeUndefined();
  expect(run.closed.code).toBe(1000);
  const got = run.client.emotions;
  expect(got.map((e) => e.second)).toEqual(want.timeline.map((e) => e.second));
  expect(want.timeline.filter((e) => e.voiced).length).toBeGreaterThan(1);
  let worst = 0;
  got.forEach((e, i) => (worst = Math.max(worst, compareEntry(e, want.timeline[i]))));
  expect(worst).toBeLessThan(1e-4);
  expect(run.client.end!.summary.label).toBe(want.label);
}

/** Largest score difference between two predictions of the same audio (the models must disagree for the routing tests to mean anything). */
function scoreGap(a: Prediction, b: Prediction): number {
  let gap = 0;
  a.timeline.forEach((e, i) => {
    for (const [l, p] of Object.entries(e.scores ?? {})) gap = Math.max(gap, Math.abs(p! - (b.timeline[i].scores as Record<string, number>)[l]));
  });
  return gap;
}

const MULAW_8K: StartMessage = { type: 'start', encoding: 'pcm_mulaw', sampleRate: 8000, channels: 1 };
const S16_16K: StartMessage = { type: 'start', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 };

describe('per-stream model choice', () => {
  it('the two models label the same audio differently (so a wrong choice would show)', async () => {
    expect(scoreGap(await predictSamples(wideband, telephone16k), await predictSamples(narrowband, telephone16k))).toBeGreaterThan(0.01);
    expect(scoreGap(await predictSamples(wideband, samples16k), await predictSamples(narrowband, samples16k))).toBeGreaterThan(0.01);
  });

  it('8 kHz pcm_mulaw: the narrowband model, labels = predict with it on the decoded audio', async () => {
    const run = await streamChunks(srv.url, MULAW_8K, messages(mulaw, 160));
    expect(run.client.ready!.model).toEqual({ name: 'undertone-narrowband', version: narrowband.metadata.version, band: 'narrowband', labels: narrowband.labels });
    expectLabels(run, await predictSamples(narrowband, telephone16k));
  });

  it('16 kHz pcm_s16le: the wideband model, labels = predict with it', async () => {
    const pcm = s16le(samples16k);
    const run = await streamChunks(srv.url, S16_16K, messages(pcm, 3200));
    expect(run.client.ready!.model).toMatchObject({ name: wideband.metadata.name, band: 'wideband' });
    expect(wideband.metadata.name).not.toBe('undertone-narrowband');
    // What the server decodes: the s16 quantised samples.
    const heard = Float32Array.from(samples16k, (x) => Math.max(-32768, Math.min(32767, Math.round(x * 32768))) / 32768);
    expectLabels(run, await predictSamples(wideband, heard));
  });

  it('band "narrowband" on 16 kHz PCM (telephone audio upsampled by the platform): the narrowband model', async () => {
    const pcm = s16le(telephone16k);
    const run = await streamChunks(srv.url, { ...S16_16K, band: 'narrowband' }, messages(pcm, 3200));
    expect(run.client.ready!.model).toMatchObject({ name: 'undertone-narrowband', band: 'narrowband' });
    const heard = Float32Array.from(telephone16k, (x) => Math.max(-32768, Math.min(32767, Math.round(x * 32768))) / 32768);
    expectLabels(run, await predictSamples(narrowband, heard));
  });

  it('band "wideband" on 8 kHz pcm_mulaw: the wideband model', async () => {
    const run = await streamChunks(srv.url, { ...MULAW_8K, band: 'wideband' }, messages(mulaw, 160));
    expect(run.client.ready!.model).toMatchObject({ name: wideband.metadata.name, band: 'wideband' });
    expectLabels(run, await predictSamples(wideband, telephone16k));
  });

  it('Opus at 8000 Hz and 8 kHz linear PCM count as telephone band; Opus at 48000 does not', async () => {
    for (const [start, band] of [
      [{ type: 'start', encoding: 'opus', sampleRate: 8000, channels: 1 }, 'narrowband'],
      [{ type: 'start', encoding: 'pcm_s16le', sampleRate: 8000, channels: 1 }, 'narrowband'],
      [{ type: 'start', encoding: 'pcm_f32le', sampleRate: 22050, channels: 1 }, 'wideband'],
      [{ type: 'start', encoding: 'opus', sampleRate: 48000, channels: 2 }, 'wideband'],
    ] as const) {
      const client = await StreamClient.connect(srv.url);
      client.sendJson(start);
      const ready = await client.next('ready');
      expect(ready.model.band, JSON.stringify(start)).toBe(band);
      client.sendJson({ type: 'stop' });
      await client.closed;
    }
  });

  it('GET /v1/sessions names the model of each live session', async () => {
    const tel = await StreamClient.connect(srv.url);
    tel.sendJson({ ...MULAW_8K, key: 'routing-tel' });
    const wide = await StreamClient.connect(srv.url);
    wide.sendJson({ ...S16_16K, key: 'routing-wide' });
    await Promise.all([tel.next('ready'), wide.next('ready')]);
    const { sessions } = (await (await fetch(`${srv.http}/v1/sessions`)).json()) as { sessions: SessionInfo[] };
    expect(sessions.find((s) => s.key === 'routing-tel')!.model).toEqual({ name: 'undertone-narrowband', version: narrowband.metadata.version, band: 'narrowband' });
    expect(sessions.find((s) => s.key === 'routing-wide')!.model).toEqual({ name: wideband.metadata.name, version: wideband.metadata.version, band: 'wideband' });
    for (const c of [tel, wide]) {
      c.sendJson({ type: 'stop' });
      await c.closed;
    }
  });

  it('an unknown band is invalid_message (1007) and starts nothing', async () => {
    for (const band of ['telephone', 8000, null]) {
      const client = await StreamClient.connect(srv.url);
      client.sendJson({ ...MULAW_8K, band } as unknown as StartMessage);
      const error = await client.next('error');
      expect(error).toMatchObject({ code: 'invalid_message' });
      expect(error.message).toContain('"band" must be one of wideband, narrowband');
      expect((await client.closed).code).toBe(1007);
      expect(client.ready).toBeUndefined();
    }
  });
});

describe('the naive engine (--engine naive) has one per model too', () => {
  it('8 kHz pcm_mulaw gets the narrowband model, 16 kHz s16le the wideband one, labels = predict with each', async () => {
    const naive = await startTestServer({ engine: 'naive' });
    try {
      const tel = await streamChunks(naive.url, MULAW_8K, messages(mulaw, 160));
      expect(tel.client.ready!.model.band).toBe('narrowband');
      expectLabels(tel, await predictSamples(narrowband, telephone16k));
      const wide = await streamChunks(naive.url, { ...MULAW_8K, band: 'wideband' }, messages(mulaw, 160));
      expect(wide.client.ready!.model.band).toBe('wideband');
      expectLabels(wide, await predictSamples(wideband, telephone16k));
    } finally {
      await naive.server.drain();
    }
  });
});

describe('with the narrowband model disabled (--narrowband-model none)', () => {
  it('telephone-band streams, and band "narrowband", get the wideband model', async () => {
    const only = await startTestServer({ narrowbandModelDir: undefined });
    try {
      const run = await streamChunks(only.url, MULAW_8K, messages(mulaw, 160));
      expect(run.client.ready!.model).toMatchObject({ name: wideband.metadata.name, band: 'wideband' });
      expectLabels(run, await predictSamples(wideband, telephone16k));
      const client = await StreamClient.connect(only.url);
      client.sendJson({ ...S16_16K, band: 'narrowband' });
      expect((await client.next('ready')).model).toMatchObject({ name: wideband.metadata.name, band: 'wideband' });
      client.sendJson({ type: 'stop' });
      await client.closed;
    } finally {
      await only.server.drain();
    }
  });
});
