/**
 * Metrics whose figure differs by model carry the model band: a 16 kHz PCM stream (wideband
 * model) and a Twilio call (narrowband model) on one real server; label latency, labels, sessions,
 * inference batches and their duration are counted under band="wideband" and band="narrowband"
 * respectively, each matching what its client received.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import { chunkBytes, streamChunks } from '../../test/clients/stream-client.js';
import { playTwilioCall, toMulaw8k } from '../../test/clients/twilio-client.js';
import { corpusFile, manifestRows } from '../../test/corpora.js';
import { type TestServer, f32leBytes, startTestServer } from '../../test/harness.js';
import { parseExposition, total } from '../../bench/lib/metrics.js';

let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer();
});

afterAll(async () => {
  await srv?.server.drain();
});

describe('metrics by model band', () => {
  it('label latency, labels, sessions and inference are split into wideband and narrowband', async () => {
    const samples = await decodeAudioFile(corpusFile(manifestRows().find((r) => r.durationS > 4 && r.durationS < 6)!));
    const run = await streamChunks(srv.url, { type: 'start', encoding: 'pcm_f32le', sampleRate: 16000, channels: 1 }, chunkBytes(f32leBytes(samples), [6400]));
    expect(run.closed.code).toBe(1000);
    const call = await playTwilioCall(`ws://127.0.0.1:${srv.server.port}/v1/twilio`, { tracks: { inbound: toMulaw8k(samples) } });
    expect(call.close.code).toBe(1000);
    const m = parseExposition(await (await fetch(`${srv.http}/metrics`)).text());
    const wide = run.client.emotions.length;
    expect(m.get('undertone_label_latency_seconds_count{band="wideband"}')).toBe(wide);
    expect(total(m, 'undertone_labels_total{voiced="true",band="wideband"}') + total(m, 'undertone_labels_total{voiced="false",band="wideband"}')).toBe(wide);
    // The call's one track has as many seconds as the file.
    expect(m.get('undertone_label_latency_seconds_count{band="narrowband"}')).toBe(wide);
    expect(m.get('undertone_sessions_total{encoding="pcm_f32le",band="wideband"}')).toBe(1);
    expect(m.get('undertone_sessions_total{encoding="audio/x-mulaw",band="narrowband"}')).toBe(1);
    const voicedWide = m.get('undertone_labels_total{voiced="true",band="wideband"}') ?? 0;
    const voicedNarrow = m.get('undertone_labels_total{voiced="true",band="narrowband"}') ?? 0;
    expect(voicedWide).toBeGreaterThan(0);
    expect(voicedNarrow).toBeGreaterThan(0);
    // Every voiced window was scored in its band's batches.
    expect(m.get('undertone_inference_batch_size_sum{band="wideband"}')).toBe(voicedWide);
    expect(m.get('undertone_inference_batch_size_sum{band="narrowband"}')).toBe(voicedNarrow);
    expect(m.get('undertone_inference_duration_seconds_count{band="narrowband"}')).toBeGreaterThan(0);
    // Every scored window's wait for its batch is observed, in its band.
    expect(m.get('undertone_inference_queue_wait_seconds_count{band="wideband"}')).toBe(voicedWide);
    expect(m.get('undertone_inference_queue_wait_seconds_count{band="narrowband"}')).toBe(voicedNarrow);
    expect(m.has('undertone_queued_windows{band="wideband"}')).toBe(true);
  });
});
