/**
 * One WebSocket session of the /v1/stream protocol: start -> ready -> binary audio -> an emotion
 * message per second -> stop -> end -> close 1000. Messages are handled strictly in order through
 * a promise chain (the Opus decoder is created asynchronously, so a handler may await). The audio
 * pipeline (decode, analyze, infer, labels in order, end summary, publishing on the session bus)
 * is a LiveStream (live-stream.ts); this class is the protocol around it: parsing, timers, close
 * codes. Any failure of this session becomes an `error` message and a close code here; nothing
 * escapes to other sessions or the process.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { WebSocket, type RawData } from 'ws';
import { windowMs } from '../core/predict.js';
import {
  CLOSE_CODES,
  type CloseCode,
  type EndReason,
  ProtocolError,
  type ReadyMessage,
  type ServerMessage,
  type StartMessage,
  parseClientMessage,
  streamBand,
} from '../core/protocol/index.js';
import { createAudioInput } from './audio-input.js';
import { type FlowLimits, type ReadGate, SpeedHold, socketReadGate } from './flow-limits.js';
import { closeSocket, protocolErrorOf } from './connection-end.js';
import type { SessionBus } from './events/session-bus.js';
import { LiveStream } from './live-stream.js';
import type { Logger } from './logger.js';
import type { ServerMetrics } from './metrics.js';
import { ServedModels, streamContext } from './served-models.js';

export interface SessionContext {
  /** The wideband and narrowband models; each stream gets one (streamBand of its start). */
  readonly models: ServedModels;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /** Where the session's labels are published for subscribers. */
  readonly bus: SessionBus;
  readonly idleTimeoutMs: number;
  readonly startTimeoutMs: number;
  readonly maxMessageBytes: number;
  readonly flow: FlowLimits;
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

