/**
 * One live session of `GET /v1/stream` (docs/protocol.md) over any WebSocket implementation with
 * the browser's API (the global `WebSocket`, or `ws` in Node): start -> ready, audio with
 * backpressure, typed events, keepalive while idle, stop -> end, optional reconnection.
 * Its parts: socket.ts (the thin typed socket), attempt.ts (one connection attempt's outcome),
 * stream-dispatcher.ts (what each server message means), reconnect.ts (policy, backoff, retries).
 * No Node-only imports: this file runs in browsers.
 */
import {
  type AlertMessage,
  type EmotionMessage,
  type EndMessage,
  type Encoding,
  type ReadyMessage,
  type StartOptions,
  parseServerMessage,
  startMessage,
} from '../core/protocol/index.js';
import { Attempt } from './attempt.js';
import { type BackpressureOptions, type Link, SendQueue } from './backpressure.js';
import { UndertoneError } from './errors.js';
import { TypedEmitter } from './events.js';
import { SAMPLE_BYTES, pcmBytes } from './pcm-bytes.js';
import { type ReconnectOptions, type ReconnectPolicy, reconnectPolicy, retry } from './reconnect.js';
import { type CloseInfo, OPEN, type WebSocketFactory, type WebSocketLike, keyProtocols, openSocket } from './socket.js';
import { type StreamHost, StreamDispatcher } from './stream-dispatcher.js';

// Kept importable from here (server/admission/access.test.ts, file-stream.ts, units.test.ts import them from session.js).
export { pcmBytes } from './pcm-bytes.js';
export { type CloseInfo, type WebSocketFactory, type WebSocketLike, keyProtocols } from './socket.js';

/** The `start` fields (encoding, sampleRate, channels, preSkip?, key?, band?: core/protocol/start.ts) and how to connect. */
export interface ConnectOptions extends BackpressureOptions, StartOptions {
  /** `ws://HOST:PORT/v1/stream` (or wss://). */
  readonly url: string;
  /** API key, when the server requires one. */
  readonly token?: string;
  /**
   * Where the token goes: `header` (Authorization: Bearer, Node only), `subprotocol`
   * (undertone.bearer.<base64url>, browsers; keeps the key out of URLs and access logs) or
   * `query` (?token=).
   */
  readonly tokenIn?: 'header' | 'query' | 'subprotocol';
  /** WebSocket implementation (default: the global `WebSocket`; the Node entry defaults to `ws`). */
  readonly webSocket?: WebSocketFactory;
  /** Time allowed from connecting to `ready` (default 10 s). */
  readonly readyTimeoutMs?: number;
  /** Time allowed from `stop()` to `end` (default 30 s). */
  readonly stopTimeoutMs?: number;
  /** Send `keepalive` after this long without sending anything (default: a third of the server's idle timeout). 0 disables. */
  readonly keepaliveMs?: number;
  /** Largest audio message the SDK sends (default 32 KiB; never above the server's maxMessageBytes). */
  readonly maxChunkBytes?: number;
  /**
   * Reconnect with backoff when the connection is lost (or the server is busy/restarting) before
   * `stop()`: a fresh session is started with the same format and a `reconnect` event says so
   * (its `second` numbering starts again at 1). Audio sent meanwhile waits in the bounded queue.
   */
  readonly reconnect?: boolean | ReconnectOptions;
}

export interface ReconnectInfo {
  /** 1-based attempt that succeeded. */
  readonly attempt: number;
  readonly previousSessionId: string | undefined;
  readonly sessionId: string;
  /** Why the previous session was lost. */
  readonly cause: UndertoneError;
  readonly ready: ReadyMessage;
}

export type SessionEvents = {
  ready: (message: ReadyMessage) => void;
  emotion: (message: EmotionMessage) => void;
  /** An alert rule fired on this session (docs/insight.md). */
  alert: (message: AlertMessage) => void;
  error: (error: UndertoneError) => void;
  end: (message: EndMessage) => void;
  close: (info: CloseInfo) => void;
  /** A lost session was replaced by a fresh one (only with `reconnect`). */
  reconnect: (info: ReconnectInfo) => void;
};

