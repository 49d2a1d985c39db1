/**
 * The built CLI (`node dist/cli/main.js serve`, as `npm start` runs it) in the modes that only
 * run from compiled JavaScript. Cluster mode with two workers: the "listening" log line names the
 * port, /readyz turns 200 once both workers have the model, labels equal predict whichever worker
 * serves a session, maxSessions holds across workers, /metrics aggregates the workers, and
 * SIGTERM drains (end + 1001) and exits 0. Inference on a worker thread: labels equal predict.
 * Needs `npm run build` first (npm test does it).
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFile, manifestRows } from '../../test/corpora.js';
import { type ServerProcess, startServer } from '../../test/server-process.js';
import { modelDir } from './paths.js';
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import { EmotionModel } from '../../core/model/emotion-model.js';
import { predictSamples } from '../../core/predict.js';
import { compareEntry, f32leBytes } from '../../test/harness.js';
import { StreamClient, chunkBytes, streamChunks } from '../../test/clients/stream-client.js';

const START = { type: 'start', encoding: 'pcm_f32le', sampleRate: 16000, channels: 1 } as const;

let child: ChildProcess;
let exited: Promise<number | string>;
let logs: Record<string, unknown>[];
let port: number;
let clustered: ServerProcess;

beforeAll(async () => {
  clustered = await startServer(['--workers', '2', '--max-sessions', '3']);
  ({ child, exited, logs, port } = clustered);
});

afterAll(async () => {
  await clustered?.kill();
});

describe('undertone serve --workers 2', () => {
  it('logs JSON lines: listening with the port, one load of each model (wideband, narrowband) per worker', () => {
    expect(port).toBeGreaterThan(0);
    const loads = logs.filter((l) => l.msg === 'model loaded');
    expect(loads).toHaveLength(4);
    const pids = new Set(loads.map((l) => l.pid));
    expect(pids.size).toBe(2);
    for (const pid of pids) expect(loads.filter((l) => l.pid === pid).map((l) => l.band).sort()).toEqual(['narrowband', 'wideband']);
  });

  it('labels equal predict whichever worker serves the session; maxSessions holds across workers', async () => {
    const model = await EmotionModel.load(modelDir());
    const rows = manifestRows().filter((r) => r.durationS > 3 && r.durationS < 4).slice(0, 3);
    const samples = await Promise.all(rows.map((r) => decodeAudioFile(corpusFile(r))));
    const wants = await Promise.all(samples.map((s) => predictSamples(model, s)));
    await model.release();
    const url = `ws://127.0.0.1:${port}/v1/stream`;
    // Three sessions in parallel (the limit): round-robin puts them on both workers.
    const runs = await Promise.all(samples.map((s) => streamChunks(url, START, chunkBytes(f32leBytes(s), [6400]), { bytesPerSecond: 64000, pace: 2, stop: true })));
    runs.forEach((run, i) => {
      expect(run.closed.code).toBe(1000);
      expect(run.client.emotions.map((e) => e.second)).toEqual(wants[i].timeline.map((e) => e.second));
      run.client.emotions.forEach((e, k) => expect(compareEntry(e, wants[i].timeline[k])).toBeLessThan(1e-4));
    });
    const pids = new Set(logs.filter((l) => l.msg === 'session started').map((l) => l.pid));
    expect(pids.size).toBe(2);
    // Hold three sessions open, then a fourth is refused, wherever it lands.
    const held = await Promise.all(
      [0, 1, 2].map(async () => {
        const c = await StreamClient.connect(url);
        c.sendJson(START);
        await c.next('ready');
        return c;
      }),
    );
    const extra = await StreamClient.connect(url);
    expect((await extra.closed).code).toBe(1013);
    expect(extra.error?.code).toBe('overloaded');
    for (const c of held) c.sendJson({ type: 'stop' });
    await Promise.all(held.map((c) => c.closed));
  });

  it('/metrics aggregates both workers', async () => {
    // A worker releases a session just after its client has seen the close: read the gauge once
    // both workers have (it failed 1 of 3 full runs when scraped at once).
    const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    await expect.poll(scrape, { timeout: 5_000 }).toMatch(/^undertone_live_sessions 0$/m);
    const text = await scrape();
    expect(text).toMatch(/^undertone_sessions_total\{encoding="pcm_f32le",band="wideband"\} 6$/m);
    expect(text).toMatch(/^undertone_errors_total\{code="overloaded"\} 1$/m);
    expect(text).toMatch(/^undertone_live_sessions 0$/m);
    expect(text).toContain('undertone_label_latency_seconds_bucket');
  });

  it('SIGTERM drains: a live session gets its labels, end (shutdown) and 1001; the process exits 0', async () => {
    const samples = await decodeAudioFile(corpusFile(manifestRows().find((r) => r.durationS > 4)!));
    const run = streamChunks(`ws://127.0.0.1:${port}/v1/stream`, START, chunkBytes(f32leBytes(samples), [1280]), { bytesPerSecond: 64000, pace: 1 });
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGTERM');
    const { client, closed } = await run;
    expect(closed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(client.end).toMatchObject({ reason: 'shutdown' });
    expect(client.emotions.length).toBeGreaterThanOrEqual(2);
    expect(client.end!.seconds).toBe(client.emotions.length);
    expect(await exited).toBe(0);
    expect(logs.some((l) => l.msg === 'drained')).toBe(true);
  });
});

describe('undertone serve --inference-thread', () => {
  it('labels equal predict with onnxruntime on a worker thread', async () => {
    const threaded = await startServer(['--workers', '1', '--inference-thread']);
    try {
      expect(threaded.logs.find((l) => l.msg === 'model loaded')).toMatchObject({ inferenceThread: true });
      const model = await EmotionModel.load(modelDir());
      const samples = await decodeAudioFile(corpusFile(manifestRows().find((r) => r.durationS > 4)!));
      const want = await predictSamples(model, samples);
      await model.release();
      const run = await streamChunks(`ws://127.0.0.1:${threaded.port}/v1/stream`, START, chunkBytes(f32leBytes(samples), [4001]));
      expect(run.closed.code).toBe(1000);
      expect(run.client.emotions.map((e) => e.second)).toEqual(want.timeline.map((e) => e.second));
      run.client.emotions.forEach((e, k) => expect(compareEntry(e, want.timeline[k])).toBeLessThan(1e-4));
      threaded.child.kill('SIGTERM');
      expect(await threaded.exited).toBe(0);
    } finally {
      await threaded.kill();
    }
  });
});
