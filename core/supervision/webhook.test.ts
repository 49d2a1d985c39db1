/**
 * The dispatcher against a real HTTP receiver on 127.0.0.1 that fails, hangs and recovers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_WEBHOOK_SETTINGS, redactUrl, verifyWebhookSignature, WebhookDispatcher, type WebhookOutcomeEvent, type WebhookSettings } from './webhook.js';

const SECRET = 'test-secret';

interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly at: number;
}

/** A receiver whose answer to the n-th request (0-based) is decided by `behave`. */
class Receiver {
  readonly requests: Received[] = [];
  private server: Server | null = null;
  port = 0;

  constructor(private readonly behave: (n: number, res: ServerResponse) => void) {}

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
        this.behave(this.requests.length - 1, res);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook?token=abc`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

const receivers: Receiver[] = [];
const dispatchers: WebhookDispatcher[] = [];
afterEach(async () => {
  await Promise.all(dispatchers.splice(0).map((d) => d.close(0)));
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
});

function ok(_n: number, res: ServerResponse): void {
  res.writeHead(204).end();
}

async function receiver(behave: (n: number, res: ServerResponse) => void, port?: number): Promise<Receiver> {
  const r = await new Receiver(behave).start(port);
  receivers.push(r);
  return r;
}

function dispatcher(urls: string[], settings: Partial<WebhookSettings> = {}) {
  const outcomes: WebhookOutcomeEvent[] = [];
  const logs: string[] = [];
  const logger = { warn: (o: object, m: string) => logs.push(JSON.stringify(o) + m), debug: (o: object, m: string) => logs.push(JSON.stringify(o) + m) };
  const d = new WebhookDispatcher(
    { ...DEFAULT_WEBHOOK_SETTINGS, backoffMs: 50, maxBackoffMs: 400, timeoutMs: 2000, ...settings, urls, secret: SECRET },
    { logger, onOutcome: (e) => outcomes.push(e) },
  );
  dispatchers.push(d);
  return { d, outcomes, logs };
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('webhook dispatcher', () => {
  it('POSTs signed JSON a receiver can verify; a tampered body, another secret or an old timestamp fail', async () => {
    const r = await receiver(ok);
    const { d } = dispatcher([r.url]);
    expect(d.enqueue('alert', { rule: 'sustained-negative', second: 12 })).toBe(true);
    await until(() => r.requests.length === 1);
    await until(() => d.stats().get(redactUrl(r.url))!.delivered === 1);
    const { headers, body } = r.requests[0];
    expect(headers['content-type']).toBe('application/json');
    expect(headers['undertone-event']).toBe('alert');
    const parsed = JSON.parse(body);
    expect(parsed).toMatchObject({ event: 'alert', id: headers['undertone-delivery'], data: { rule: 'sustained-negative', second: 12 } });
    const args = { secret: SECRET, body, timestamp: headers['undertone-timestamp'] as string, signature: headers['undertone-signature'] as string };
    expect(verifyWebhookSignature(args)).toEqual({ ok: true });
    expect(verifyWebhookSignature({ ...args, body: body.replace('12', '13') })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyWebhookSignature({ ...args, secret: 'other' })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyWebhookSignature({ ...args, nowSeconds: Number(args.timestamp) + 301 })).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhookSignature({ ...args, signature: 'sha1=abc' })).toEqual({ ok: false, reason: 'malformed' });
    expect(d.queued).toBe(0);
  });

  it('retries 5xx with growing backoff and delivers once the receiver recovers; each attempt signed afresh, same delivery id', async () => {
    const r = await receiver((n, res) => res.writeHead(n < 3 ? 503 : 200).end());
    const { d, outcomes } = dispatcher([r.url], { backoffMs: 100, maxBackoffMs: 2000 });
    d.enqueue('summary', { seconds: 40 });
    await until(() => outcomes.some((o) => o.outcome === 'delivered'));
    expect(r.requests).toHaveLength(4);
    expect(new Set(r.requests.map((q) => q.headers['undertone-delivery'])).size).toBe(1);
    for (const q of r.requests) expect(verifyWebhookSignature({ secret: SECRET, body: q.body, timestamp: q.headers['undertone-timestamp'] as string, signature: q.headers['undertone-signature'] as string })).toEqual({ ok: true });
    const gaps = r.requests.slice(1).map((q, i) => q.at - r.requests[i].at);
    // Delays are base * 2^(n-1), half jittered: >= 50, 100, 200 ms.
    expect(gaps[0]).toBeGreaterThanOrEqual(45);
    expect(gaps[2]).toBeGreaterThanOrEqual(195);
    expect(outcomes.map((o) => `${o.outcome}:${o.reason ?? o.status}`)).toEqual(['retry:http_5xx', 'retry:http_5xx', 'retry:http_5xx', 'delivered:200']);
    expect(d.stats().get(redactUrl(r.url))).toEqual({ delivered: 1, retries: 3, failed: 0, dropped: 0 });
  });

  it('a receiver that hangs is timed out and retried', async () => {
    const r = await receiver((n, res) => {
      if (n > 0) res.writeHead(200).end();
      // n == 0: never answer.
    });
    const { d, outcomes } = dispatcher([r.url], { timeoutMs: 300 });
    const t0 = Date.now();
    d.enqueue('alert', { a: 1 });
    await until(() => outcomes.some((o) => o.outcome === 'delivered'));
    expect(outcomes[0]).toMatchObject({ outcome: 'retry', reason: 'timeout', attempt: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(r.requests).toHaveLength(2);
  });

  it('a receiver that is down (connection refused) gets the event when it comes back on the same port', async () => {
    const probe = await receiver(ok);
    const port = probe.port;
    const url = probe.url;
    await probe.stop();
    const { d, outcomes } = dispatcher([url], { backoffMs: 100, maxBackoffMs: 300, maxAttempts: 20 });
    d.enqueue('alert', { rule: 'x' });
    await until(() => outcomes.filter((o) => o.reason === 'network').length >= 2);
    const back = await receiver(ok, port);
    await until(() => outcomes.some((o) => o.outcome === 'delivered'));
    expect(back.requests).toHaveLength(1);
    expect(d.stats().get(redactUrl(url))!.retries).toBeGreaterThanOrEqual(2);
  });

  it('gives up after maxAttempts (counted as failed) and does not retry a 4xx other than 429', async () => {
    const down = await receiver((_n, res) => res.writeHead(500).end());
    const refusing = await receiver((_n, res) => res.writeHead(401).end());
    const { d, outcomes } = dispatcher([down.url, refusing.url], { maxAttempts: 3 });
    d.enqueue('alert', { a: 1 });
    await until(() => outcomes.filter((o) => o.outcome === 'failed').length === 2);
    expect(down.requests).toHaveLength(3);
    expect(refusing.requests).toHaveLength(1);
    expect(d.stats().get(redactUrl(down.url))).toEqual({ delivered: 0, retries: 2, failed: 1, dropped: 0 });
    expect(outcomes.find((o) => o.url === redactUrl(refusing.url))).toMatchObject({ outcome: 'failed', reason: 'http_4xx', status: 401 });
    expect(d.queued).toBe(0);
  });

  it('enqueue never waits: a full queue drops and counts, while a slow receiver holds the requests', async () => {
    const held: ServerResponse[] = [];
    const r = await receiver((_n, res) => held.push(res));
    const { d, outcomes } = dispatcher([r.url], { maxQueue: 5, concurrency: 2, timeoutMs: 5000 });
    const t0 = performance.now();
    const accepted = Array.from({ length: 200 }, (_, i) => d.enqueue('alert', { i }));
    const spent = performance.now() - t0;
    expect(spent).toBeLessThan(200);
    expect(accepted.filter(Boolean)).toHaveLength(5);
    expect(d.stats().get(redactUrl(r.url))!.dropped).toBe(195);
    expect(outcomes.filter((o) => o.outcome === 'dropped').every((o) => o.reason === 'queue_full')).toBe(true);
    await until(() => held.length === 2);
    for (const res of held.splice(0)) res.writeHead(200).end();
    await until(() => held.length === 2);
    for (const res of held.splice(0)) res.writeHead(200).end();
    await until(() => held.length === 1);
    held[0].writeHead(200).end();
    await until(() => d.stats().get(redactUrl(r.url))!.delivered === 5);
    expect(r.requests.map((q) => JSON.parse(q.body).data.i)).toEqual([0, 1, 2, 3, 4]);
  });

  it('logs failures with URL (no query), reason and size, never the payload', async () => {
    const r = await receiver((_n, res) => res.writeHead(500).end());
    const { d, logs } = dispatcher([r.url], { maxAttempts: 2 });
    d.enqueue('summary', { transcriptLike: 'PAYLOAD-MARKER-4711', samples: [0.25, -0.5] });
    await until(() => logs.some((l) => l.includes('webhook failed')));
    expect(logs.length).toBeGreaterThanOrEqual(2);
    for (const l of logs) {
      expect(l).not.toContain('PAYLOAD-MARKER-4711');
      expect(l).not.toContain('token=abc');
      expect(l).not.toContain('0.25');
    }
    expect(logs.join('\n')).toContain('"reason":"http_5xx"');
  });

  it('close() tries waiting retries once more now, then drops what is left; later events are dropped', async () => {
    const r = await receiver((n, res) => res.writeHead(n === 0 ? 503 : 200).end());
    const { d, outcomes } = dispatcher([r.url], { backoffMs: 60_000, maxBackoffMs: 60_000 });
    d.enqueue('alert', { a: 1 });
    await until(() => outcomes.some((o) => o.outcome === 'retry'));
    await d.close(2000);
    expect(outcomes.at(-1)).toMatchObject({ outcome: 'delivered' });
    expect(d.enqueue('alert', { a: 2 })).toBe(false);
    expect(outcomes.at(-1)).toMatchObject({ outcome: 'dropped', reason: 'shutdown' });
  });

  it('refuses bad settings with a clear message', () => {
    expect(() => new WebhookDispatcher({ ...DEFAULT_WEBHOOK_SETTINGS, urls: ['ftp://x/y'], secret: 's' })).toThrow('webhooks: ftp://x/y: only http and https URLs');
    expect(() => new WebhookDispatcher({ ...DEFAULT_WEBHOOK_SETTINGS, urls: ['not a url'], secret: 's' })).toThrow('webhooks: not a URL: "not a url"');
    expect(() => new WebhookDispatcher({ ...DEFAULT_WEBHOOK_SETTINGS, urls: ['http://127.0.0.1:1/'], secret: '' })).toThrow('webhooks: a signing secret is required');
  });
});
