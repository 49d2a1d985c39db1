/**
 * Runs protocol fuzz cases (fuzz-cases.ts) against a live server, several connections at a time,
 * while a canary session streams real corpus audio at real time and must receive every label.
 * Used by bench/fuzz.ts (10,000+ cases against `undertone serve` in a child process) and
 * server/transport/stream-connection.fuzz.test.ts (a smaller run in the default tests).
 */
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import { labelPoints } from '../../core/model/window.js';
import { ERROR_CODES, type EmotionMessage, type ServerMessage, parseServerMessage } from '../../core/protocol/index.js';
import { corpusFile, manifestRows } from '../corpora.js';
import type { FuzzCase, Outcome } from './cases.js';
import { s16leBytes } from '../harness.js';
import { chunkBytes, streamChunks } from '../clients/stream-client.js';

export interface CaseResult {
  readonly messages: ServerMessage[];
  readonly close: number;
  readonly timedOut: boolean;
}

/** Plays one case on a fresh connection and returns what the server answered. */
export function playCase(url: string, c: FuzzCase, timeoutMs = 15_000): Promise<CaseResult> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 20 });
    const messages: ServerMessage[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ws.terminate();
    }, timeoutMs);
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      try {
        messages.push(parseServerMessage(data.toString()));
      } catch {
        messages.push({ type: 'error', code: 'internal', message: `unparseable server message: ${data.toString().slice(0, 80)}` });
      }
    });
    ws.on('open', () => {
      for (const step of c.steps) {
        if (ws.readyState !== WebSocket.OPEN) break;
        if (step.kind === 'text') ws.send(step.text);
        else ws.send(step.bytes, { binary: step.kind === 'binary' });
      }
      if (ws.readyState !== WebSocket.OPEN) return;
      if (c.stop) ws.send('{"type":"stop"}');
      // Without stop, a case expected to fail just waits for the server to close. One that may be
      // accepted ends by the client closing once the server has answered start (ready: the Opus
      // decoder is created asynchronously) and has read every frame (the pong), plus a pause for
      // their asynchronous handling.
      else if (c.expect.kind === 'accepted' || c.expect.kind === 'either') {
        const closeSoon = (): void => {
          ws.once('pong', () => setTimeout(() => ws.readyState === WebSocket.OPEN && ws.close(1000), 200));
          ws.ping();
        };
        if (messages.length > 0) closeSoon();
        else ws.once('message', closeSoon);
      }
    });
    ws.on('close', (code) => {
      clearTimeout(timer);
      resolve({ messages, close: code, timedOut });
    });
  });
}

/** Why a result does not match the outcome (undefined when it does). */
export function mismatch(expect: Outcome, r: CaseResult, stop: boolean): string | undefined {
  if (r.timedOut) return 'no answer within the timeout';
  const errors = r.messages.filter((m) => m.type === 'error');
  for (const m of r.messages) {
    if (m.type !== 'emotion') continue;
    const bad = badEmotion(m);
    if (bad) return bad;
  }
  switch (expect.kind) {
    case 'error': {
      if (errors.length !== 1) return `expected one error ${expect.code}, got ${JSON.stringify(errors)}`;
      const e = errors[0];
      if (e.code !== expect.code) return `expected error ${expect.code}, got ${e.code} (${e.message})`;
      if (r.messages[r.messages.length - 1] !== e) return 'messages after the error';
      if (r.close !== ERROR_CODES[e.code]) return `error ${e.code} closed with ${r.close}, documented ${ERROR_CODES[e.code]}`;
      return undefined;
    }
    case 'close':
      if (errors.length > 0) return `expected a bare close ${expect.close}, got error ${errors[0].code}`;
      return r.close === expect.close ? undefined : `expected close ${expect.close}, got ${r.close}`;
    case 'accepted': {
      if (errors.length > 0) return `expected acceptance, got error ${errors[0].code} (${errors[0].message})`;
      if (!stop) return r.close === 1000 ? undefined : `client close 1000 expected, got ${r.close}`;
      const last = r.messages[r.messages.length - 1];
      if (r.messages[0]?.type !== 'ready') return `first message is ${r.messages[0]?.type}, not ready`;
      if (last?.type !== 'end') return `last message is ${last?.type}, not end`;
      const emotions = r.messages.filter((m) => m.type === 'emotion').length;
      if (last.seconds !== emotions) return `end says ${last.seconds} seconds, ${emotions} labels came`;
      return r.close === 1000 ? undefined : `accepted session closed with ${r.close}`;
    }
    case 'either': {
      const reasons = expect.options.map((o) => mismatch(o, r, stop));
      return reasons.some((x) => x === undefined) ? undefined : reasons.join(' / ');
    }
  }
}

/** A label that breaks the protocol: non-finite or missing scores, scores not summing to 1. */
export function badEmotion(m: EmotionMessage): string | undefined {
  if (typeof m.voiced !== 'boolean') return `second ${m.second}: voiced is ${m.voiced}`;
  if (!m.voiced) return m.label === null || m.label === undefined ? undefined : `second ${m.second}: unvoiced with label ${m.label}`;
  const values = Object.values(m.scores ?? {});
  if (values.length === 0 || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) return `second ${m.second}: scores ${JSON.stringify(m.scores)}`;
  const sum = values.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-3) return `second ${m.second}: scores sum to ${sum}`;
  if (typeof m.label !== 'string') return `second ${m.second}: voiced without a label`;
  return undefined;
}

