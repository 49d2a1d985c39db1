/**
 * One WebSocket session: start -> ready -> binary audio -> an emotion message per second ->
 * stop -> end -> close 1000. Messages are handled strictly in order through a promise chain
 * (the Opus decoder is created asynchronously, so a handler may await), and labels are sent in
 * order through a second chain (a silent second needs no inference but must wait behind the
 * voiced second before it). Any failure of this session becomes an `error` message and a close
 * code here; nothing escapes to other sessions or the process.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { WebSocket, type RawData } from 'ws';
import { AudioInputError } from '../core/errors.js';
import type { ModelMetadata } from '../core/model/metadata.js';
import { poolTimeline, type TimelineEntry, toTimelineEntry, windowMs } from '../core/predict.js';
import {
  CLOSE_CODES,
  type CloseCode,
  type EmotionMessage,
  type EndMessage,
  type EndReason,
  ProtocolError,
  type ReadyMessage,
  type ServerMessage,
  type StartMessage,
  parseClientMessage,
} from '../core/protocol/index.js';
import type { DueWindow } from '../core/stream-analyzer.js';
import { type AudioInput, createAudioInput } from './audio-input.js';
import type { LabelEngine, WindowAnalyzer } from './engine.js';
import type { Logger } from './logger.js';
import type { ServerMetrics } from './metrics.js';

/** Windows submitted but not yet sent above which the socket stops being read (TCP backpressure). */
const PAUSE_ABOVE = 48;
const RESUME_BELOW = 16;

export interface SessionContext {
  readonly metadata: ModelMetadata;
  /** Makes the session's analyzer and scores its voiced windows (--engine). */
  readonly engine: LabelEngine;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  readonly idleTimeoutMs: number;
  readonly startTimeoutMs: number;
  readonly maxMessageBytes: number;
}

type State = 'awaiting_start' | 'streaming' | 'ending' | 'closed';

/** How a session ended, for logs and metrics. */
export type SessionOutcome = EndReason | 'client_closed' | 'error';

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((s, b) => s + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? Buffer.from(data) : data;
}

/** Close reasons are at most 123 bytes of UTF-8. */
function closeReason(text: string): string {
  let reason = text;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  return reason;
}

