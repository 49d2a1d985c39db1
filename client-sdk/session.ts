/**
 * One live session of `GET /v1/stream` (docs/protocol.md) over any WebSocket implementation with
 * the browser's API (the global `WebSocket`, or `ws` in Node): start -> ready, audio with
 * backpressure, typed events, keepalive while idle, stop -> end, optional reconnection.
 * No Node-only imports: this file runs in browsers.
 */
import {
  type Band,
  type EmotionMessage,
  type EndMessage,
  type Encoding,
  type ReadyMessage,
  type StartMessage,
  ERROR_CODES,
  isErrorCode,
  parseServerMessage,
} from '../core/protocol/index.js';
import { alawEncodeSample, g711Encode, mulawEncodeSample } from '../core/audio/g711.js';
import { type BackpressureOptions, type Link, SendQueue } from './backpressure.js';
import { UndertoneError } from './errors.js';
import { TypedEmitter } from './events.js';
import { type ReconnectOptions, type ReconnectPolicy, backoffDelay, reconnectPolicy, sleep } from './reconnect.js';

/** The part of the WebSocket API the SDK uses (the browser's `WebSocket` and `ws` both have it). */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  binaryType: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  onopen: ((ev: any) => void) | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  onmessage: ((ev: any) => void) | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  onclose: ((ev: any) => void) | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  onerror: ((ev: any) => void) | null;
}

/** Opens a WebSocket. `headers` is only passed when the token goes in a header (Node), `protocols` when it goes in a subprotocol. */
export type WebSocketFactory = (url: string, headers?: Record<string, string>, protocols?: string[]) => WebSocketLike;

/**
 * The subprotocols that carry an API key (docs/protocol.md): `undertone.v1`, which the server
 * echoes, and `undertone.bearer.` + base64url of the key's UTF-8 bytes.
 */
export function keyProtocols(token: string): string[] {
  const bytes = new TextEncoder().encode(token);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  const b64 = btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return ['undertone.v1', `undertone.bearer.${b64}`];
}

const OPEN = 1;

export interface ConnectOptions extends BackpressureOptions {
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
  readonly encoding: Encoding;
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  /** Opus only: the stream's pre-skip (48 kHz samples), e.g. an Ogg Opus file's. */
  readonly preSkip?: number;
  /** Session key echoed in `ready` and logged by the server. */
  readonly key?: string;
  /** Which server model labels the stream (default: narrowband for G.711 or <= 8 kHz, else wideband); `narrowband` for telephone audio sent upsampled. */
  readonly band?: Band;
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

export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
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
  error: (error: UndertoneError) => void;
  end: (message: EndMessage) => void;
  close: (info: CloseInfo) => void;
  /** A lost session was replaced by a fresh one (only with `reconnect`). */
  reconnect: (info: ReconnectInfo) => void;
};

/** Bytes per sample of each PCM encoding. */
const SAMPLE_BYTES: Record<Exclude<Encoding, 'opus'>, number> = { pcm_s16le: 2, pcm_f32le: 4, pcm_mulaw: 1, pcm_alaw: 1 };
const DEFAULT_CHUNK_BYTES = 32 * 1024;

