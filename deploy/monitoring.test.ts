/**
 * The Grafana dashboard and the Prometheus alert rules query only series the server really
 * exports: every metric name in their expressions is on a live server's /metrics after some
 * traffic (a streamed corpus file, a refused message, a shed session: labelled counters appear
 * once used), and
 * promtool accepts the rules file.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleNames } from '../bench/lib/metrics.js';
import { decodeAudioFile } from '../core/audio/decode-file.js';
import { f32leBytes, startTestServer, type TestServer } from '../test/harness.js';
import { StreamClient, chunkBytes, streamChunks } from '../test/clients/stream-client.js';
import { corpusFile, longestRow } from '../test/corpora.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DASHBOARD = path.join(HERE, 'grafana/undertone.json');
const RULES = path.join(HERE, 'prometheus/alerts.yml');
/** Our series and prom-client's default ones; `up` is made by Prometheus itself, not exported. */
const METRIC = /\b(?:undertone|process|nodejs)_[a-zA-Z0-9_]+\b/g;

interface Panel {
  readonly title: string;
  readonly targets?: { readonly expr: string }[];
}

function dashboardExpressions(): string[] {
  const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[]; templating: { list: { query?: unknown }[] } };
  const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  for (const v of dash.templating.list) {
    const q = v.query as { query?: string } | string | undefined;
    if (typeof q === 'object' && q?.query) exprs.push(q.query);
  }
  return exprs;
}

/** The `expr:` of every rule, single-line or a `|` block. */
function ruleExpressions(): string[] {
  const lines = readFileSync(RULES, 'utf8').split('\n');
  const exprs: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)expr:\s*(.*)$/.exec(lines[i]);
    if (!m) continue;
    if (m[2].trim() !== '|') {
      exprs.push(m[2]);
      continue;
    }
    const block: string[] = [];
    while (i + 1 < lines.length && (lines[i + 1].trim() === '' || lines[i + 1].search(/\S/) > m[1].length)) block.push(lines[++i]);
    exprs.push(block.join('\n'));
  }
  return exprs;
}

function metricNames(exprs: readonly string[]): Set<string> {
  return new Set(exprs.flatMap((e) => e.match(METRIC) ?? []));
}

let srv: TestServer;
let exported: Set<string>;

beforeAll(async () => {
  srv = await startTestServer({ maxSessions: 2 });
  const samples = await decodeAudioFile(corpusFile(longestRow()));
  const run = await streamChunks(srv.url, { type: 'start', encoding: 'pcm_f32le', sampleRate: 16000, channels: 1 }, chunkBytes(f32leBytes(samples), [6400]), { bytesPerSecond: 64000 });
  expect(run.client.emotions.some((e) => e.voiced)).toBe(true);
  // An error: audio before start (start_required, close 1008).
  const bad = await StreamClient.connect(srv.url);
  await bad.sendBinary(new Uint8Array(8));
  expect((await bad.closed).code).toBe(1008);
  // A shed session: two connections hold both slots, a third is refused (overloaded).
  const holders = await Promise.all([StreamClient.connect(srv.url), StreamClient.connect(srv.url)]);
  const refused = await StreamClient.connect(srv.url);
  expect((await refused.next('error')).code).toBe('overloaded');
  for (const h of holders) h.close();
  await Promise.all(holders.map((h) => h.closed));
  exported = sampleNames(await (await fetch(`${srv.http}/metrics`)).text());
});

afterAll(async () => {
  await srv?.server.drain();
});

describe('deploy/grafana/undertone.json', () => {
  it('queries only series on /metrics, and covers what an SRE needs', () => {
    const names = metricNames(dashboardExpressions());
    const unknown = [...names].filter((n) => !exported.has(n));
    expect(unknown).toEqual([]);
    for (const needed of [
      'undertone_label_latency_seconds_bucket',
      'undertone_live_sessions',
      'undertone_inference_batch_size_bucket',
      'undertone_inference_duration_seconds_bucket',
      'undertone_event_loop_lag_seconds_bucket',
      'undertone_errors_total',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'undertone_sessions_shed_total',
      'undertone_busy_ratio',
      'undertone_admission_delay_seconds',
    ]) {
      expect(names, needed).toContain(needed);
    }
  });

  it('is a loadable dashboard: unique panel ids, every panel has a query', () => {
    const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; panels: (Panel & { id: number })[] };
    expect(dash.uid).toBeTruthy();
    expect(new Set(dash.panels.map((p) => p.id)).size).toBe(dash.panels.length);
    for (const p of dash.panels) expect(p.targets?.length, p.title).toBeGreaterThan(0);
  });
});

describe('deploy/prometheus/alerts.yml', () => {
  it('queries only series on /metrics (and Prometheus\'s own up)', () => {
    const exprs = ruleExpressions();
    expect(exprs.length).toBeGreaterThanOrEqual(6);
    const names = metricNames(exprs);
    expect([...names].filter((n) => !exported.has(n))).toEqual([]);
    expect(names).toContain('undertone_label_latency_seconds_bucket');
    expect(names).toContain('undertone_errors_total');
    expect(names).toContain('undertone_session_limit');
    expect(exprs.some((e) => /\bup\b/.test(e))).toBe(true);
  });

  it('passes promtool check rules', async () => {
    const { stdout } = await promisify(execFile)('promtool', ['check', 'rules', RULES]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });
});
