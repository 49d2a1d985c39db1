/**
 * AudioConnection, the lifecycle /v1/stream and /v1/twilio share, with no network and no model: a
 * fake socket (an EventEmitter with ws's readyState/pause/resume/close), fake timers and a small
 * transport whose "sessions" only count. Each test drives one rule of the lifecycle: start and
 * idle timers, message order, size limit, failure -> error + close code, finish, shutdown, the
 * read gate (speed allowance, inference backpressure) and release exactly once.
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type EndReason, ProtocolError } from '../../core/protocol/index.js';
import { AudioConnection, type AudioSocket, type ConnectionContext, type ConnectionOutcome } from './audio-connection.js';
import { silentLogger } from '../process/logger.js';
import { ServerMetrics } from '../process/metrics.js';

class FakeSocket extends EventEmitter implements AudioSocket {
  readyState = 1;
  bufferedAmount = 0;
  paused = false;
  readonly sent: string[] = [];
  closedWith?: { code?: number; reason?: string };
  send(data: string): void {
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 2;
  }
  terminate(): void {
    this.readyState = 3;
    this.emit('close', 1006, Buffer.alloc(0));
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  /** The client's side of the close handshake. */
  finishClose(): void {
    this.readyState = 3;
    this.emit('close', this.closedWith?.code ?? 1005, Buffer.from(this.closedWith?.reason ?? ''));
  }
  text(message: object): void {
    this.emit('message', Buffer.from(JSON.stringify(message)), false);
  }
  audio(bytes: number): void {
    this.emit('message', Buffer.alloc(bytes), true);
  }
}

/**
 * A transport whose protocol is: text {"type":"start"} starts, {"type":"stop"} finishes,
 * {"type":"slow"} takes 100 ms to handle, {"type":"boom"} throws; binary audio adds 1 ms of
 * stream time per byte.
 */
class TestConnection extends AudioConnection {
  readonly handled: string[] = [];
  readonly errorsSent: string[] = [];
  audioMs = 0;
  sessionsClosed: ConnectionOutcome[] = [];
  ended?: EndReason;

  constructor(socket: AudioSocket, ctx: ConnectionContext) {
    super(socket, ctx, { logKey: 'testConnection', opened: 'test connection opened', remote: {} });
  }

  protected async handle(data: Buffer, isBinary: boolean): Promise<void> {
    if (isBinary) {
      this.requireStarted('binary audio');
      if (!(await this.withinAllowance())) return;
      this.handled.push(`audio:${data.length}`);
      this.audioMs += data.length;
      this.audioReceived(this.audioMs);
      return;
    }
    const { type } = JSON.parse(data.toString()) as { type: string };
    this.handled.push(type);
    if (type === 'start') {
      this.startReceived();
      this.startStreaming();
    } else if (type === 'stop') return this.stop(0);
    else if (type === 'slow') await new Promise((resolve) => setTimeout(resolve, 100));
    else if (type === 'boom') throw new ProtocolError('invalid_message', 'boom');
    else if (type === 'crash') throw new Error('a bug');
  }

  protected async endSessions(reason: EndReason): Promise<boolean> {
    this.ended = reason;
    return true;
  }

  protected closeSessions(outcome: ConnectionOutcome): void {
    this.sessionsClosed.push(outcome);
  }

  protected override sendError(error: ProtocolError): void {
    this.errorsSent.push(error.code);
  }

  protected closeLog(): [Record<string, unknown>, string] {
    return [{}, 'test connection closed'];
  }

  /** The inference backpressure hook a session would call. */
  inference(session: string, paused: boolean): void {
    this.inferenceFlow(session)(paused);
  }
}

const limits = { idleTimeoutMs: 5000, startTimeoutMs: 2000, maxMessageBytes: 1000 };

function setUp(flow: Partial<ConnectionContext['flow']> = {}) {
  const socket = new FakeSocket();
  const metrics = new ServerMetrics();
  const ctx: ConnectionContext = {
    metrics,
    logger: silentLogger(),
    ...limits,
    flow: { burstSeconds: 60, maxSpeed: 0, maxBufferedBytes: 1 << 20, maxSendBufferBytes: 1 << 20, ...flow },
  };
  return { socket, metrics, conn: new TestConnection(socket, ctx) };
}

