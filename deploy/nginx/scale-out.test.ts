/**
 * Scale-out for real: Debian nginx running deploy/nginx/undertone.conf in front of two
 * `undertone serve` processes. Sessions streamed through nginx spread over both backends and
 * every label arrives, equal to predict; health checks pass through; and a backend drained with
 * SIGTERM ends its sessions cleanly (`end` reason shutdown, close 1001 relayed by nginx) while the
 * other backend keeps serving, new sessions included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNginx, type Nginx } from '../../test/nginx.js';
import { scrape, total } from '../../bench/lib/metrics.js';
import { startServer, type ServerProcess } from '../../test/server-process.js';
import { modelDir } from '../../server/process/paths.js';
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import { EmotionModel } from '../../core/model/emotion-model.js';
import { predictSamples } from '../../core/predict.js';
import { compareEntry, f32leBytes } from '../../test/harness.js';
import { chunkBytes, streamChunks, StreamClient } from '../../test/clients/stream-client.js';
import { corpusFile, longestRow, manifestRows } from '../../test/corpora.js';

const START = { type: 'start', encoding: 'pcm_f32le', sampleRate: 16000, channels: 1 } as const;

let backends: ServerProcess[] = [];
let nginx: Nginx;

beforeAll(async () => {
  backends = await Promise.all([0, 1].map(() => startServer(['--workers', '1'], { showErrors: true })));
  nginx = await startNginx(backends.map((b) => b.port));
});

afterAll(async () => {
  await nginx?.stop();
  await Promise.all(backends.map((b) => b.stop()));
});

describe('nginx in front of two servers', () => {
  it('passes health checks through and keeps /metrics per backend', async () => {
    expect((await fetch(`${nginx.http}/healthz`)).status).toBe(200);
    expect((await fetch(`${nginx.http}/readyz`)).status).toBe(200);
    expect((await fetch(`${nginx.http}/metrics`)).status).toBe(404);
  });

  it('passes /v1/twilio and /v1/sessions through (WebSocket upgrade, listing)', async () => {
    const listing = await fetch(`${nginx.http}/v1/sessions`);
    expect(listing.status).toBe(200);
    expect(await listing.json()).toEqual({ sessions: [] });
    const base = nginx.url.replace('/v1/stream', '');
    for (const path of ['/v1/twilio', '/v1/sessions/nobody/events']) {
      const c = await StreamClient.connect(`${base}${path}`);
      // Upgraded by the backend (a Twilio stream waits for its messages; an unknown session is refused in-band).
      expect(c.ws.protocol).toBe('');
      c.ws.close();
      await c.closed;
    }
  });

  it('spreads concurrent sessions over both backends and delivers every label', async () => {
    const model = await EmotionModel.load(modelDir());
    const rows = manifestRows().filter((r) => r.durationS >= 2.5 && r.durationS <= 4);
    const files = Array.from({ length: 8 }, (_, i) => corpusFile(rows[Math.floor((i * rows.length) / 8)]));
    const before = await Promise.all(backends.map((b) => scrape(b.http)));
    const runs = await Promise.all(
      files.map(async (file) => {
        const samples = await decodeAudioFile(file);
        // Twice real time: the sessions overlap, as live ones do.
        const run = await streamChunks(nginx.url, START, chunkBytes(f32leBytes(samples), [6400]), { bytesPerSecond: 64000, pace: 2 });
        return { file, run, want: await predictSamples(model, samples) };
      }),
    );
    await model.release();
    for (const { file, run, want } of runs) {
      expect(run.closed.code, file).toBe(1000);
      expect(run.client.end?.reason, file).toBe('stop');
      const got = run.client.emotions;
      expect(got.length, file).toBe(want.timeline.length);
      got.forEach((e, i) => expect(compareEntry(e, want.timeline[i]), file).toBeLessThan(1e-4));
    }
    const after = await Promise.all(backends.map((b) => scrape(b.http)));
    const perBackend = after.map((a, i) => total(a, 'undertone_sessions_total') - total(before[i], 'undertone_sessions_total'));
    expect(perBackend.reduce((a, b) => a + b, 0)).toBe(files.length);
    for (const n of perBackend) expect(n).toBeGreaterThanOrEqual(2);
  });

  it('drains a backend on SIGTERM: its sessions end cleanly, the other backend keeps serving', async () => {
    const samples = await decodeAudioFile(corpusFile(longestRow()));
    const chunks = chunkBytes(f32leBytes(samples), [3200]);
    // Four real-time sessions, two per backend (least_conn).
    const runs = Array.from({ length: 4 }, () => streamChunks(nginx.url, START, chunks, { bytesPerSecond: 64000, pace: 1 }));
    const live = async (b: ServerProcess): Promise<number> => total(await scrape(b.http), 'undertone_live_sessions');
    for (let t = 0; t < 50 && (await live(backends[0])) + (await live(backends[1])) < 4; t++) await new Promise((r) => setTimeout(r, 100));
    const onFirst = await live(backends[0]);
    expect(onFirst).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 1200));
    expect(await backends[0].stop()).toBe(0);
    const results = await Promise.all(runs);
    const drained = results.filter((r) => r.client.end?.reason === 'shutdown');
    const finished = results.filter((r) => r.client.end?.reason === 'stop');
    expect(drained.length).toBe(onFirst);
    expect(finished.length).toBe(4 - onFirst);
    for (const r of drained) {
      expect(r.closed.code).toBe(1001);
      // Every second sent before the drain got its label, in order, before `end`.
      expect(r.client.emotions.length).toBeGreaterThanOrEqual(1);
      expect(r.client.emotions.map((e) => e.second)).toEqual(r.client.emotions.map((_, i) => i + 1));
    }
    for (const r of finished) expect(r.closed.code).toBe(1000);
    // nginx sends new sessions to the backend that is left.
    const next = await StreamClient.connect(nginx.url);
    next.sendJson(START);
    expect((await next.next('ready')).type).toBe('ready');
    next.close();
  });
});