const DEFAULT_CHUNK_BYTES = 32 * 1024;

export class Session extends TypedEmitter<SessionEvents> {
  private socket: WebSocketLike | undefined;
  /** Bumped by each connection attempt: events of an older socket are ignored. */
  private generation = 0;
  /** The current socket is open and its session answered `ready`. */
  private live = false;
  private stopRequested = false;
  private reconnecting: Promise<void> | undefined;
  private readyMessage: ReadyMessage | undefined;
  private readonly queue: SendQueue;
  private readonly policy: ReconnectPolicy | undefined;
  private lastSentAt = Date.now();
  private keepaliveTimer: ReturnType<typeof setInterval> | undefined;
  private endWaiter: { resolve: (m: EndMessage) => void; reject: (e: Error) => void } | undefined;
  private userClosed = false;
  private ended: EndMessage | undefined;
  /** Error that ended the session, if any. */
  failure: UndertoneError | undefined;

  private constructor(private readonly options: ConnectOptions) {
    super();
    this.policy = reconnectPolicy(options.reconnect);
    this.queue = new SendQueue(
      () => this.link(),
      options,
      (e) => this.fail(e instanceof UndertoneError ? e : new UndertoneError('connection_lost', `sending audio failed: ${e.message}`)),
    );
  }

  /** Connects, sends `start` and resolves once the server answered `ready`. Rejects with UndertoneError. */
  static async connect(options: ConnectOptions): Promise<Session> {
    const session = new Session(options);
    try {
      await session.open();
    } catch (e) {
      const err = e as UndertoneError;
      if (!session.policy || !err.retryable) {
        session.failure = err;
        throw err;
      }
      try {
        await retry(session.policy, err, () => session.open());
      } catch (last) {
        session.failure = last as UndertoneError;
        throw last;
      }
    }
    session.startKeepalive();
    return session;
  }

  /** The server's `ready` of the current session (model, labels, limits). */
  get ready(): ReadyMessage {
    return this.readyMessage!;
  }

  get sessionId(): string | undefined {
    return this.readyMessage?.sessionId;
  }

  get encoding(): Encoding {
    return this.options.encoding;
  }

  /** Unsent bytes in the socket plus bytes waiting in the SDK's queue. */
  get pendingBytes(): number {
    return (this.socket?.bufferedAmount ?? 0) + this.queue.queuedBytes;
  }

  /** Largest socket `bufferedAmount` seen after a send. */
  get peakBufferedBytes(): number {
    return this.queue.peakBufferedBytes;
  }

  get maxBufferedBytes(): number {
    return this.queue.maxBufferedBytes;
  }

  /**
   * Sends PCM audio in the session's encoding. Int16Array and Float32Array samples are converted
   * (interleaved when stereo); a Uint8Array / Buffer / ArrayBuffer is taken as bytes already in
   * the session's encoding. Resolves when the audio is handed to the socket: await it, and the
   * SDK never holds more than `maxQueuedBytes` + `maxBufferedBytes`.
   */
  sendPcm(audio: Int16Array | Float32Array | Uint8Array | ArrayBuffer): Promise<void> {
    const encoding = this.options.encoding;
    if (encoding === 'opus') return Promise.reject(new UndertoneError('invalid_state', 'sendPcm on an opus session: use sendOpus(packet)'));
    const bad = this.checkSendable();
    if (bad) return Promise.reject(bad);
    const bytes = pcmBytes(audio, encoding);
    const frame = SAMPLE_BYTES[encoding] * this.options.channels;
    const max = Math.max(frame, Math.floor(this.chunkLimit() / frame) * frame);
    const messages: Uint8Array[] = [];
    for (let o = 0; o < bytes.length; o += max) messages.push(bytes.subarray(o, Math.min(bytes.length, o + max)));
    return messages.length === 0 ? Promise.resolve() : this.queue.push(messages);
  }