/** A session streaming real corpus audio at real time, file after file, until stopped; every label must arrive. */
export class Canary {
  expected = 0;
  received = 0;
  sessions = 0;
  /** Connections refused with overloaded (1013) and retried after retryAfterMs, as a client should. */
  shed = 0;
  readonly problems: string[] = [];
  private stopping = false;
  readonly done: Promise<void>;

  constructor(url: string, files: readonly string[]) {
    this.done = this.run(url, files);
  }

  stop(): Promise<void> {
    this.stopping = true;
    return this.done;
  }

  private async run(url: string, files: readonly string[]): Promise<void> {
    for (let i = 0; !this.stopping || this.sessions === 0; i++) {
      const samples = await decodeAudioFile(files[i % files.length]);
      const pcm = s16leBytes(samples);
      const want = labelPoints(samples.length).length;
      let run = await streamChunks(url, { type: 'start', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 }, chunkBytes(pcm, [640]), { bytesPerSecond: 32000, pace: 1 });
      // Shed by admission control (the machine is saturated): a well-behaved client waits and retries.
      while (run.client.error?.code === 'overloaded' && !this.stopping) {
        this.shed++;
        await new Promise((r) => setTimeout(r, run.client.error!.retryAfterMs ?? 1000));
        run = await streamChunks(url, { type: 'start', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 }, chunkBytes(pcm, [640]), { bytesPerSecond: 32000, pace: 1 });
      }
      if (run.client.error?.code === 'overloaded') break;
      this.sessions++;
      this.expected += want;
      this.received += run.client.emotions.length;
      const seconds = run.client.emotions.map((e) => e.second).join(',');
      if (run.closed.code !== 1000 || run.client.emotions.length !== want || seconds !== Array.from({ length: want }, (_, k) => k + 1).join(',')) {
        this.problems.push(`canary session ${this.sessions}: close ${run.closed.code}, labels [${seconds}] of ${want}, error ${run.client.error?.code ?? 'none'}`);
      }
      for (const e of run.client.emotions) {
        const bad = badEmotion(e);
        if (bad) this.problems.push(`canary: ${bad}`);
      }
    }
  }
}

/** Corpus files of a few seconds, for the canary. */
export function canaryFiles(count = 4): string[] {
  return manifestRows()
    .filter((r) => r.durationS > 3 && r.durationS < 6)
    .slice(0, count)
    .map(corpusFile);
}

export interface FuzzSummary {
  readonly cases: number;
  readonly failures: { name: string; reason: string; steps: string }[];
  /** Observed answers: error codes, `accepted`, `close:NNNN` for bare closes. */
  readonly answers: Record<string, number>;
  /** Cases answered `internal`/1011 or with a dropped connection (1006): server-side failures. */
  readonly crashes: number;
  readonly retries: number;
  readonly durationS: number;
}

function describeSteps(c: FuzzCase): string {
  const parts = c.steps.map((s) => (s.kind === 'text' ? `text(${JSON.stringify(s.text.slice(0, 60))}${s.text.length > 60 ? `…${s.text.length}` : ''})` : `${s.kind}(${s.bytes.length} B)`));
  return parts.join(' ') + (c.stop ? ' stop' : '');
}

/** Plays every case, `concurrency` connections at a time. `onProgress` is called after each case. */
export async function runCases(url: string, cases: readonly FuzzCase[], concurrency: number, onProgress?: (done: number) => void): Promise<FuzzSummary> {
  const t0 = performance.now();
  const answers: Record<string, number> = {};
  const failures: FuzzSummary['failures'] = [];
  let crashes = 0;
  let retries = 0;
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const c = cases[next++];
      let r = await playCase(url, c);
      // Admission control may shed a connection when the machine is busy: that is a documented
      // answer, not the case's; retry it after the hint.
      for (let attempt = 0; attempt < 20 && r.messages[0]?.type === 'error' && r.messages[0].code === 'overloaded'; attempt++) {
        retries++;
        await new Promise((res) => setTimeout(res, Math.min(2000, (r.messages[0] as { retryAfterMs?: number }).retryAfterMs ?? 200)));
        r = await playCase(url, c);
      }
      const error = r.messages.find((m) => m.type === 'error');
      const answer = error ? error.code : r.messages.some((m) => m.type === 'end') || (!c.stop && r.close === 1000) ? 'accepted' : `close:${r.close}`;
      answers[answer] = (answers[answer] ?? 0) + 1;
      if ((error && error.code === 'internal') || r.close === 1011 || r.close === 1006) crashes++;
      const why = mismatch(c.expect, r, c.stop);
      if (why) failures.push({ name: c.name, reason: why, steps: describeSteps(c) });
      done++;
      onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { cases: cases.length, failures, answers, crashes, retries, durationS: (performance.now() - t0) / 1000 };
}
