/**
 * The lifecycle every live audio connection shares, whatever its protocol (/v1/stream, a Twilio
 * Media Stream): awaiting start -> streaming -> ending -> closed; the start and idle timers; the
 * message size limit; inbound messages handled strictly in order through one JobQueue; the read
 * gate (speed allowance, inference backpressure, inbound buffer); finishing with the sessions'
 * last labels; turning any failure into a protocol error and its close code; releasing
 * everything exactly once; the connection metrics and the closing log line.
 *
 * A transport subclass adds only its protocol: how a message is read (`handle`), what its
 * sessions are (`endSessions`, `closeSessions`), whether it tells the client about an error
 * (`sendError`) and what its closing log line says (`closeLog`). It sees the socket through the
 * narrow `AudioSocket` interface, so the lifecycle is unit-tested with a fake socket and fake
 * timers (audio-connection.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { RawData } from 'ws';
import { CLOSE_CODES, type CloseCode, type EndReason, ProtocolError } from '../../core/protocol/index.js';
import { closeSocket, protocolErrorOf } from './connection-end.js';
import { type FlowLimits, type ReadGate, SOCKET_CLOSING, SOCKET_OPEN, SpeedHold, socketReadGate } from './flow-limits.js';
import { type CoalesceOptions, ReadCoalescer } from './read-coalescer.js';
import { JobQueue } from '../pipeline/job-queue.js';
import type { Logger } from '../process/logger.js';
import type { ServerMetrics } from '../process/metrics.js';

/** What a connection needs of its WebSocket (ws's WebSocket is one; tests use a fake). */
export interface AudioSocket {
  /** ws's readyState: 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Bytes queued to send and not yet written to the network. */
  readonly bufferedAmount: number;
  send(data: string, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  on(event: 'message', listener: (data: RawData, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

export interface ConnectionContext {
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  readonly idleTimeoutMs: number;
  readonly startTimeoutMs: number;
  readonly maxMessageBytes: number;
  readonly flow: FlowLimits;
  /** Reading a real-time client's socket between labels in one go (read-coalescer.ts); absent = every message as it comes. */
  readonly readCoalescing?: CoalesceOptions;
}

export type ConnectionState = 'awaiting_start' | 'streaming' | 'ending' | 'closed';

/** How a connection ended, for logs and metrics. */
export type ConnectionOutcome = EndReason | 'client_closed' | 'error';

/** The close frame's reason text for a normal end. */
export function endCloseReason(reason: EndReason): string {
  return reason === 'idle_timeout' ? 'idle timeout' : reason === 'shutdown' ? 'server shutting down' : 'end of stream';
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((s, b) => s + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? Buffer.from(data) : data;
}

export abstract class AudioConnection {
  readonly id = randomUUID();
  protected readonly log: Logger;
  protected state: ConnectionState = 'awaiting_start';
  protected outcome: ConnectionOutcome = 'client_closed';
  /** Messages read from the socket. */
  protected messages = 0;
  protected readonly openedAt = performance.now();
  protected readonly gate: ReadGate;
  private readonly speed: SpeedHold;
  private readonly coalescer?: ReadCoalescer;
  private readonly inbox: JobQueue;
  /** performance.now() at the start of streaming: the origin of the speed allowance. */
  private streamingSince = 0;
  /** Bytes of messages read from the socket and not yet handled. */
  private queuedBytes = 0;
  /** The sessions whose windows wait for inference (the socket is not read while any does). */
  private readonly inferenceHeld = new Set<string>();
  private startTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  /** Date.now() of the last activity (a message, the end of a hold): the idle timeout counts from it. */
  private lastActivity = 0;
  private resolveClosed!: () => void;
  /** Resolves once the socket is closed and the connection's resources are freed. */
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  /** `logKey` names the connection's id in its log lines (sessionId, twilioConnection); `opened` is the log line of its opening. */
  constructor(
    protected readonly socket: AudioSocket,
    protected readonly ctx: ConnectionContext,
    { logKey, opened, remote }: { logKey: string; opened: string; remote: { address?: string } },
  ) {
    this.log = ctx.logger.child({ [logKey]: this.id });
    this.log.info({ remote: remote.address }, opened);
    this.gate = socketReadGate(socket);
    this.speed = new SpeedHold(ctx.flow, this.gate, () => this.touch());
    if (ctx.readCoalescing && ctx.readCoalescing.maxPauseMs > 0) this.coalescer = new ReadCoalescer(ctx.readCoalescing, this.gate);
    this.inbox = new JobQueue((e) => this.fail(e));
    ctx.metrics.liveSessions.inc();
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    socket.on('close', (code, reason) => this.onClose(code, reason.toString()));
    socket.on('error', (e) => this.log.warn({ err: e.message }, 'socket error'));
    this.startTimer = setTimeout(
      () => this.fail(new ProtocolError('start_timeout', `no start message within ${ctx.startTimeoutMs / 1000} s`)),
      ctx.startTimeoutMs,
    );
  }

  /** One message of the transport's protocol, in order (`arrival` = performance.now() when read). Throw to fail the connection. */
  protected abstract handle(data: Buffer, isBinary: boolean, arrival: number): void | Promise<void>;
  /** End of audio: the sessions' last labels and `end`. False if they were closed meanwhile. */
  protected abstract endSessions(reason: EndReason, arrival: number): Promise<boolean>;
  /** The connection is gone: free the sessions (idempotent). */
  protected abstract closeSessions(outcome: ConnectionOutcome): void;
  /** The closing log line: its fields and message. */
  protected abstract closeLog(code: number, reason: string): [Record<string, unknown>, string];

  /** Tells the client about the error before the close, where the protocol can (default: only the close code). */
  protected sendError(_error: ProtocolError): void {}

  /** The protocol error a failure becomes (a transport may map its own parse errors). */
  protected toProtocolError(e: unknown): unknown {
    return e;
  }

  get isStreaming(): boolean {
    return this.state === 'streaming';
  }

  /** Server shutdown: a started connection's sessions get their last labels, `end` and close 1001; one not started gets shutting_down. */
  shutdown(): void {
    if (this.state === 'awaiting_start') {
      // Queue behind a start being handled, so a connection that is starting ends cleanly.
      this.inbox.add(async () => {
        if (this.state === 'awaiting_start') this.fail(new ProtocolError('shutting_down', 'server is shutting down'));
        else await this.finish('shutdown', CLOSE_CODES.GOING_AWAY, performance.now());
      });
    } else if (this.state === 'streaming') {
      // Audio the kernel kept during a coalescing pause is read first, and labelled with the rest.
      const kept = this.coalescer?.stop();
      const finish = () => this.inbox.add(() => this.finish('shutdown', CLOSE_CODES.GOING_AWAY, performance.now()));
      if (kept) void kept.then(finish);
      else finish();
    }
  }

  /** Ends the socket without ceremony (drain timeout). */
  terminate(): void {
    this.socket.terminate();
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
    // Synchronous when the message is (audio outside a speed hold): no promise per message.
    this.inbox.add(() => {
      if (this.state === 'closed' || this.state === 'ending') return this.doneWith(size);
      let pending: void | Promise<void>;
      try {
        pending = this.handle(toBuffer(data), isBinary, arrival);
      } catch (e) {
        this.doneWith(size);
        throw e;
      }
      if (pending) return pending.finally(() => this.doneWith(size));
      this.doneWith(size);
    });
  }

  /** A message of `size` bytes has been handled: it no longer counts towards the inbound buffer. */
  private doneWith(size: number): void {
    this.queuedBytes -= size;
    if (this.queuedBytes <= this.ctx.flow.maxBufferedBytes / 2) this.gate.set('buffer', false);
  }

  /**
   * Waits while the connection is held to its speed allowance: messages ws had already read when
   * reading paused wait here (counted in the inbound buffer), so audio is decoded no faster than
   * allowed. False if the connection ended meanwhile; a plain boolean (no promise) when not held.
   */
  protected withinAllowance(): boolean | Promise<boolean> {
    return this.speed.held ? this.speed.held.then(() => this.takesAudio()) : this.takesAudio();
  }

  private takesAudio(): boolean {
    return this.state !== 'closed' && this.state !== 'ending';
  }

  /** The start message arrived: refused if one already did; else the start timer stops (the transport may still await its set-up). */
  protected startReceived(): void {
    if (this.state !== 'awaiting_start') throw new ProtocolError('unexpected_message', 'start was already received');
    clearTimeout(this.startTimer);
  }

  /** Refuses `what` (audio, stop) before the start message. */
  protected requireStarted(what: string): void {
    if (this.state !== 'streaming') throw new ProtocolError('start_required', `${what} before the start message`);
  }

  /** The stop message: the sessions' last labels, `end`, close 1000. */
  protected stop(arrival: number): Promise<void> {
    this.requireStarted('stop');
    return this.finish('stop', CLOSE_CODES.NORMAL, arrival);
  }

  /** The sessions exist: audio is accepted from now on, and the speed allowance counts from now. */
  protected startStreaming(): void {
    this.state = 'streaming';
    this.streamingSince = performance.now();
    this.touch();
  }

  /**
   * After audio was pushed to a session that has `audioMs` of stream time: hold the socket if it
   * runs ahead of its allowance; else, for a client near real time, rest it until shortly before
   * the next label's audio is due (read-coalescer.ts). A connection with two sessions (a Twilio
   * call's tracks) passes each track's time; the tracks keep pace within a message, inside the guard.
   */
  protected audioReceived(audioMs: number): void {
    if (this.state !== 'streaming') return;
    this.speed.check(audioMs, performance.now() - this.streamingSince);
    if (!this.speed.held) this.coalescer?.audio(audioMs);
  }

  /** A session's inference backpressure (SessionOutput.flow): the socket is not read while any session is held. */
  protected inferenceFlow(session: string): (paused: boolean) => void {
    return (paused) => {
      if (paused) this.inferenceHeld.add(session);
      else this.inferenceHeld.delete(session);
      this.gate.set('inference', this.inferenceHeld.size > 0);
    };
  }

  /** Labels the partial last second, waits for every label to be delivered, then `end` and close. */
  protected async finish(reason: EndReason, closeCode: CloseCode, arrival: number): Promise<void> {
    if (this.state !== 'streaming') return;
    this.state = 'ending';
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const ended = await this.endSessions(reason, arrival);
    if (this.state !== 'ending' || !ended) return;
    this.outcome = reason;
    this.close(closeCode, endCloseReason(reason));
  }

  /** Turns any failure into a protocol error, told to the client where the protocol can, and its close code. */
  protected fail(e: unknown): void {
    if (this.state === 'closed') return;
    const error = protocolErrorOf(this.toProtocolError(e), this.log);
    this.ctx.metrics.errors.inc({ code: error.code });
    this.outcome = 'error';
    this.sendError(error);
    this.close(error.closeCode, error.code);
  }

  /**
   * Activity: the idle timeout counts from now. Only the time is noted (a message is activity
   * tens of times a second); the one timer, when it fires, sleeps again for what is left.
   */
  private touch(): void {
    if (this.state !== 'streaming') return;
    this.lastActivity = Date.now();
    if (!this.idleTimer) this.armIdleTimer(this.ctx.idleTimeoutMs);
  }

  private armIdleTimer(ms: number): void {
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      const left = this.lastActivity + this.ctx.idleTimeoutMs - Date.now();
      if (left > 0) return this.armIdleTimer(left);
      // A client held back by the server (speed, inference, buffer) is not idle.
      if (this.gate.paused) return this.touch();
      this.log.info({ idleTimeoutMs: this.ctx.idleTimeoutMs }, 'idle timeout');
      this.inbox.add(() => this.finish('idle_timeout', CLOSE_CODES.NORMAL, performance.now()));
    }, ms);
  }

  protected close(code: CloseCode, reason: string): void {
    this.release();
    closeSocket(this.socket, code, reason);
  }

  /** Frees the sessions and timers; idempotent. */
  protected release(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.startTimer);
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.speed.release();
    // stop(), not release(): a decision already queued for this read must not pause a closed socket.
    void this.coalescer?.stop();
    // Read again whatever held the socket: the client's close frame must be read for the close
    // handshake to finish (else ws waits its 30 s close timeout with the connection open).
    if (this.gate.paused && (this.socket.readyState === SOCKET_OPEN || this.socket.readyState === SOCKET_CLOSING)) this.socket.resume();
    this.closeSessions(this.outcome);
  }

  private onClose(code: number, reason: string): void {
    this.release();
    this.ctx.metrics.liveSessions.dec();
    this.ctx.metrics.sessionEnds.inc({ reason: this.outcome });
    const [fields, message] = this.closeLog(code, reason);
    this.log.info({ outcome: this.outcome, closeCode: code, ...fields, messages: this.messages }, message);
    this.resolveClosed();
  }
}