  /** Sends one raw Opus packet (no Ogg container) as one message. */
  sendOpus(packet: Uint8Array): Promise<void> {
    if (this.options.encoding !== 'opus') {
      return Promise.reject(new UndertoneError('invalid_state', `sendOpus on a ${this.options.encoding} session: use sendPcm`));
    }
    const bad = this.checkSendable();
    if (bad) return Promise.reject(bad);
    if (packet.byteLength === 0) return Promise.reject(new UndertoneError('invalid_audio_input', 'empty Opus packet'));
    const limit = this.readyMessage?.limits.maxMessageBytes ?? Infinity;
    if (packet.byteLength > limit) {
      return Promise.reject(
        new UndertoneError('invalid_audio_input', `Opus packet of ${packet.byteLength} bytes exceeds the server's ${limit}`),
      );
    }
    return this.queue.push([new Uint8Array(packet)]);
  }

  /**
   * Ends the audio: waits for queued audio to be sent, sends `stop`, and resolves with the `end`
   * message (its `summary` is the whole stream's label). Rejects with UndertoneError when the
   * session fails first.
   */
  async stop(): Promise<EndMessage> {
    if (this.ended) return this.ended;
    if (this.failure) throw this.failure;
    if (this.stopRequested) return this.waitEnd();
    this.stopRequested = true;
    const end = this.waitEnd();
    end.catch(() => undefined);
    await this.queue.idle();
    // A reconnection in progress: stop goes to the fresh session once it is ready.
    if (this.reconnecting) await this.reconnecting;
    if (this.failure) throw this.failure;
    if (this.ended) return this.ended; // e.g. the idle timeout ended it meanwhile
    const socket = this.socket;
    if (!socket || !this.live || socket.readyState !== OPEN) {
      throw this.fail(new UndertoneError('connection_lost', 'connection closed before stop could be sent'));
    }
    socket.send(JSON.stringify({ type: 'stop' }));
    const timeout = this.options.stopTimeoutMs ?? 30_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        end,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(this.fail(new UndertoneError('timeout', `no end from the server ${timeout} ms after stop`))),
            timeout,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the connection at once (no `end`; labels in flight are lost). */
  close(): void {
    this.userClosed = true;
    this.stopKeepalive();
    if (!this.ended && !this.failure) this.fail(new UndertoneError('invalid_state', 'session closed by the client'), false);
    this.socket?.close(1000, 'client closed');
  }

  // --- internals ---

  private link(): Link | undefined {
    const s = this.socket;
    if (!s || !this.live || s.readyState !== OPEN) return undefined;
    return {
      bufferedAmount: s.bufferedAmount,
      send: (bytes) => {
        s.send(bytes);
        this.lastSentAt = Date.now();
      },
    };
  }

  private chunkLimit(): number {
    const server = this.readyMessage?.limits.maxMessageBytes ?? DEFAULT_CHUNK_BYTES;
    return Math.min(server, this.options.maxChunkBytes ?? DEFAULT_CHUNK_BYTES);
  }

  private checkSendable(): UndertoneError | undefined {
    if (this.failure) return this.failure;
    if (this.ended) return new UndertoneError('invalid_state', `audio after the session ended (${this.ended.reason})`);
    if (this.stopRequested) return new UndertoneError('invalid_state', 'audio after stop()');
    return undefined;
  }

  private waitEnd(): Promise<EndMessage> {
    if (this.ended) return Promise.resolve(this.ended);
    return new Promise((resolve, reject) => {
      this.endWaiter = { resolve, reject };
    });
  }

  /** Records the session's failure: rejects stop() and queued audio, emits `error`. Returns the error. */
  private fail(error: UndertoneError, emit = true): UndertoneError {
    if (this.failure || this.ended) return error;
    this.failure = error;
    this.stopKeepalive();
    this.queue.fail(error);
    this.endWaiter?.reject(error);
    if (emit) this.emit('error', error);
    // The audio now has a hole (or the server is gone): this session cannot continue.
    if (this.socket && this.socket.readyState <= OPEN) this.socket.close(1000, `client error: ${error.code}`);
    return error;
  }

  /** What the current connection's dispatcher reports: the session's side of each server message and of a lost connection. */
  private readonly host: StreamHost = {
    reconnectsAfterShutdown: () => this.policy !== undefined && !this.stopRequested,
    ready: (message) => {
      this.readyMessage = message;
      this.live = true;
      this.emit('ready', message);
    },
    emotion: (message) => this.emit('emotion', message),
    alert: (message) => this.emit('alert', message),
    end: (message, final) => {
      if (final) {
        this.ended = message;
        this.stopKeepalive();
      }
      this.emit('end', message);
      if (final) this.endWaiter?.resolve(message);
    },
    closed: (info, cause) => {
      this.emit('close', info);
      if (this.ended || this.userClosed || this.failure) return;
      if (this.policy && cause.retryable && !this.stopRequested && !this.reconnecting) {
        this.reconnecting = this.reconnect(cause).finally(() => {
          this.reconnecting = undefined;
        });
      } else this.fail(cause);
    },
  };

  /**
   * One connection attempt: opens a socket, sends `start` once it is open, and resolves with
   * `ready` (rejects with the refusal, the close before ready, or the ready timeout). The socket's
   * messages and close go to a fresh StreamDispatcher while it is the session's current socket.
   */
  private open(): Promise<ReadyMessage> {
    const generation = ++this.generation;
    const current = (): boolean => generation === this.generation;
    const { url, token } = this.options;
    const tokenIn = this.options.tokenIn ?? 'query';
    const timeoutMs = this.options.readyTimeoutMs ?? 10_000;
    let socket: WebSocketLike | undefined;
    const attempt = new Attempt<ReadyMessage>(
      timeoutMs,
      () => new UndertoneError('timeout', `no ready from ${url} within ${timeoutMs} ms`),
      () => socket?.close(),
    );
    const dispatcher = new StreamDispatcher(url, attempt, this.host);
    try {
      socket = openSocket({
        factory: this.options.webSocket,
        url: token && tokenIn === 'query' ? `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : url,
        name: url,
        headers: token && tokenIn === 'header' ? { Authorization: `Bearer ${token}` } : undefined,
        protocols: token && tokenIn === 'subprotocol' ? keyProtocols(token) : undefined,
        parse: parseServerMessage,
        onOpen: (s) => {
          s.send(JSON.stringify(startMessage(this.options)));
          this.lastSentAt = Date.now();
        },
        onMessage: (message) => {
          if (current()) dispatcher.message(message);
        },
        onClose: (end) => {
          if (!current()) return;
          this.live = false;
          dispatcher.close(end);
        },
      });
    } catch (e) {
      attempt.fail(e as UndertoneError);
      return attempt.result;
    }
    this.socket = socket;
    return attempt.result;
  }

  /** Reconnection: fresh sessions with the same format after a lost one, until one answers `ready` or the policy gives up. */
  private async reconnect(cause: UndertoneError): Promise<void> {
    const previousSessionId = this.readyMessage?.sessionId;
    try {
      const done = await retry(
        this.policy!,
        cause,
        () => this.open(),
        () => this.userClosed || this.failure !== undefined,
      );
      if (!done) return;
      const ready = done.value;
      this.emit('reconnect', { attempt: done.attempt, previousSessionId, sessionId: ready.sessionId, cause, ready });
    } catch (e) {
      const last = e as UndertoneError;
      this.fail(
        new UndertoneError(last.code, `reconnect failed after the session was lost (${cause.message}): ${last.message}`, last.closeCode),
      );
    }
  }

  private startKeepalive(): void {
    const every = this.options.keepaliveMs ?? Math.floor((this.readyMessage?.limits.idleTimeoutMs ?? 30_000) / 3);
    if (every <= 0) return;
    this.keepaliveTimer = setInterval(
      () => {
        const s = this.socket;
        if (!s || !this.live || s.readyState !== OPEN) return;
        if (Date.now() - this.lastSentAt >= every) {
          s.send(JSON.stringify({ type: 'keepalive' }));
          this.lastSentAt = Date.now();
        }
      },
      Math.max(10, Math.floor(every / 2)),
    );
    (this.keepaliveTimer as { unref?: () => void }).unref?.();
  }

  private stopKeepalive(): void {
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
  }
}
