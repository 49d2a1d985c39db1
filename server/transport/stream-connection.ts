/**
 * One WebSocket connection of the /v1/stream protocol: start -> ready -> binary audio -> an
 * emotion message per second -> stop -> end -> close 1000. It carries one session
 * (pipeline/session.ts: decode, analyze, infer, labels in order, end summary, publishing); the
 * lifecycle (timers, message order, read gate, close codes, release) is AudioConnection's. This
 * class is the protocol: parsing, ready, sending labels and errors to the client, and dropping a
 * client that does not read. Any failure of this connection becomes an `error` message and a close
 * code; nothing escapes to other sessions or the process.
 */
import { performance } from 'node:perf_hooks';
import { windowMs } from '../../core/predict.js';
import {
  type EndReason,
  ProtocolError,
  type ReadyMessage,
  type ServerMessage,
  type StartMessage,
  parseClientMessage,
  streamBand,
} from '../../core/protocol/index.js';
import { type AudioSocket, AudioConnection, type ConnectionContext, type ConnectionOutcome } from './audio-connection.js';
import { createAudioInput } from '../pipeline/audio-input.js';
import { SOCKET_OPEN } from './flow-limits.js';
import type { SessionBus } from '../events/session-bus.js';
import { Session, type Supervision } from '../pipeline/session.js';
import { ServedModels, sessionContext } from '../inference/served-models.js';


export interface StreamConnectionContext extends ConnectionContext {
  /** The wideband and narrowband models; each stream gets one (streamBand of its start). */
  readonly models: ServedModels;
  /** Where the session's labels are published for subscribers. */
  readonly bus: SessionBus;
  /** Smoothing, alert rules and webhooks (core/supervision). */
  readonly supervision: Supervision;
}

export class StreamConnection extends AudioConnection {
  private start?: StartMessage;
  private session?: Session;

  constructor(ws: AudioSocket, protected override readonly ctx: StreamConnectionContext, remote: { address?: string }) {
    super(ws, ctx, { logKey: 'sessionId', opened: 'session opened', remote });
  }

  protected handle(data: Buffer, isBinary: boolean, arrival: number): void | Promise<void> {
    if (!isBinary) return this.handleText(data, arrival);
    this.requireStarted('binary audio');
    const allowed = this.withinAllowance();
    if (allowed === true) this.audio(data, arrival);
    else if (allowed !== false) return allowed.then((ok) => (ok ? this.audio(data, arrival) : undefined));
  }

  private audio(data: Buffer, arrival: number): void {
    this.session!.push(data, arrival);
    this.audioReceived(this.session!.audioMs);
  }

  private async handleText(data: Buffer, arrival: number): Promise<void> {
    const message = parseClientMessage(data.toString('utf8'));
    switch (message.type) {
      case 'keepalive':
        return;
      case 'start':
        return this.begin(message);
      case 'stop':
        return this.stop(arrival);
    }
  }

  private async begin(start: StartMessage): Promise<void> {
    this.startReceived();
    const input = await createAudioInput(start);
    if (this.state !== 'awaiting_start') {
      input.free();
      return;
    }
    this.start = start;
    const model = this.ctx.models.choose(streamBand(start));
    const { metadata } = model;
    this.session = new Session(
      sessionContext(this.ctx, model),
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
        alert: (message) => this.send(message),
        flow: this.inferenceFlow(this.id),
        fail: (e) => this.fail(e),
      },
      this.log,
      start.smoothing,
    );
    this.startStreaming();
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

  protected async endSessions(reason: EndReason, arrival: number): Promise<boolean> {
    const end = await this.session!.finish(reason, arrival);
    if (this.state !== 'ending' || !end) return false;
    this.send(end);
    return true;
  }

  protected closeSessions(outcome: ConnectionOutcome): void {
    this.session?.close(outcome);
  }

  protected override sendError(error: ProtocolError): void {
    this.send(error.toMessage());
  }

  protected closeLog(_code: number, reason: string): [Record<string, unknown>, string] {
    return [
      {
        closeReason: reason || undefined,
        encoding: this.start?.encoding,
        labels: this.session?.labels ?? 0,
        audioMs: Math.round(this.session?.audioMs ?? 0),
        bytes: this.session?.bytes ?? 0,
        durationMs: Math.round(performance.now() - this.openedAt),
      },
      'session closed',
    ];
  }

  private send(message: ServerMessage): void {
    if (this.socket.readyState !== SOCKET_OPEN) return;
    this.socket.send(JSON.stringify(message), (err) => {
      if (err) this.log.debug({ err: err.message }, 'send failed');
    });
    const buffered = this.socket.bufferedAmount;
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
    this.socket.send(JSON.stringify(error.toMessage()), () => undefined);
    this.socket.close(error.closeCode, error.code);
    setTimeout(() => this.socket.terminate(), 1000).unref();
  }
}
