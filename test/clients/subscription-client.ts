/**
 * Minimal subscription clients for the server tests: a WebSocket one (`ws`) and a Server-Sent
 * Events one (fetch + a text/event-stream parser). Both collect every message and resolve `done`
 * when the server ends the subscription. Not an SDK (client-sdk/ has `subscribe`).
 */
import { WebSocket } from 'ws';
import { type SessionEmotionMessage, type SessionEndMessage, type SubscriptionMessage, parseSubscriptionMessage } from '../../core/protocol/index.js';

export interface TestSubscription {
  readonly messages: SubscriptionMessage[];
  /** WebSocket: the close code and reason. SSE: the HTTP status and `end` (stream finished) or `aborted`. */
  readonly done: Promise<{ code: number; reason: string }>;
  emotions(sessionId?: string): SessionEmotionMessage[];
  ends(): SessionEndMessage[];
  /** Resolves once `count` messages have arrived. */
  waitFor(count: number): Promise<void>;
  close(): void;
}

class Collector {
  readonly messages: SubscriptionMessage[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];
  push(m: SubscriptionMessage): void {
    this.messages.push(m);
    this.waiters = this.waiters.filter((w) => (this.messages.length >= w.count ? (w.resolve(), false) : true));
  }
  waitFor(count: number): Promise<void> {
    if (this.messages.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }
  emotions(sessionId?: string): SessionEmotionMessage[] {
    return this.messages.filter((m): m is SessionEmotionMessage => m.type === 'emotion' && (sessionId === undefined || m.sessionId === sessionId));
  }
  ends(): SessionEndMessage[] {
    return this.messages.filter((m): m is SessionEndMessage => m.type === 'end');
  }
}

/** Opens a WebSocket subscription; resolves once open. */
export function subscribeWs(url: string, headers: Record<string, string> = {}): Promise<TestSubscription> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    const c = new Collector();
    const done = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('message', (data) => c.push(parseSubscriptionMessage(data.toString())));
    ws.on('error', () => undefined);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('open', () =>
      resolve({ messages: c.messages, done, emotions: (id) => c.emotions(id), ends: () => c.ends(), waitFor: (n) => c.waitFor(n), close: () => ws.close() }),
    );
  });
}

/** Opens an SSE subscription; resolves with the HTTP status once the response headers arrive (non-200: the JSON error as the only message). */
export async function subscribeSse(url: string, headers: Record<string, string> = {}): Promise<TestSubscription & { status: number }> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const c = new Collector();
  let done: Promise<{ code: number; reason: string }>;
  if (res.status !== 200) {
    c.push((await res.json()) as SubscriptionMessage);
    done = Promise.resolve({ code: res.status, reason: 'end' });
  } else {
    done = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const event = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const data = event.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
            if (data) c.push(parseSubscriptionMessage(data));
          }
        }
        return { code: res.status, reason: 'end' };
      } catch {
        return { code: res.status, reason: 'aborted' };
      }
    })();
  }
  return {
    status: res.status,
    messages: c.messages,
    done,
    emotions: (id) => c.emotions(id),
    ends: () => c.ends(),
    waitFor: (n) => c.waitFor(n),
    close: () => abort.abort(),
  };
}
