/**
 * A minimal client of the live protocol over `ws`, for the server tests and the load bench:
 * connect, send start/audio/stop, collect every server message with its arrival time, and the
 * close code. Not an SDK (client-sdk/ is): it does no reconnection or validation.
 */
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import {
  type EmotionMessage,
  type EndMessage,
  type ErrorMessage,
  type ReadyMessage,
  type ServerMessage,
  type StartMessage,
  parseServerMessage,
} from '../../core/protocol/index.js';

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/** The server answered the upgrade with an HTTP response instead of the handshake (e.g. 503 with --overload-refusal http). */
export class HandshakeRefused extends Error {
  constructor(
    readonly status: number,
    /** The Retry-After header (seconds), when sent. */
    readonly retryAfterSeconds: number | undefined,
    /** The JSON error message of the body, when it has one. */
    readonly error: ErrorMessage | undefined,
  ) {
    super(`HTTP ${status}${error ? ` ${error.code}: ${error.message}` : ''}`);
  }
}

export class StreamClient {
  readonly messages: ServerMessage[] = [];
  /** performance.now() at the arrival of each message (same index as messages). */
  readonly arrivals: number[] = [];
  readonly closed: Promise<Closed>;
  private waiters: { type: ServerMessage['type']; resolve: (m: ServerMessage) => void }[] = [];

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => {
      if (isBinary) throw new Error('server sent a binary message');
      const message = parseServerMessage(data.toString());
      this.messages.push(message);
      this.arrivals.push(performance.now());
      const i = this.waiters.findIndex((w) => w.type === message.type);
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(message);
    });
  }

  static connect(url: string, headers: Record<string, string> = {}): Promise<StreamClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, perMessageDeflate: false });
      ws.once('open', () => resolve(new StreamClient(ws)));
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          let error: ErrorMessage | undefined;
          try {
            const m = parseServerMessage(Buffer.concat(chunks).toString());
            if (m.type === 'error') error = m;
          } catch {
            // not a protocol message (e.g. an empty 404)
          }
          const retryAfter = Number(res.headers['retry-after']);
          ws.on('error', () => undefined);
          ws.terminate();
          reject(new HandshakeRefused(res.statusCode ?? 0, Number.isFinite(retryAfter) && res.headers['retry-after'] !== undefined ? retryAfter : undefined, error));
        });
      });
      ws.once('error', reject);
    });
  }

  /** The first message of `type` (already received or the next to arrive). */
  next<T extends ServerMessage['type']>(type: T): Promise<Extract<ServerMessage, { type: T }>> {
    const seen = this.messages.find((m) => m.type === type);
    if (seen) return Promise.resolve(seen as Extract<ServerMessage, { type: T }>);
    return new Promise((resolve) => this.waiters.push({ type, resolve: resolve as (m: ServerMessage) => void }));
  }

  /** What a subscriber of this session is relayed (core/protocol/subscription-message.ts): its emotion and alert messages and its end, in order. */
  get relayed(): ServerMessage[] {
    return this.messages.filter((m) => m.type === 'emotion' || m.type === 'alert' || m.type === 'end');
  }

  get emotions(): EmotionMessage[] {
    return this.messages.filter((m): m is EmotionMessage => m.type === 'emotion');
  }

  get ready(): ReadyMessage | undefined {
    return this.messages.find((m): m is ReadyMessage => m.type === 'ready');
  }

  get end(): EndMessage | undefined {
    return this.messages.find((m): m is EndMessage => m.type === 'end');
  }

  get error(): ErrorMessage | undefined {
    return this.messages.find((m): m is ErrorMessage => m.type === 'error');
  }

  sendJson(message: object): void {
    this.ws.send(JSON.stringify(message));
  }

  sendText(text: string): void {
    this.ws.send(text);
  }

  /** Sends binary; resolves when written to the socket. */
  sendBinary(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.ws.send(bytes, { binary: true }, (err) => (err ? reject(err) : resolve())));
  }

  close(): void {
    this.ws.close();
  }
}

export interface StreamRun {
  readonly client: StreamClient;
  readonly closed: Closed;
  /** performance.now() when the chunk that completed second k (1-based index k-1) was sent. */
  readonly secondSentAt: number[];
  /** performance.now() after the last audio chunk was sent. */
  readonly audioSentAt: number;
}

export interface StreamOptions {
  /** Bytes of audio per second of stream, to know which chunk completes which second (PCM). */
  readonly bytesPerSecond?: number;
  /** Stream time of each chunk in seconds (Opus packets), instead of bytesPerSecond. */
  readonly chunkSeconds?: readonly number[];
  /** Real-time pacing: wait until each chunk's stream time before sending it. 1 = real time, 0 = as fast as possible. */
  readonly pace?: number;
  readonly headers?: Record<string, string>;
  /** Send stop at the end (default true). */
  readonly stop?: boolean;
}

/** Connects, sends start and the chunks (optionally paced), then stop; resolves when the server closes. */
export async function streamChunks(url: string, start: StartMessage, chunks: readonly Uint8Array[], options: StreamOptions = {}): Promise<StreamRun> {
  const client = await StreamClient.connect(url, options.headers);
  client.sendJson(start);
  const ready = await Promise.race([client.next('ready'), client.next('error')]);
  const secondSentAt: number[] = [];
  let audioSentAt = NaN;
  if (ready.type === 'ready') {
    const t0 = performance.now();
    let streamSeconds = 0;
    let bytes = 0;
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i];
      const before = streamSeconds;
      if (options.chunkSeconds) streamSeconds += options.chunkSeconds[i];
      else streamSeconds = (bytes + chunk.length) / (options.bytesPerSecond ?? Infinity);
      bytes += chunk.length;
      if (options.pace) {
        const due = t0 + (before * 1000) / options.pace;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      }
      if (client.ws.readyState !== WebSocket.OPEN) break;
      await client.sendBinary(chunk);
      const now = performance.now();
      while (secondSentAt.length < Math.floor(streamSeconds + 1e-9)) secondSentAt.push(now);
    }
    audioSentAt = performance.now();
    if (options.stop !== false && client.ws.readyState === WebSocket.OPEN) client.sendJson({ type: 'stop' });
  }
  const closed = await client.closed;
  return { client, closed, secondSentAt, audioSentAt };
}

/** Splits bytes into chunks whose sizes cycle through `sizes` (odd sizes split samples and frames). */
export function chunkBytes(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let o = 0, i = 0; o < bytes.length; i++) {
    const n = Math.min(sizes[i % sizes.length], bytes.length - o);
    chunks.push(bytes.subarray(o, o + n));
    o += n;
  }
  return chunks;
}
