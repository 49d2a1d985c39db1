/** `undertone stream` through the built CLI against a real server: labels as predict gives them, and clear failures. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../core/audio/decode-file.js';
import { encodeWav } from '../core/audio/wav.js';
import { type TestServer, startTestServer } from '../test/harness.js';
import { runCli } from '../test/cli.js';
import { corpusFile, manifestRows } from '../test/corpora.js';
import { referenceWav, sox } from '../test/transcode.js';
import { concatFloat32 } from '../core/audio/concat.js';
import type { EndMessage } from '../core/protocol/index.js';

const row = manifestRows().find((r) => r.corpus === 'ravdess' && r.emotion === 'angry')!;
let srv: TestServer;
const dir = mkdtempSync(path.join(tmpdir(), 'undertone-stream-'));

beforeAll(async () => {
  srv = await startTestServer();
});

afterAll(async () => {
  await srv?.server.drain();
  rmSync(dir, { recursive: true, force: true });
});

describe('undertone stream', () => {
  it('predict --summary gives a recording the call summary the live session of the same audio ends with', async () => {
    // ~35 s of one held-out actor: neutral, then sustained angry speech (the built-in
    // sustained-negative rule fires on it with the shipped model, web/demo.test.ts), then neutral.
    const clips = (emotion: string, n: number) => manifestRows().filter((r) => r.speaker === 'ravdess-03' && r.emotion === emotion).slice(0, n);
    const rows = [...clips('neutral', 2), ...clips('angry', 7), ...clips('neutral', 2)];
    const wav = path.join(dir, 'call.wav');
    writeFileSync(wav, encodeWav(concatFloat32(await Promise.all(rows.map((r) => decodeAudioFile(corpusFile(r))))), 16000, 1, 'pcm16'));
    const [s, p, text] = await Promise.all([
      runCli(['stream', wav, '--url', srv.url, '--json']),
      runCli(['predict', '--json', '--summary', wav]),
      runCli(['predict', '--summary', wav]),
    ]);
    expect(s.code, s.stderr).toBe(0);
    expect(p.code, p.stderr).toBe(0);
    const live = (JSON.parse(s.stdout.trim().split('\n').at(-1)!) as EndMessage).summary;
    const offline = JSON.parse(p.stdout).summary;
    expect(live.segments.length).toBeGreaterThan(1);
    expect(live.alertCounts['sustained-negative']).toBeGreaterThanOrEqual(1);
    // Same seconds, same settled labels and alerts; the scores behind them agree to 1e-4 (stream == predict).
    expect(offline.segments).toEqual(live.segments);
    expect(offline.voicedShare).toEqual(live.voicedShare);
    expect(offline.alertCounts).toEqual(live.alertCounts);
    expect(offline.alerts.map((a: { rule: string; second: number; label: string }) => [a.rule, a.second, a.label])).toEqual(live.alerts.map((a) => [a.rule, a.second, a.label]));
    expect(offline.peakArousal.second).toBe(live.peakArousal!.second);
    expect(offline.peakArousal.value).toBeCloseTo(live.peakArousal!.value, 3);
    // The text form: shares and alerts on one line, then the segments, then each alert.
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[1]).toMatch(/^ {2}summary: (\w+ \d+ %, )*\w+ \d+ %; peak arousal -?\d\.\d\d at \d+ s; alerts: .*sustained-negative x\d/);
    expect(lines[2]).toBe(`  segments: ${live.segments.map((g) => `${(g.startMs / 1000).toFixed(1)}-${(g.endMs / 1000).toFixed(1)} s ${g.label}`).join(', ')}`);
    expect(lines.filter((l) => l.startsWith('  alert sustained-negative at '))).toHaveLength(live.alertCounts['sustained-negative']);
  });

  it('--json prints one emotion message a line, then the end, with the labels of undertone predict', async () => {
    const file = corpusFile(row);
    const [s, p] = await Promise.all([runCli(['stream', file, '--url', srv.url, '--json', '--encoding', 'pcm_f32le']), runCli(['predict', '--json', file])]);
    expect(s.code, s.stderr).toBe(0);
    const lines = s.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const want = JSON.parse(p.stdout);
    const end = lines.pop();
    // Alert lines (if a rule fired) come between the emotion lines; the emotions equal predict's.
    const alerts = lines.filter((l) => l.type === 'alert');
    for (const a of alerts) expect(Object.keys(a).sort()).toEqual(['endMs', 'label', 'rule', 'score', 'second', 'startMs', 'type']);
    const emotions = lines.filter((l) => l.type !== 'alert');
    expect(emotions.map((l) => l.type)).toEqual(want.timeline.map(() => 'emotion'));
    emotions.forEach((l, i) => {
      const { type, scores, smoothed, settled, arousal, valence, ...rest } = l;
      expect(smoothed !== undefined && arousal !== undefined && valence !== undefined).toBe(l.voiced);
      // An earlier second's settled label (two seconds back with the shipped models), voiced or not.
      if (settled !== undefined) expect(want.timeline[settled.second - 1].voiced && settled.second < l.second).toBe(true);
      const { scores: wantScores, ...wantRest } = want.timeline[i];
      expect(type).toBe('emotion');
      expect(rest).toEqual(wantRest);
      for (const [k, v] of Object.entries(wantScores ?? {})) expect(Math.abs(scores[k] - (v as number))).toBeLessThan(1e-4);
    });
    expect(end).toMatchObject({ type: 'end', reason: 'stop', seconds: want.timeline.length, summary: { label: want.label } });
  });

  it('a μ-law WAV recording (format 7, 8 kHz, made by sox) gets the labels the live pcm_mulaw stream of its bytes gets', async () => {
    const mulaw = path.join(dir, 'call-mulaw.wav');
    sox(await referenceWav(corpusFile(row), dir, 'ref.wav'), '-r', '8000', '-e', 'mu-law', mulaw);
    // The server labels G.711 streams with the narrowband model; predict picks it for a G.711 file
    // by itself (--band auto), as it does for any file recorded at 8 kHz.
    const [s, p] = await Promise.all([
      runCli(['stream', mulaw, '--url', srv.url, '--json', '--encoding', 'pcm_mulaw']),
      runCli(['predict', '--json', mulaw]),
    ]);
    expect(s.code, s.stderr).toBe(0);
    expect(p.code, p.stderr).toBe(0);
    const lines = s.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const want = JSON.parse(p.stdout);
    const narrowband = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../models/narrowband/model.json'), 'utf8'));
    expect(want.model).toBe(`${narrowband.name} ${narrowband.version}`);
    lines.pop();
    // Alert lines (if a rule fired) sit between the emotion lines; the emotions are compared.
    const emotions = lines.filter((l) => l.type === 'emotion');
    expect(emotions.length + lines.filter((l) => l.type === 'alert').length).toBe(lines.length);
    expect(emotions.map((l) => l.second)).toEqual(want.timeline.map((e: { second: number }) => e.second));
    expect(want.timeline.some((e: { voiced: boolean }) => e.voiced)).toBe(true);
    emotions.forEach((l, i) => {
      const e = want.timeline[i];
      expect(l.voiced).toBe(e.voiced);
      expect(l.label).toBe(e.label);
      for (const [k, v] of Object.entries(e.scores ?? {})) expect(Math.abs(l.scores[k] - (v as number))).toBeLessThan(1e-4);
    });
  });

  it('human output at real time (--realtime) for the Opus packets', async () => {
    const t0 = performance.now();
    const r = await runCli(['stream', corpusFile(row), '--url', srv.url, '--realtime']);
    expect(r.code, r.stderr).toBe(0);
    expect(performance.now() - t0).toBeGreaterThan(row.durationS * 1000 - 200);
    expect(r.stdout).toMatch(/session [0-9a-f-]{36} \(model .*, opus\)/);
    expect(r.stdout).toMatch(/\n\s+1\s+0\.0-1\.0\s+s\s+/);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/labels, \d+ voiced\): (\w+ — |no speech detected)/);
  });

  it('exits 1 with a clear message when the server is down or refuses the session', async () => {
    const down = await runCli(['stream', corpusFile(row), '--url', 'ws://127.0.0.1:9/v1/stream']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^undertone stream: cannot connect to ws:\/\/127\.0\.0\.1:9\/v1\/stream: .*ECONNREFUSED.*\(is the server running\?\)\n$/);
    // A WAV at 2 kHz: the server takes PCM from 4 kHz only.
    const wav = path.join(dir, 'slow.wav');
    writeFileSync(wav, encodeWav((await decodeAudioFile(corpusFile(row))).subarray(0, 4000), 2000, 1, 'pcm16'));
    const refused = await runCli(['stream', wav, '--url', srv.url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^undertone stream: server refused the session: unsupported_format: unsupported sample rate 2000/);
    const usage = await runCli(['stream', wav]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--url is required/);
  });
});