export class Session extends TypedEmitter<SessionEvents> {
  private socket: WebSocketLike | undefined;
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
    let attempt = 0;
    for (;;) {
      try {
        await session.open();
        session.startKeepalive();
        return session;
      } catch (e) {
        const err = e as UndertoneError;
        attempt++;
        if (!session.policy || !err.retryable || attempt > session.policy.retries) {
          session.failure = err;
          throw err;
        }
        // The server's retryAfterMs (already jittered) is a floor: it knows when it expects room.
        await sleep(Math.max(backoffDelay(session.policy, attempt), err.retryAfterMs ?? 0));
      }
    }
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
    if (this.options.encoding !== 'opus') return Promise.reject(new UndertoneError('invalid_state', `sendOpus on a ${this.options.encoding} session: use sendPcm`));
    const bad = this.checkSendable();
    if (bad) return Promise.reject(bad);
    if (packet.byteLength === 0) return Promise.reject(new UndertoneError('invalid_audio_input', 'empty Opus packet'));
    const limit = this.readyMessage?.limits.maxMessageBytes ?? Infinity;
    if (packet.byteLength > limit) return Promise.reject(new UndertoneError('invalid_audio_input', `Opus packet of ${packet.byteLength} bytes exceeds the server's ${limit}`));
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
    if (!socket || !this.live || socket.readyState !== OPEN) throw this.fail(new UndertoneError('connection_lost', 'connection closed before stop could be sent'));
    socket.send(JSON.stringify({ type: 'stop' }));
    const timeout = this.options.stopTimeoutMs ?? 30_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        end,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(this.fail(new UndertoneError('timeout', `no end from the server ${timeout} ms after stop`))), timeout);
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

  private startUrl(): string {
    const { url, token } = this.options;
    if (!token || this.tokenIn() !== 'query') return url;
    return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
  }

  private tokenIn(): 'header' | 'query' | 'subprotocol' {
    return this.options.tokenIn ?? 'query';
  }

  private startMessage(): StartMessage {
    const { encoding, sampleRate, channels, preSkip, key, band } = this.options;
    return { type: 'start', encoding, sampleRate, channels, ...(preSkip !== undefined ? { preSkip } : {}), ...(key !== undefined ? { key } : {}), ...(band !== undefined ? { band } : {}) };
  }

  /** Opens a socket, sends start, resolves with ready; wires the socket's later events to this session. */
  private open(): Promise<ReadyMessage> {
    const factory = this.options.webSocket;
    if (!factory) throw new UndertoneError('connection_failed', 'no WebSocket implementation: pass `webSocket`, or import the Node entry (client-sdk/node.js)');
    const generation = ++this.generation;
    const headers = this.options.token && this.tokenIn() === 'header' ? { Authorization: `Bearer ${this.options.token}` } : undefined;
    const url = this.options.url;
    return new Promise<ReadyMessage>((resolve, reject) => {
      let opened = false;
      let settled = false;
      let socketError = '';
      let serverError: UndertoneError | undefined;
      let shutdownEnd: EndMessage | undefined;
      let gotReady = false;
      const timeoutMs = this.options.readyTimeoutMs ?? 10_000;
      const timer = setTimeout(() => {
        settle(new UndertoneError('timeout', `no ready from ${url} within ${timeoutMs} ms`));
        socket.close();
      }, timeoutMs);
      const settle = (result: ReadyMessage | UndertoneError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (result instanceof UndertoneError) reject(result);
        else resolve(result);
      };
      let socket: WebSocketLike;
      try {
        socket = factory(this.startUrl(), headers, this.options.token && this.tokenIn() === 'subprotocol' ? keyProtocols(this.options.token) : undefined);
      } catch (e) {
        clearTimeout(timer);
        reject(new UndertoneError('connection_failed', `cannot connect to ${url}: ${(e as Error).message}`));
        return;
      }
      this.socket = socket;
      socket.binaryType = 'arraybuffer';
      const current = (): boolean => generation === this.generation;
      socket.onopen = () => {
        opened = true;
        socket.send(JSON.stringify(this.startMessage()));
        this.lastSentAt = Date.now();
      };
      socket.onerror = (ev: { message?: string; error?: Error }) => {
        socketError = ev?.message ?? ev?.error?.message ?? '';
      };
      socket.onmessage = (ev: { data: unknown }) => {
        if (!current() || typeof ev.data !== 'string') return;
        let message;
        try {
          message = parseServerMessage(ev.data);
        } catch {
          return;
        }
        switch (message.type) {
          case 'ready':
            if (settled) break; // too late: this attempt already timed out and is closing
            this.readyMessage = message;
            this.live = true;
            gotReady = true;
            settle(message);
            this.emit('ready', message);
            break;
          case 'emotion':
            this.emit('emotion', message);
            break;
          case 'end':
            if (message.reason === 'shutdown' && this.policy && !this.stopRequested) {
              // The server is going away mid-stream: report this session's end, then reconnect on close.
              shutdownEnd = message;
              this.emit('end', message);
              break;
            }
            this.ended = message;
            this.stopKeepalive();
            this.emit('end', message);
            this.endWaiter?.resolve(message);
            break;
          case 'error': {
            const code = isErrorCode(message.code) ? message.code : 'internal';
            const what = settled ? 'server ended the session' : 'server refused the session';
            serverError = new UndertoneError(code, `${what}: ${code}: ${message.message}`, ERROR_CODES[code], typeof message.retryAfterMs === 'number' ? message.retryAfterMs : undefined);
            if (!settled) settle(serverError);
            break;
          }
        }
      };
      socket.onclose = (ev: { code: number; reason: string }) => {
        if (!current()) return;
        this.live = false;
        const info = { code: ev.code, reason: ev.reason ?? '' };
        if (!gotReady) {
          // This socket never carried a session: its failure is the connect attempt's (settled once).
          const err =
            serverError ??
            (opened
              ? new UndertoneError('connection_lost', `connection to ${url} closed (${info.code}${info.reason ? ` ${info.reason}` : ''}) before ready`, info.code)
              : new UndertoneError('connection_failed', `cannot connect to ${url}${socketError ? `: ${socketError}` : ''} (is the server running?)`, info.code));
          settle(err);
          return;
        }
        this.emit('close', info);
        if (this.ended || this.userClosed || this.failure) return;
        const cause =
          serverError ??
          (shutdownEnd
            ? new UndertoneError('shutting_down', `the server shut the session down after ${shutdownEnd.seconds} labels (end reason shutdown)`, info.code)
            : undefined) ??
          new UndertoneError('connection_lost', `connection to ${url} lost (${info.code}${info.reason ? ` ${info.reason}` : ''}) without end`, info.code);
        if (this.policy && cause.retryable && !this.stopRequested && !this.reconnecting) {
          this.reconnecting = this.reconnect(cause).finally(() => (this.reconnecting = undefined));
        } else this.fail(cause);
      };
    });
  }

  private async reconnect(cause: UndertoneError): Promise<void> {
    const policy = this.policy!;
    const previousSessionId = this.readyMessage?.sessionId;
    let last = cause;
    for (let attempt = 1; attempt <= policy.retries; attempt++) {
      await sleep(Math.max(backoffDelay(policy, attempt), last.retryAfterMs ?? 0));
      if (this.userClosed || this.failure) return;
      try {
        const ready = await this.open();
        this.emit('reconnect', { attempt, previousSessionId, sessionId: ready.sessionId, cause, ready });
        return;
      } catch (e) {
        last = e as UndertoneError;
        if (!last.retryable) break;
      }
    }
    this.fail(new UndertoneError(last.code, `reconnect failed after the session was lost (${cause.message}): ${last.message}`, last.closeCode));
  }

  private startKeepalive(): void {
    const every = this.options.keepaliveMs ?? Math.floor((this.readyMessage?.limits.idleTimeoutMs ?? 30_000) / 3);
    if (every <= 0) return;
    this.keepaliveTimer = setInterval(() => {
      const s = this.socket;
      if (!s || !this.live || s.readyState !== OPEN) return;
      if (Date.now() - this.lastSentAt >= every) {
        s.send(JSON.stringify({ type: 'keepalive' }));
        this.lastSentAt = Date.now();
      }
    }, Math.max(10, Math.floor(every / 2)));
    (this.keepaliveTimer as { unref?: () => void }).unref?.();
  }

  private stopKeepalive(): void {
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
  }
}