export class Session {
  readonly id = randomUUID();
  readonly log: Logger;
  private state: State = 'awaiting_start';
  private start?: StartMessage;
  private input?: AudioInput;
  private analyzer?: WindowAnalyzer;
  private inbox: Promise<void> = Promise.resolve();
  private outbox: Promise<void> = Promise.resolve();
  private readonly timeline: TimelineEntry[] = [];
  private inflight = 0;
  private paused = false;
  private startTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private samples = 0;
  private bytes = 0;
  private messages = 0;
  private outcome: SessionOutcome = 'client_closed';
  private readonly openedAt = performance.now();
  private resolveClosed!: () => void;
  /** Resolves once the socket is closed and the session's resources are freed. */
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: SessionContext,
    remote: { address?: string },
  ) {
    this.log = ctx.logger.child({ sessionId: this.id });
    this.log.info({ remote: remote.address }, 'session opened');
    ctx.metrics.liveSessions.inc();
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', (code, reason) => this.onClose(code, reason.toString()));
    ws.on('error', (e) => this.log.warn({ err: e.message }, 'socket error'));
    this.startTimer = setTimeout(
      () => this.fail(new ProtocolError('start_timeout', `no start message within ${ctx.startTimeoutMs / 1000} s`)),
      ctx.startTimeoutMs,
    );
  }

  get isStreaming(): boolean {
    return this.state === 'streaming';
  }

  /** Server shutdown: a started session gets its last labels, `end` and close 1001; one not started gets shutting_down. */
  shutdown(): void {
    if (this.state === 'awaiting_start') {
      // Queue behind a start being handled, so a session that is starting ends cleanly.
      this.enqueue(async () => {
        if (this.state === 'awaiting_start') this.fail(new ProtocolError('shutting_down', 'server is shutting down'));
        else await this.finish('shutdown', CLOSE_CODES.GOING_AWAY, performance.now());
      });
    } else if (this.state === 'streaming') {
      this.enqueue(() => this.finish('shutdown', CLOSE_CODES.GOING_AWAY, performance.now()));
    }
  }

  /** Ends the socket without ceremony (drain timeout). */
  terminate(): void {
    this.ws.terminate();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.state === 'closed' || this.state === 'ending') return;
    const arrival = performance.now();
    const size = byteLength(data);
    this.messages++;
    if (size > this.ctx.maxMessageBytes) {
      this.fail(new ProtocolError('message_too_big', `message of ${size} bytes exceeds the limit of ${this.ctx.maxMessageBytes}`));
      return;
    }
    this.touch();
    this.enqueue(() => this.handle(toBuffer(data), isBinary, arrival));
  }

  private enqueue(task: () => void | Promise<void>): void {
    this.inbox = this.inbox.then(task).catch((e: unknown) => this.fail(e));
  }

  private async handle(data: Buffer, isBinary: boolean, arrival: number): Promise<void> {
    if (this.state === 'closed' || this.state === 'ending') return;
    if (isBinary) {
      if (this.state !== 'streaming') throw new ProtocolError('start_required', 'binary audio before the start message');
      this.audio(data, arrival);
      return;
    }
    const message = parseClientMessage(data.toString('utf8'));
    switch (message.type) {
      case 'keepalive':
        return;
      case 'start':
        if (this.state !== 'awaiting_start') throw new ProtocolError('unexpected_message', 'start was already received');
        return this.begin(message);
      case 'stop':
        if (this.state !== 'streaming') throw new ProtocolError('start_required', 'stop before the start message');
        return this.finish('stop', CLOSE_CODES.NORMAL, arrival);
    }
  }

  private async begin(start: StartMessage): Promise<void> {
    clearTimeout(this.startTimer);
    const input = await createAudioInput(start);
    if (this.state !== 'awaiting_start') {
      input.free();
      return;
    }
    this.start = start;
    this.input = input;
    this.analyzer = this.ctx.engine.createAnalyzer();
    this.state = 'streaming';
    this.touch();
    const { metadata } = this.ctx;
    this.ctx.metrics.sessions.inc({ encoding: start.encoding });
    this.log.info({ encoding: start.encoding, sampleRate: start.sampleRate, channels: start.channels, key: start.key }, 'session started');
    const ready: ReadyMessage = {
      type: 'ready',
      sessionId: this.id,
      ...(start.key !== undefined ? { key: start.key } : {}),
      model: { name: metadata.name, version: metadata.version, labels: metadata.labels },
      windowMs: windowMs(metadata),
      limits: { maxMessageBytes: this.ctx.maxMessageBytes, idleTimeoutMs: this.ctx.idleTimeoutMs },
    };
    this.send(ready);
  }

  private audio(data: Buffer, arrival: number): void {
    const { metrics } = this.ctx;
    this.bytes += data.length;
    metrics.audioBytes.inc(data.length);
    const t0 = performance.now();
    const samples = this.input!.push(data);
    const t1 = performance.now();
    const due = this.analyzer!.push(samples);
    const t2 = performance.now();
    metrics.decodeDuration.observe((t1 - t0) / 1000);
    metrics.featureDuration.observe((t2 - t1) / 1000);
    this.accept(samples.length, due, arrival);
  }

  private accept(samples: number, due: DueWindow[], arrival: number): void {
    if (samples > 0) {
      this.samples += samples;
      this.ctx.metrics.audioSeconds.inc(samples / this.ctx.metadata.featureConfig.sampleRate);
    }
    for (const d of due) this.emit(d, arrival);
  }

  /** Schedules one due window's label: inference if voiced, then the send, in stream order. */
  private emit(due: DueWindow, arrival: number): void {
    const { metadata, engine } = this.ctx;
    const entry: Promise<TimelineEntry> = due.voiced
      ? engine.score(due).then((r) => toTimelineEntry(due, metadata, r.scores, r.row))
      : Promise.resolve(toTimelineEntry(due, metadata));
    // Handled by the chain below; this keeps an early rejection from counting as unhandled.
    entry.catch(() => undefined);
    this.inflight++;
    this.backpressure();
    this.outbox = this.outbox
      .then(async () => {
        const e = await entry;
        this.inflight--;
        this.backpressure();
        if (this.state === 'closed') return;
        this.timeline.push(e);
        const message: EmotionMessage = { type: 'emotion', ...e };
        this.send(message);
        this.ctx.metrics.labelLatency.observe((performance.now() - arrival) / 1000);
        this.ctx.metrics.labels.inc({ voiced: String(e.voiced) });
      })
      .catch((e: unknown) => this.fail(e));
  }

  private backpressure(): void {
    if (!this.paused && this.inflight > PAUSE_ABOVE && this.ws.readyState === WebSocket.OPEN) {
      this.paused = true;
      this.ws.pause();
    } else if (this.paused && this.inflight < RESUME_BELOW) {
      this.paused = false;
      if (this.ws.readyState === WebSocket.OPEN) this.ws.resume();
    }
  }

  /** Labels the partial last second, waits for every label to be sent, then `end` and close. */
  private async finish(reason: EndReason, closeCode: CloseCode, arrival: number): Promise<void> {
    if (this.state !== 'streaming') return;
    this.state = 'ending';
    clearTimeout(this.idleTimer);
    const tail = this.input!.flush();
    const due = [...this.analyzer!.push(tail), ...this.analyzer!.finish()];
    this.accept(tail.length, due, arrival);
    if (this.input!.pendingBytes > 0) this.log.info({ bytes: this.input!.pendingBytes }, 'stream ended inside a sample frame; partial frame dropped');
    await this.outbox;
    if (this.state !== 'ending') return;
    const pooled = poolTimeline(this.timeline, this.ctx.metadata.labels);
    const end: EndMessage = {
      type: 'end',
      seconds: this.timeline.length,
      reason,
      summary: {
        label: pooled.label,
        scores: pooled.scores,
        voicedSeconds: this.timeline.filter((e) => e.voiced).length,
        durationMs: (this.samples * 1000) / this.ctx.metadata.featureConfig.sampleRate,
      },
    };
    this.send(end);
    this.outcome = reason;
    this.close(closeCode, reason === 'idle_timeout' ? 'idle timeout' : reason === 'shutdown' ? 'server shutting down' : 'end of stream');
  }

  /** Turns any failure into an error message and its close code. */
  private fail(e: unknown): void {
    if (this.state === 'closed') return;
    let error: ProtocolError;
    if (e instanceof ProtocolError) error = e;
    else if (e instanceof AudioInputError) error = new ProtocolError('invalid_audio', e.message);
    else {
      error = new ProtocolError('internal', 'internal server error');
      this.log.error({ err: e instanceof Error ? { message: e.message, stack: e.stack } : String(e) }, 'session failed');
    }
    if (error.code !== 'internal') this.log.info({ code: error.code, reason: error.message }, 'session refused input');
    this.ctx.metrics.errors.inc({ code: error.code });
    this.outcome = 'error';
    this.send(error.toMessage());
    this.close(error.closeCode, error.code);
  }

  private touch(): void {
    if (this.state !== 'streaming') return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.log.info({ idleTimeoutMs: this.ctx.idleTimeoutMs }, 'idle timeout');
      this.enqueue(() => this.finish('idle_timeout', CLOSE_CODES.NORMAL, performance.now()));
    }, this.ctx.idleTimeoutMs);
  }

  private send(message: ServerMessage): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify(message), (err) => {
      if (err) this.log.debug({ err: err.message }, 'send failed');
    });
  }

  private close(code: CloseCode, reason: string): void {
    this.release();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, closeReason(reason));
  }

  /** Frees decoder and timers; idempotent. */
  private release(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.startTimer);
    clearTimeout(this.idleTimer);
    this.input?.free();
    this.input = undefined;
  }

  private onClose(code: number, reason: string): void {
    this.release();
    this.ctx.metrics.liveSessions.dec();
    this.ctx.metrics.sessionEnds.inc({ reason: this.outcome });
    this.log.info(
      {
        outcome: this.outcome,
        closeCode: code,
        closeReason: reason || undefined,
        encoding: this.start?.encoding,
        labels: this.timeline.length,
        audioMs: Math.round((this.samples * 1000) / this.ctx.metadata.featureConfig.sampleRate),
        bytes: this.bytes,
        messages: this.messages,
        durationMs: Math.round(performance.now() - this.openedAt),
      },
      'session closed',
    );
    this.resolveClosed();
  }
}
