/**
 * The naive baseline engine gives the default engine's labels: its recomputed windows equal the
 * incremental analyzer's, and a real server run with `engine: 'naive'` sends the same labels
 * (scores within 1e-4) as one with the default engine for the same corpus audio.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFile, longestRow, sampleRows } from '../../test/corpora.js';
import { modelDir } from '../process/paths.js';
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import { readModelFiles } from '../../core/model/metadata.js';
import { analyzerFor } from '../../core/predict.js';
import type { DueWindow } from '../../core/stream-analyzer.js';
import { compareEntry, f32leBytes, startTestServer, type TestServer } from '../../test/harness.js';
import { chunkBytes, streamChunks } from '../../test/clients/stream-client.js';
import { NaiveAnalyzer } from './naive-engine.js';

function windows(analyzer: { push(s: Float32Array): DueWindow[]; finish(): DueWindow[] }, samples: Float32Array, chunk: number): DueWindow[] {
  const due: DueWindow[] = [];
  for (let o = 0; o < samples.length; o += chunk) due.push(...analyzer.push(samples.subarray(o, o + chunk)));
  return [...due, ...analyzer.finish()];
}

describe('NaiveAnalyzer', () => {
  it('cuts the same windows (points, voicing, features, masks) as the incremental StreamAnalyzer', async () => {
    const { metadata } = await readModelFiles(modelDir());
    const rows = [...sampleRows(4), longestRow()];
    let compared = 0;
    for (const row of rows) {
      const samples = await decodeAudioFile(corpusFile(row));
      // Chunk sizes that do and do not divide a second, one larger than the naive buffer's slack.
      for (const chunk of [320, 1777, 40000]) {
        const want = windows(analyzerFor(metadata), samples, chunk);
        const got = windows(new NaiveAnalyzer(metadata), samples, chunk);
        expect(got.map((d) => d.point), row.path).toEqual(want.map((d) => d.point));
        got.forEach((d, i) => {
          expect(d.voiced, `${row.path} second ${d.point.second}`).toBe(want[i].voiced);
          expect(d.mask).toEqual(want[i].mask);
          let worst = 0;
          for (let j = 0; j < d.features.length; j++) worst = Math.max(worst, Math.abs(d.features[j] - want[i].features[j]));
          expect(worst, `${row.path} second ${d.point.second}`).toBeLessThan(1e-5);
          compared++;
        });
      }
    }
    // A stream longer than the window, so windows are cut after samples were dropped.
    expect(longestRow().durationS).toBeGreaterThan(3.5);
    expect(compared).toBeGreaterThan(20);
  });
});

describe('server with engine naive', () => {
  let batched: TestServer;
  let naive: TestServer;
  beforeAll(async () => {
    [batched, naive] = await Promise.all([startTestServer(), startTestServer({ engine: 'naive' })]);
  });
  afterAll(async () => {
    await Promise.all([batched?.server.drain(), naive?.server.drain()]);
  });

  it('sends the same labels as the default engine for a corpus file (scores within 1e-4)', async () => {
    const samples = await decodeAudioFile(corpusFile(longestRow()));
    const chunks = chunkBytes(f32leBytes(samples), [1283, 1277, 6400]);
    const start = { type: 'start', encoding: 'pcm_f32le', sampleRate: 16000, channels: 1 } as const;
    const [a, b] = await Promise.all([
      streamChunks(batched.url, start, chunks, { bytesPerSecond: 64000 }),
      streamChunks(naive.url, start, chunks, { bytesPerSecond: 64000 }),
    ]);
    expect(a.closed.code).toBe(1000);
    expect(b.closed.code).toBe(1000);
    const want = a.client.emotions;
    const got = b.client.emotions;
    expect(want.length).toBe(Math.ceil(samples.length / 16000));
    expect(want.filter((e) => e.voiced).length).toBeGreaterThan(2);
    expect(got.length).toBe(want.length);
    let worst = 0;
    got.forEach((e, i) => {
      const { type: _t, smoothed: _s, settled: _d, arousal: _a, valence: _v, ...entry } = want[i];
      worst = Math.max(worst, compareEntry(e, entry));
      expect(e.label).toBe(want[i].label);
      expect(e.smoothed?.label).toBe(want[i].smoothed?.label);
      expect(e.settled?.label).toBe(want[i].settled?.label);
    });
    expect(worst).toBeLessThan(1e-4);
    expect(b.client.end?.summary.label).toBe(a.client.end?.summary.label);
    // The naive server scored every voiced window alone.
    const metrics = await (await fetch(`${naive.http}/metrics`)).text();
    const count = Number(/^undertone_inference_batch_size_count\{band="wideband"\} (\S+)$/m.exec(metrics)?.[1]);
    const sum = Number(/^undertone_inference_batch_size_sum\{band="wideband"\} (\S+)$/m.exec(metrics)?.[1]);
    expect(count).toBe(got.filter((e) => e.voiced).length);
    expect(sum).toBe(count);
  });
});