/** Lets queued jobs (promise chains) run. */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('AudioConnection start timer', () => {
  it('fails with start_timeout and its close code when no start arrives in time', async () => {
    const { socket, conn } = setUp();
    await vi.advanceTimersByTimeAsync(limits.startTimeoutMs - 1);
    expect(socket.closedWith).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(conn.errorsSent).toEqual(['start_timeout']);
    expect(socket.closedWith).toEqual({ code: 1008, reason: 'start_timeout' });
    expect(conn.sessionsClosed).toEqual(['error']);
  });

  it('stops once start arrives', async () => {
    const { socket, conn } = setUp();
    socket.text({ type: 'start' });
    await settle();
    await vi.advanceTimersByTimeAsync(limits.startTimeoutMs + 1);
    expect(socket.closedWith).toBeUndefined();
    expect(conn.isStreaming).toBe(true);
  });
});

describe('AudioConnection idle timer', () => {
  it('finishes with idle_timeout and closes 1000 "idle timeout" after idleTimeoutMs without a message', async () => {
    const { socket, conn } = setUp();
    socket.text({ type: 'start' });
    await settle();
    await vi.advanceTimersByTimeAsync(limits.idleTimeoutMs - 100);
    socket.audio(10);
    await vi.advanceTimersByTimeAsync(limits.idleTimeoutMs - 100);
    expect(socket.closedWith).toBeUndefined();
    await vi.advanceTimersByTimeAsync(200);
    expect(conn.ended).toBe('idle_timeout');
    expect(socket.closedWith).toEqual({ code: 1000, reason: 'idle timeout' });
    expect(conn.sessionsClosed).toEqual(['idle_timeout']);
  });

  it('does not fire while the server holds the socket (inference backpressure), and does once it is read again', async () => {
    const { socket, conn } = setUp();
    socket.text({ type: 'start' });
    await settle();
    conn.inference('a', true);
    conn.inference('b', true);
    expect(socket.paused).toBe(true);
    await vi.advanceTimersByTimeAsync(3 * limits.idleTimeoutMs);
    expect(socket.closedWith).toBeUndefined();
    conn.inference('a', false);
    expect(socket.paused).toBe(true);
    conn.inference('b', false);
    expect(socket.paused).toBe(false);
    await vi.advanceTimersByTimeAsync(limits.idleTimeoutMs);
    expect(socket.closedWith).toEqual({ code: 1000, reason: 'idle timeout' });
  });
});

describe('AudioConnection messages', () => {
  it('handles messages strictly in order, also when one handler awaits', async () => {
    const { socket, conn } = setUp();
    socket.text({ type: 'start' });
    socket.text({ type: 'slow' });
    socket.audio(3);
    socket.text({ type: 'keepalive' });
    await settle();
    expect(conn.handled).toEqual(['start', 'slow']);
    await vi.advanceTimersByTimeAsync(100);
    expect(conn.handled).toEqual(['start', 'slow', 'audio:3', 'keepalive']);
  });

  it('refuses audio or stop before start (start_required / 1008) and a second start (unexpected_message / 1008)', async () => {
    for (const [send, code] of [
      [(s: FakeSocket) => s.audio(10), 'start_required'],
      [(s: FakeSocket) => s.text({ type: 'stop' }), 'start_required'],
      [(s: FakeSocket) => (s.text({ type: 'start' }), s.text({ type: 'start' })), 'unexpected_message'],
    ] as const) {
      const { socket, conn } = setUp();
      send(socket);
      await settle();
      expect(conn.errorsSent).toEqual([code]);
      expect(socket.closedWith).toEqual({ code: 1008, reason: code });
    }
  });

  it('refuses a message over the size limit with message_too_big / 1009 without handling it', async () => {
    const { socket, conn } = setUp();
    socket.audio(limits.maxMessageBytes + 1);
    await settle();
    expect(conn.handled).toEqual([]);
    expect(conn.errorsSent).toEqual(['message_too_big']);
    expect(socket.closedWith).toEqual({ code: 1009, reason: 'message_too_big' });
  });

  it('turns a thrown protocol error into its error and close code, an unexpected one into internal / 1011, and handles nothing after', async () => {
    const first = setUp();
    first.socket.text({ type: 'boom' });
    first.socket.text({ type: 'start' });
    await settle();
    expect(first.conn.handled).toEqual(['boom']);
    expect(first.socket.closedWith).toEqual({ code: 1007, reason: 'invalid_message' });
    const second = setUp();
    second.socket.text({ type: 'crash' });
    await settle();
    expect(second.conn.errorsSent).toEqual(['internal']);
    expect(second.socket.closedWith).toEqual({ code: 1011, reason: 'internal' });
  });
});

