/**
 * The supervision layer in a live session, end to end: a real server with the shipped model, a
 * real corpus stream, a rules file, a real webhook receiver on 127.0.0.1 and the session bus.
 * Every supervised field the client receives must equal what core/supervision computes from the
 * same raw labels (the oracle is SessionSupervisor fed with the client's own raw entries).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelDir } from '../process/paths.js';
import { concatFloat32 } from '../../core/audio/concat.js';
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import type { TimelineEntry } from '../../core/predict.js';
import type { AlertMessage, EmotionMessage } from '../../core/protocol/index.js';
import { DEFAULT_ALERT_RULES, loadAlertRulesDoc, modelAlertRules, rulesOf } from '../../core/supervision/alert-rules.js';
import { SessionSupervisor } from '../../core/supervision/session-supervisor.js';
import { readModelFiles } from '../../core/model/metadata.js';
import { modelSmoothing } from '../../core/supervision/smoothing.js';
import { DEFAULT_SUMMARY_OPTIONS } from '../../core/supervision/summary.js';
import { verifyWebhookSignature } from '../../core/supervision/webhook.js';
import { corpusFile, manifestRows } from '../../test/corpora.js';
import { chunkBytes, streamChunks } from '../../test/clients/stream-client.js';
import { ConfigError, defaultConfig, loadConfig } from '../process/config.js';
import { InProcessBus } from '../events/in-process-bus.js';
import type { SessionEvent } from '../events/session-event.js';
import { UndertoneServer } from '../process/server.js';

const SECRET = 'webhook-test-secret';
const RULES = {
  includeDefaults: true,
  rules: [{ id: 'any-speech', when: { arousal: { min: -1 } }, sustain: { k: 2, of: 3 }, cooldownSeconds: 5 }],
};

class RecordingBus extends InProcessBus {
  readonly published: SessionEvent[] = [];
  override publish(event: SessionEvent): void {
    this.published.push(event);
    super.publish(event);
  }
}

interface Hook {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

let server: UndertoneServer;
let bus: RecordingBus;
let url: string;
let rulesFile: string;
let receiver: Server;
const hooks: Hook[] = [];
let pcm: Uint8Array;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'supervision-'));
  rulesFile = path.join(dir, 'rules.json');
  await writeFile(rulesFile, JSON.stringify(RULES));
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hooks.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  bus = new RecordingBus(30);
  // Admission off (latencyTargetMs 0), as in test/harness.ts: this server shares its event loop
  // with the test and its machine with other test files; admission has its own tests.
  const config = defaultConfig(modelDir(), { port: 0, host: '127.0.0.1', maxEventLoopLagMs: 0, latencyTargetMs: 0, alertRules: loadAlertRulesDoc(rulesFile), webhookUrls: [hookUrl], webhookSecret: SECRET });
  server = await UndertoneServer.listen({ config, bus });
  await server.ready;
  url = `ws://127.0.0.1:${server.port}/v1/stream`;
  // ~25 s of one held-out actor's angry speech, as 16-bit PCM.
  const rows = manifestRows().filter((r) => r.speaker === 'ravdess-01' && r.emotion === 'angry');
  const speech = concatFloat32(await Promise.all(rows.slice(0, 7).map((r) => decodeAudioFile(corpusFile(r)))));
  const s16 = new Int16Array(speech.length);
  for (let i = 0; i < speech.length; i++) s16[i] = Math.max(-32768, Math.min(32767, Math.round(speech[i] * 32767)));
  pcm = new Uint8Array(s16.buffer);
});

afterAll(async () => {
  await server?.drain();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

const START = { type: 'start', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 } as const;

function rawEntry(m: EmotionMessage): TimelineEntry {
  const { type: _t, smoothed: _s, settled: _d, arousal: _a, valence: _v, ...raw } = m;
  return raw;
}

describe('supervision in a live session', () => {
  it('emotion messages carry smoothed/settled/arousal/valence, alerts arrive in order, end.summary holds the call summary; all equal the offline computation', async () => {
    const run = await streamChunks(url, { ...START, key: 'supervised' }, chunkBytes(pcm, [6400]), { bytesPerSecond: 32000 });
    expect(run.closed.code).toBe(1000);
    const emotions = run.client.emotions;
    expect(emotions.length).toBeGreaterThan(20);
    const { metadata } = await readModelFiles(modelDir());
    const rules = rulesOf(loadAlertRulesDoc(rulesFile), modelAlertRules(metadata.supervision?.rules));
    const oracle = new SessionSupervisor(run.client.ready!.model.labels, { smoothing: modelSmoothing(metadata), rules, summary: DEFAULT_SUMMARY_OPTIONS });
    const expectedAlerts: AlertMessage[] = [];
    const settledSeconds: number[] = [];
    for (const m of emotions) {
      const step = oracle.observe(rawEntry(m));
      if (m.voiced) expect({ smoothed: m.smoothed, arousal: m.arousal, valence: m.valence }).toEqual(step.fields);
      else expect(m.smoothed).toBeUndefined();
      expect(m.settled).toEqual(step.settled);
      if (m.settled) settledSeconds.push(m.settled.second);
      expectedAlerts.push(...step.alerts.map((a) => ({ type: 'alert' as const, ...a })));
    }
    const alerts = run.client.messages.filter((m): m is AlertMessage => m.type === 'alert');
    expect(alerts.length).toBeGreaterThanOrEqual(3);
    expect(alerts).toEqual(expectedAlerts);
    // An alert follows the emotion message of the second it fired on.
    const idx = run.client.messages.indexOf(alerts[0]);
    expect(run.client.messages[idx - 1]).toMatchObject({ type: 'emotion', second: alerts[0].second });
    // Every voiced second but the last settleSeconds' is settled on the wire, settleSeconds later.
    const lag = modelSmoothing(metadata).settleSeconds;
    const voicedSeconds = emotions.filter((m) => m.voiced).map((m) => m.second);
    expect(settledSeconds).toEqual(voicedSeconds.filter((k) => k <= emotions.length - lag));
    for (const m of emotions) if (m.settled) expect(m.settled.second).toBe(m.second - lag);
    const end = run.client.end!;
    const expected = oracle.summary();
    expect(end.summary).toMatchObject(expected);
    expect(end.summary.alertCounts['any-speech']).toBe(alerts.filter((a) => a.rule === 'any-speech').length);

    // Subscribers see the same alerts on the bus, numbered between the emotions.
    const sessionId = run.client.ready!.sessionId;
    const published = bus.published.filter((e) => e.sessionId === sessionId);
    expect(published.map((e) => e.seq)).toEqual(published.map((_, i) => i + 1));
    expect(published.filter((e) => e.type === 'alert').map(({ sessionId: _s, seq: _q, ...a }) => a)).toEqual(alerts);

    // /metrics counts them by rule.
    const metrics = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    const line = metrics.split('\n').find((l) => l.startsWith('undertone_alerts_total{rule="any-speech"}'));
    expect(Number(line?.split(' ')[1])).toBeGreaterThanOrEqual(alerts.filter((a) => a.rule === 'any-speech').length);

    // Webhooks: every alert and the summary, signed, with the session id and key.
    await expect.poll(() => hooks.filter((h) => JSON.parse(h.body).data.sessionId === sessionId).length, { timeout: 10_000 }).toBe(alerts.length + 1);
    const mine = hooks.filter((h) => JSON.parse(h.body).data.sessionId === sessionId);
    for (const h of mine) {
      expect(verifyWebhookSignature({ secret: SECRET, body: h.body, timestamp: h.headers['undertone-timestamp'] as string, signature: h.headers['undertone-signature'] as string })).toEqual({ ok: true });
    }
    const summaryHook = JSON.parse(mine.find((h) => h.headers['undertone-event'] === 'summary')!.body);
    expect(summaryHook.data).toMatchObject({ sessionId, key: 'supervised', type: 'end', reason: 'stop', summary: expected });
    const alertHooks = mine.filter((h) => h.headers['undertone-event'] === 'alert').map((h) => JSON.parse(h.body).data);
    expect(alertHooks.map(({ sessionId: _s, key: _k, ...a }) => a)).toEqual(alerts);
  });

  it('start.smoothing overrides the server settings for that session; a bad one is refused naming the field', async () => {
    const run = await streamChunks(url, { ...START, smoothing: { method: 'none', switchMargin: 0, switchRatio: 1, settleSeconds: 0 } }, chunkBytes(pcm.subarray(0, 32000 * 8), [6400]), { bytesPerSecond: 32000 });
    const voiced = run.client.emotions.filter((m) => m.voiced);
    expect(voiced.length).toBeGreaterThan(3);
    for (const m of voiced) expect(m.smoothed!.label).toBe(m.label);
    // settleSeconds 0: every voiced second is settled on its own message, no later.
    expect(run.client.emotions.filter((m) => m.settled).map((m) => [m.second, m.settled!.second])).toEqual(voiced.map((m) => [m.second, m.second]));

    const bad = await streamChunks(url, { ...START, smoothing: { persistence: 2 } } as never, [], {});
    expect(bad.client.error).toMatchObject({ code: 'invalid_message', message: 'start: smoothing.persistence must be a number in (0, 1), got 2' });
    expect(bad.closed.code).toBe(1007);
  });

  it("a model's own smoothing and rules (model.json supervision) are where its sessions start; --smoothing lays fields over them", async () => {
    // A copy of the shipped models whose wideband model.json says: raw scores, and a label that
    // never switches (ratio 1000); the server's --smoothing then sets only switchRatio 1. Its
    // tuning of sustained-negative fires on any voiced second, every 5 s (the built-in one: at
    // most once in 30 s).
    const dir = await mkdtemp(path.join(tmpdir(), 'model-smoothing-'));
    await cp(modelDir(), dir, { recursive: true });
    const json = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
    const eager = { ...DEFAULT_ALERT_RULES[0], when: { labels: json.labels, minScore: 0.01 }, sustain: { k: 1, of: 1 }, cooldownSeconds: 5 };
    json.supervision = { smoothing: { method: 'none', switchMargin: 0, switchRatio: 1000 }, rules: [eager], chosen: { smoothing: 'by this test' } };
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
    const config = defaultConfig(dir, { port: 0, host: '127.0.0.1', maxEventLoopLagMs: 0, latencyTargetMs: 0, smoothing: { switchRatio: 1 } });
    const own = await UndertoneServer.listen({ config });
    try {
      await own.ready;
      const mine = await streamChunks(`ws://127.0.0.1:${own.port}/v1/stream`, START, chunkBytes(pcm, [6400]), { bytesPerSecond: 32000 });
      const voiced = mine.client.emotions.filter((m) => m.voiced);
      expect(voiced.length).toBeGreaterThan(10);
      // method none from the model: the smoothed scores are the raw ones; ratio 1 from the server: so is the label.
      for (const m of voiced) {
        expect(m.smoothed!.label).toBe(m.label);
        for (const [k, v] of Object.entries(m.scores!)) expect(m.smoothed!.scores[k as keyof typeof m.scores]).toBeCloseTo(v, 6);
      }
      // The model's tuning replaced the built-in sustained-negative; rising-arousal stayed built in.
      const { metadata } = await readModelFiles(dir);
      expect(modelAlertRules(metadata.supervision?.rules).map((r) => r.id)).toEqual(DEFAULT_ALERT_RULES.map((r) => r.id));
      const oracle = new SessionSupervisor(metadata.labels, { smoothing: { ...modelSmoothing(metadata), switchRatio: 1 }, rules: modelAlertRules(metadata.supervision?.rules), summary: DEFAULT_SUMMARY_OPTIONS });
      const expected = mine.client.emotions.flatMap((m) => oracle.observe(rawEntry(m)).alerts.map((a) => ({ type: 'alert' as const, ...a })));
      const alerts = mine.client.messages.filter((m): m is AlertMessage => m.type === 'alert');
      expect(alerts).toEqual(expected);
      expect(alerts.filter((a) => a.rule === 'sustained-negative').length).toBeGreaterThanOrEqual(3);
      // The same audio on the shipped model's own setting (an HMM filter) moves the scores.
      const shipped = await streamChunks(url, START, chunkBytes(pcm, [6400]), { bytesPerSecond: 32000 });
      const moved = shipped.client.emotions.filter((m) => m.voiced).map((m) => Math.max(...Object.keys(m.scores!).map((k) => Math.abs(m.scores![k as keyof typeof m.scores]! - m.smoothed!.scores[k as keyof typeof m.scores]!))));
      expect(Math.max(...moved)).toBeGreaterThan(0.01);
    } finally {
      await own.drain();
    }
  });

  it('config: --alert-rules FILE is validated at start with the file named; webhooks need a secret; --smoothing is checked', () => {
    const doc = loadConfig(['--alert-rules', rulesFile], {}, modelDir()).alertRules!;
    expect(rulesOf(doc).map((r) => r.id)).toEqual([...DEFAULT_ALERT_RULES.map((r) => r.id), 'any-speech']);
    expect(doc.includeDefaults).toBe(true);
    expect(loadConfig([], {}, modelDir()).alertRules).toBeUndefined();
    expect(() => loadConfig(['--alert-rules', '/no/such/rules.json'], {}, modelDir())).toThrow(new ConfigError('alert rules: /no/such/rules.json: cannot read: ENOENT'));
    expect(() => loadConfig(['--webhook-url', 'http://127.0.0.1:9/x'], {}, modelDir())).toThrow(/--webhook-url needs --webhook-secret/);
    const two = loadConfig(['--webhook-url', 'http://127.0.0.1:9/a', '--webhook-url', 'https://example.invalid/b', '--webhook-secret', 's'], {}, modelDir());
    expect(two.webhookUrls).toEqual(['http://127.0.0.1:9/a', 'https://example.invalid/b']);
    expect(loadConfig([], { UNDERTONE_WEBHOOK_URLS: 'http://127.0.0.1:9/a,http://127.0.0.1:9/b', UNDERTONE_WEBHOOK_SECRET: 's' }, modelDir()).webhookUrls).toHaveLength(2);
    expect(loadConfig(['--smoothing', '{"method":"ema","alpha":0.2}'], {}, modelDir()).smoothing).toEqual({ method: 'ema', alpha: 0.2 });
    expect(loadConfig([], {}, modelDir()).smoothing).toBeUndefined();
    expect(() => loadConfig(['--smoothing', '{"alpha":3}'], {}, modelDir())).toThrow('--smoothing: smoothing.alpha must be a number in (0, 1], got 3');
    expect(() => loadConfig(['--smoothing', 'ema'], {}, modelDir())).toThrow('--smoothing must be a JSON object, got "ema"');
  });
});