export class Session {
  readonly id = randomUUID();
  readonly log: Logger;
  private state: State = 'awaiting_start';
  private start?: StartMessage;
  private stream?: LiveStream;
  private inbox: Promise<void> = Promise.resolve();
  private startTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private messages = 0;
  private outcome: SessionOutcome = 'client_closed';
  private readonly openedAt = performance.now();
  /** performance.now() at ready: the origin of the speed allowance. */
  private streamingSince = 0;
  /** Bytes of messages read from the socket and not yet handled. */
  private queuedBytes = 0;
  private readonly gate: ReadGate;
  private readonly speed: SpeedHold;
  private resolveClosed!: () => void;
  /** Resolves once the socket is closed and the session's resources are freed. */
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: SessionContext,
    remote: { address?: string },
  ) {
    this.log = ctx.logger.child({ sessionId: this.id });
    this.gate = socketReadGate(ws);
    this.speed = new SpeedHold(ctx.flow, this.gate, () => this.touch());
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
    this.queuedBytes += size;
    this.ctx.metrics.noteInboundBuffer(this.queuedBytes);
    if (this.queuedBytes > this.ctx.flow.maxBufferedBytes) this.gate.set('buffer', true);
    this.enqueue(async () => {
      try {
        await this.handle(toBuffer(data), isBinary, arrival);
      } finally {
        this.queuedBytes -= size;
        if (this.queuedBytes <= this.ctx.flow.maxBufferedBytes / 2) this.gate.set('buffer', false);
      }
    });
  }

  private enqueue(task: () => void | Promise<void>): void {
    this.inbox = this.inbox.then(task).catch((e: unknown) => this.fail(e));
  }

  private async handle(data: Buffer, isBinary: boolean, arrival: number): Promise<void> {
    if (this.state === 'closed' || this.state === 'ending') return;
    if (isBinary) {
      if (this.state !== 'streaming') throw new ProtocolError('start_required', 'binary audio before the start message');
      // Messages ws had already read when reading paused wait here (counted in queuedBytes), so
      // audio is decoded no faster than the allowance.
      if (this.speed.held) await this.speed.held;
      if (this.state !== 'streaming') return;
      this.stream!.push(data, arrival);
      if (this.state === 'streaming') this.speed.check(this.stream!.audioMs, performance.now() - this.streamingSince);
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
    const model = this.ctx.models.choose(streamBand(start));
    const { metadata } = model;
    this.stream = new LiveStream(
      streamContext(this.ctx, model),
      {
        sessionId: this.id,
        ...(start.key !== undefined ? { key: start.key } : {}),
        source: 'stream',
        encoding: start.encoding,
        model: ServedModels.describe(model),
        startedAt: new Date().toISOString(),
      },
      input,
      {
        emotion: (message) => this.send(message),
        flow: (paused) => this.gate.set('inference', paused),
        fail: (e) => this.fail(e),
      },
      this.log,
    );
    this.state = 'streaming';
    this.streamingSince = performance.now();
    this.touch();
    this.log.info({ encoding: start.encoding, sampleRate: start.sampleRate, channels: start.channels, key: start.key, model: ServedModels.describe(model) }, 'session started');
    const ready: ReadyMessage = {
      type: 'ready',
      sessionId: this.id,
      ...(start.key !== undefined ? { key: start.key } : {}),
      model: { ...ServedModels.describe(model), labels: metadata.labels },
      windowMs: windowMs(metadata),
      limits: { maxMessageBytes: this.ctx.maxMessageBytes, idleTimeoutMs: this.ctx.idleTimeoutMs },
    };
    this.send(ready);
  }

  /** Labels the partial last second, waits for every label to be sent, then `end` and close. */
  private async finish(reason: EndReason, closeCode: CloseCode, arrival: number): Promise<void> {
    if (this.state !== 'streaming') return;
    this.state = 'ending';
    clearTimeout(this.idleTimer);
    const end = await this.stream!.finish(reason, arrival);
    if (this.state !== 'ending' || !end) return;
    this.send(end);
    this.outcome = reason;
    this.close(closeCode, reason === 'idle_timeout' ? 'idle timeout' : reason === 'shutdown' ? 'server shutting down' : 'end of stream');
  }

  /** Turns any failure into an error message and its close code. */
  private fail(e: unknown): void {
    if (this.state === 'closed') return;
    const error = protocolErrorOf(e, this.log);
    this.ctx.metrics.errors.inc({ code: error.code });
    this.outcome = 'error';
    this.send(error.toMessage());
    this.close(error.closeCode, error.code);
  }

  private touch(): void {
    if (this.state !== 'streaming') return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      // A client held back by the server (speed, inference, buffer) is not idle.
      if (this.gate.paused) return this.touch();
      this.log.info({ idleTimeoutMs: this.ctx.idleTimeoutMs }, 'idle timeout');
      this.enqueue(() => this.finish('idle_timeout', CLOSE_CODES.NORMAL, performance.now()));
    }, this.ctx.idleTimeoutMs);
  }

  private send(message: ServerMessage): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify(message), (err) => {
      if (err) this.log.debug({ err: err.message }, 'send failed');
    });
    const buffered = this.ws.bufferedAmount;
    this.ctx.metrics.noteOutboundBuffer(buffered);
    if (buffered > this.ctx.flow.maxSendBufferBytes && this.state !== 'closed') this.dropSlowConsumer(buffered);
  }

  /**
   * The client stopped reading: what the server holds for it grows without bound. Close 1008
   * with slow_consumer (the client will likely not read that either), then cut the TCP connection
   * so its buffers are freed even if the close handshake never completes.
   */
  private dropSlowConsumer(buffered: number): void {
    const error = new ProtocolError('slow_consumer', `client is not reading: ${buffered} bytes unsent (limit ${this.ctx.flow.maxSendBufferBytes})`);
    this.log.warn({ bufferedBytes: buffered }, 'slow consumer: closing');
    this.ctx.metrics.errors.inc({ code: error.code });
    this.outcome = 'error';
    this.release();
    // Queued behind what the client has not read; sent directly (send() would check the buffer again).
    this.ws.send(JSON.stringify(error.toMessage()), () => undefined);
    this.ws.close(error.closeCode, error.code);
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  private close(code: CloseCode, reason: string): void {
    this.release();
    closeSocket(this.ws, code, reason);
  }

  /** Frees the stream and timers; idempotent. */
  private release(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.startTimer);
    clearTimeout(this.idleTimer);
    this.speed.release();
    // Read again whatever held the socket: the client's close frame must be read for the close
    // handshake to finish (else ws waits its 30 s close timeout with the connection open).
    if (this.gate.paused && (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CLOSING)) this.ws.resume();
    this.stream?.close(this.outcome);
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
        labels: this.stream?.labels ?? 0,
        audioMs: Math.round(this.stream?.audioMs ?? 0),
        bytes: this.stream?.bytes ?? 0,
        messages: this.messages,
        durationMs: Math.round(performance.now() - this.openedAt),
      },
      'session closed',
    );
    this.resolveClosed();
  }
}