/**
 * Audio as bytes of a PCM encoding (little-endian; G.711 samples encoded to μ-law / A-law
 * characters; a copy, so the caller may reuse its buffer).
 */
export function pcmBytes(audio: Int16Array | Float32Array | Uint8Array | ArrayBuffer, encoding: Exclude<Encoding, 'opus'>): Uint8Array {
  if (audio instanceof ArrayBuffer) return new Uint8Array(audio.slice(0));
  if (audio instanceof Uint8Array) return new Uint8Array(audio); // a copy (Buffer#slice would be a view)
  const n = audio.length;
  if (encoding === 'pcm_mulaw' || encoding === 'pcm_alaw') {
    const law = encoding === 'pcm_mulaw' ? 'mulaw' : 'alaw';
    if (audio instanceof Float32Array) return g711Encode(law, audio);
    const encode = law === 'mulaw' ? mulawEncodeSample : alawEncodeSample;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = encode(audio[i]);
    return out;
  }
  if (encoding === 'pcm_s16le') {
    const out = new Uint8Array(n * 2);
    const view = new DataView(out.buffer);
    if (audio instanceof Int16Array) for (let i = 0; i < n; i++) view.setInt16(i * 2, audio[i], true);
    else
      for (let i = 0; i < n; i++) {
        const x = Number.isFinite(audio[i]) ? audio[i] : 0;
        view.setInt16(i * 2, Math.max(-32768, Math.min(32767, Math.round(x * 32768))), true);
      }
    return out;
  }
  const out = new Uint8Array(n * 4);
  const view = new DataView(out.buffer);
  if (audio instanceof Int16Array) for (let i = 0; i < n; i++) view.setFloat32(i * 4, audio[i] / 32768, true);
  else for (let i = 0; i < n; i++) view.setFloat32(i * 4, audio[i], true);
  return out;
}
