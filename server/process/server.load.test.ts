/**
 * 50 concurrent real-time sessions (a third each 48 kHz stereo s16le, 16 kHz f32le and Opus, PCM
 * in odd-sized messages) on one server: every session gets every label, equal to predict on its
 * audio, and the per-label latency (audio that completes a second sent -> its label received)
 * is printed and bounded.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { corpusFile, manifestRows } from '../../test/corpora.js';
import { decodeAudioBytes, decodeAudioFile } from '../../core/audio/decode-file.js';
import { resampleAll } from '../../core/audio/resample.js';
import { encodeWav } from '../../core/audio/wav.js';
import type { EmotionModel } from '../../core/model/emotion-model.js';
import { type Prediction, predictSamples } from '../../core/predict.js';
import type { StartMessage } from '../../core/protocol/index.js';
import { type TestServer, compareEntry, f32leBytes, opusPackets } from '../../test/harness.js';
import { shippedModels } from '../../test/shipped-models.js';
import { type StreamRun, chunkBytes, streamChunks } from '../../test/clients/stream-client.js';

const SESSIONS = 50;

interface Plan {
  readonly start: StartMessage;
  readonly chunks: Uint8Array[];
  readonly options: { bytesPerSecond?: number; chunkSeconds?: number[] };
  readonly want: Prediction;
}

const shipped = shippedModels();
let model: EmotionModel;
let srv: TestServer;
const plans: Plan[] = [];

beforeAll(async () => {
  ({ wideband: model, srv } = shipped);
  // 50 different speakers' files of 2.5-4 s (every corpus), spread over the manifest.
  const rows = manifestRows().filter((r) => r.durationS >= 2.5 && r.durationS <= 4);
  for (let i = 0; i < SESSIONS; i++) {
    const file = corpusFile(rows[Math.floor((i * rows.length) / SESSIONS)]);
    const samples = await decodeAudioFile(file);
    if (i % 3 === 0) {
      const mono48 = resampleAll(samples, 16000, 48000);
      const stereo = new Float32Array(mono48.length * 2);
      mono48.forEach((v, j) => {
        stereo[2 * j] = v;
        stereo[2 * j + 1] = 0.5 * v;
      });
      const wav = encodeWav(stereo, 48000, 2, 'pcm16');
      plans.push({
        start: { type: 'start', encoding: 'pcm_s16le', sampleRate: 48000, channels: 2 },
        chunks: chunkBytes(wav.subarray(44), [3839, 3843, 3838]), // ~20 ms, splitting samples and frames
        options: { bytesPerSecond: 192000 },
        want: await predictSamples(model, await decodeAudioBytes(wav)),
      });
    } else if (i % 3 === 1) {
      plans.push({
        start: { type: 'start', encoding: 'pcm_f32le', sampleRate: 16000, channels: 1, key: `session-${i}` },
        chunks: chunkBytes(f32leBytes(samples), [1283, 1277]),
        options: { bytesPerSecond: 64000 },
        want: await predictSamples(model, samples),
      });
    } else {
      const opus = await opusPackets(file);
      plans.push({
        start: { type: 'start', encoding: 'opus', sampleRate: 16000, channels: opus.channels, preSkip: opus.preSkip },
        chunks: opus.packets,
        options: { chunkSeconds: opus.packetSeconds },
        want: await predictSamples(model, opus.decoded),
      });
    }
  }
});

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

describe(`${SESSIONS} concurrent real-time sessions`, () => {
  it('each gets every label, equal to predict, with bounded latency', async () => {
    const runs: StreamRun[] = await Promise.all(
      plans.map(async (plan, i) => {
        await new Promise((r) => setTimeout(r, (i / SESSIONS) * 1000)); // starts spread over a second
        return streamChunks(srv.url, plan.start, plan.chunks, { ...plan.options, pace: 1 });
      }),
    );
    const latencies: number[] = [];
    let worst = 0;
    runs.forEach((run, i) => {
      const { want } = plans[i];
      expect(run.client.error, `session ${i}`).toBeUndefined();
      expect(run.closed.code).toBe(1000);
      expect(run.client.emotions.map((e) => e.second), `session ${i}`).toEqual(want.timeline.map((e) => e.second));
      run.client.emotions.forEach((e, k) => (worst = Math.max(worst, compareEntry(e, want.timeline[k]))));
      expect(run.client.end).toMatchObject({ seconds: want.timeline.length, summary: { label: want.label } });
      if (plans[i].start.key) expect(run.client.ready?.key).toBe(plans[i].start.key);
      run.client.messages.forEach((m, j) => {
        if (m.type === 'emotion' && m.second <= run.secondSentAt.length) latencies.push(run.client.arrivals[j] - run.secondSentAt[m.second - 1]);
      });
    });
    expect(worst).toBeLessThan(1e-4);
    latencies.sort((a, b) => a - b);
    const labels = runs.reduce((s, r) => s + r.client.emotions.length, 0);
    const metrics = await (await fetch(`${srv.http}/metrics`)).text();
    const sum = Number(/^undertone_label_latency_seconds_sum\{band="wideband"\} (\S+)$/m.exec(metrics)?.[1]);
    const count = Number(/^undertone_label_latency_seconds_count\{band="wideband"\} (\S+)$/m.exec(metrics)?.[1]);
    const batches = /^undertone_inference_batch_size_sum\{band="wideband"\} (\S+)$/m.exec(metrics)?.[1];
    const calls = /^undertone_inference_batch_size_count\{band="wideband"\} (\S+)$/m.exec(metrics)?.[1];
    console.log(
      `${SESSIONS} sessions, ${labels} labels; client-measured label latency of whole seconds (ms): ` +
        `p50 ${quantile(latencies, 0.5).toFixed(1)}, p95 ${quantile(latencies, 0.95).toFixed(1)}, p99 ${quantile(latencies, 0.99).toFixed(1)}, max ${latencies[latencies.length - 1].toFixed(1)}; ` +
        `server-measured mean ${((sum / count) * 1000).toFixed(2)} ms over ${count} labels; mean inference batch ${(Number(batches) / Number(calls)).toFixed(2)}`,
    );
    expect(count).toBe(labels);
    // Labels are streamed, not held back: a session's first label (due at 1 s of its 2.5-4 s)
    // arrives while it is still sending audio. Asserted for 80% of the sessions, not all: in
    // `npm test` this file shares two cores with the other test files (soak, fuzz, nginx), and a
    // starved moment can delay a few first labels past a short file's end. Alone it measures p50
    // ~10 ms, p99 < 100 ms (bench:load measures latency under controlled load).
    const streamed = runs.filter((run) => {
      const first = run.client.messages.findIndex((m) => m.type === 'emotion');
      return run.client.arrivals[first] < run.audioSentAt;
    }).length;
    expect(streamed).toBeGreaterThanOrEqual(Math.ceil(0.8 * SESSIONS));
    expect(quantile(latencies, 0.99)).toBeLessThan(5000);
  });
});