describe('AudioConnection finish, shutdown, close', () => {
  it('stop ends the sessions, closes 1000 "end of stream", and the close event counts the outcome once', async () => {
    const { socket, conn, metrics } = setUp();
    socket.text({ type: 'start' });
    socket.text({ type: 'stop' });
    await settle();
    expect(conn.ended).toBe('stop');
    expect(socket.closedWith).toEqual({ code: 1000, reason: 'end of stream' });
    socket.finishClose();
    await conn.closed;
    expect(conn.sessionsClosed).toEqual(['stop']);
    expect((await metrics.sessionEnds.get()).values).toEqual([expect.objectContaining({ labels: { reason: 'stop' }, value: 1 })]);
    expect((await metrics.liveSessions.get()).values[0]?.value).toBe(0);
  });

  it('shutdown: a streaming connection ends with shutdown / 1001, one not started gets shutting_down', async () => {
    const started = setUp();
    started.socket.text({ type: 'start' });
    await settle();
    started.conn.shutdown();
    await settle();
    expect(started.conn.ended).toBe('shutdown');
    expect(started.socket.closedWith).toEqual({ code: 1001, reason: 'server shutting down' });
    const waiting = setUp();
    waiting.conn.shutdown();
    await settle();
    expect(waiting.conn.errorsSent).toEqual(['shutting_down']);
    expect(waiting.socket.closedWith?.code).toBe(1001);
  });

  it('a client that disconnects releases the sessions once, with client_closed, and the socket is read again', async () => {
    const { socket, conn } = setUp();
    socket.text({ type: 'start' });
    await settle();
    conn.inference('a', true);
    expect(socket.paused).toBe(true);
    socket.readyState = 2;
    socket.emit('close', 1001, Buffer.alloc(0));
    await conn.closed;
    expect(socket.paused).toBe(false);
    socket.emit('close', 1001, Buffer.alloc(0));
    expect(conn.sessionsClosed).toEqual(['client_closed']);
  });
});

describe('AudioConnection speed allowance', () => {
  it('holds audio beyond burst + maxSpeed x real time: the socket is paused and read messages wait until the allowance catches up', async () => {
    // 1 ms of stream time per byte; 1 s burst, then 1x real time. The fake clock moves timers
    // only, so the allowance stays at (about) the burst and each hold lasts what is ahead of it.
    const { socket, conn } = setUp({ burstSeconds: 1, maxSpeed: 1 });
    socket.text({ type: 'start' });
    socket.audio(limits.maxMessageBytes);
    socket.audio(limits.maxMessageBytes);
    socket.audio(limits.maxMessageBytes);
    socket.audio(10);
    await settle();
    // 1000 ms: within the burst; 2000 ms: 1000 ahead -> held for ~1 s; the rest waits.
    expect(conn.handled).toEqual(['start', 'audio:1000', 'audio:1000']);
    expect(socket.paused).toBe(true);
    await vi.advanceTimersByTimeAsync(900);
    expect(conn.handled).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(200);
    // 3000 ms: 2000 ahead -> held again for ~2 s.
    expect(conn.handled).toEqual(['start', 'audio:1000', 'audio:1000', 'audio:1000']);
    expect(socket.paused).toBe(true);
    await vi.advanceTimersByTimeAsync(1800);
    expect(conn.handled).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(300);
    expect(conn.handled).toEqual(['start', 'audio:1000', 'audio:1000', 'audio:1000', 'audio:10']);
    expect(conn.isStreaming).toBe(true);
  });
});
