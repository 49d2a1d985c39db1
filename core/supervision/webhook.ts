/**
 * Webhook delivery of alerts and call summaries: POSTs signed JSON to every configured URL from a
 * bounded in-memory queue, retrying with exponential backoff. `enqueue` never waits and never
 * throws: the audio path calls it and moves on; when the queue is full the event is dropped and
 * counted. Outcomes are counted per URL (for /metrics) and logged without the body.
 *
 * Signing (documented for receivers in docs/insight.md): headers
 *   Undertone-Timestamp: unix seconds when this attempt was sent
 *   Undertone-Signature: sha256=HEX(HMAC-SHA256(secret, `${timestamp}.${body}`))
 *   Undertone-Event: alert | summary;  Undertone-Delivery: id of the event (same on every retry)
 * A receiver recomputes the HMAC over the raw body, compares in constant time and rejects a
 * timestamp outside its replay window (verifyWebhookSignature does both). Each retry is signed
 * afresh, so a late retry is not refused as a replay.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

export type WebhookEvent = 'alert' | 'summary';

export interface WebhookSettings {
  readonly urls: readonly string[];
  readonly secret: string;
  /** Per-attempt timeout, ms. */
  readonly timeoutMs: number;
  /** Attempts per event and URL, the first included. */
  readonly maxAttempts: number;
  /** Delay before the first retry, ms; doubles per retry up to maxBackoffMs (half of it jittered). */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** Events waiting or being retried, all URLs together; beyond it new events are dropped. */
  readonly maxQueue: number;
  /** Requests in flight at once. */
  readonly concurrency: number;
}

export const DEFAULT_WEBHOOK_SETTINGS: Omit<WebhookSettings, 'urls' | 'secret'> = {
  timeoutMs: 5000,
  maxAttempts: 6,
  backoffMs: 1000,
  maxBackoffMs: 60_000,
  maxQueue: 10_000,
  concurrency: 4,
};

export type WebhookOutcome = 'delivered' | 'retry' | 'failed' | 'dropped';
/** Why an attempt failed (or why an event was dropped). */
export type WebhookFailureReason = 'timeout' | 'network' | 'http_5xx' | 'http_429' | 'http_4xx' | 'queue_full' | 'shutdown';

export interface WebhookOutcomeEvent {
  /** The URL without query string or credentials. */
  readonly url: string;
  readonly event: WebhookEvent;
  readonly outcome: WebhookOutcome;
  readonly reason?: WebhookFailureReason;
  readonly status?: number;
  readonly attempt: number;
}

export interface WebhookCounts {
  delivered: number;
  retries: number;
  failed: number;
  dropped: number;
}

/** The subset of a pino logger the dispatcher uses. */
export interface WebhookLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface WebhookDispatcherOptions {
  readonly logger?: WebhookLogger;
  /** Called for every outcome (metrics counters hang here). */
  readonly onOutcome?: (e: WebhookOutcomeEvent) => void;
}

interface Job {
  readonly url: string;
  readonly safeUrl: string;
  readonly event: WebhookEvent;
  readonly id: string;
  readonly body: string;
  attempt: number;
}

/** A URL as it may appear in logs and metrics: no credentials, no query (tokens often live there). */
export function redactUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: 'malformed' | 'stale' | 'mismatch' };

/** The receiver's check: signature over the raw body, timestamp within `toleranceSeconds` of now. */
export function verifyWebhookSignature(args: {
  secret: string;
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  toleranceSeconds?: number;
  nowSeconds?: number;
}): VerifyResult {
  const { secret, body, timestamp, signature } = args;
  if (!timestamp || !/^\d+$/.test(timestamp) || !signature || !/^sha256=[0-9a-f]{64}$/.test(signature)) return { ok: false, reason: 'malformed' };
  const now = args.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (args.toleranceSeconds ?? 300)) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(webhookSignature(secret, Number(timestamp), body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given) ? { ok: true } : { ok: false, reason: 'mismatch' };
}

export class WebhookDispatcher {
  private readonly ready: Job[] = [];
  private readonly waiting = new Map<NodeJS.Timeout, Job>();
  private readonly inFlight = new Map<Job, AbortController>();
  private readonly counts = new Map<string, WebhookCounts>();
  private pending = 0;
  private closed = false;
  private drained: (() => void) | null = null;

  constructor(
    readonly settings: WebhookSettings,
    private readonly options: WebhookDispatcherOptions = {},
  ) {
    if (settings.urls.length === 0) throw new Error('webhooks: no URL');
    for (const u of settings.urls) {
      let parsed: URL;
      try {
        parsed = new URL(u);
      } catch {
        throw new Error(`webhooks: not a URL: ${JSON.stringify(u)}`);
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`webhooks: ${redactUrl(u)}: only http and https URLs`);
    }
    if (!settings.secret) throw new Error('webhooks: a signing secret is required');
    for (const u of settings.urls) this.counts.set(redactUrl(u), { delivered: 0, retries: 0, failed: 0, dropped: 0 });
  }

  /** Events accepted and not yet delivered, failed or dropped. */
  get queued(): number {
    return this.pending;
  }

  /** Counts per (redacted) URL since start. */
  stats(): ReadonlyMap<string, Readonly<WebhookCounts>> {
    return this.counts;
  }

  /**
   * Queues `data` for every URL. Returns at once; false when some copy was dropped (queue full
   * or dispatcher closed).
   */
  enqueue(event: WebhookEvent, data: unknown): boolean {
    const id = randomUUID();
    const body = JSON.stringify({ id, event, createdAt: new Date().toISOString(), data });
    let all = true;
    for (const url of this.settings.urls) {
      const job: Job = { url, safeUrl: redactUrl(url), event, id, body, attempt: 0 };
      if (this.closed || this.pending >= this.settings.maxQueue) {
        all = false;
        this.outcome(job, 'dropped', this.closed ? 'shutdown' : 'queue_full');
        continue;
      }
      this.pending++;
      this.ready.push(job);
    }
    this.pump();
    return all;
  }

  /**
   * Stops accepting events and waits up to `graceMs` for the queue to drain (retry delays are
   * cut short: waiting events are tried once more now); then aborts what is left and counts it
   * dropped.
   */
  async close(graceMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [t, job] of this.waiting) {
      clearTimeout(t);
      this.ready.push(job);
    }
    this.waiting.clear();
    this.pump();
    if (this.pending > 0) {
      const done = new Promise<void>((resolve) => (this.drained = resolve));
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([done, deadline]);
    }
    for (const job of this.ready.splice(0)) this.finish(job, 'dropped', 'shutdown');
    for (const [job, ctl] of this.inFlight) {
      ctl.abort();
      this.inFlight.delete(job);
      this.finish(job, 'dropped', 'shutdown');
    }
  }

  private pump(): void {
    while (this.inFlight.size < this.settings.concurrency && this.ready.length > 0) {
      const job = this.ready.shift()!;
      void this.attempt(job);
    }
  }

  private async attempt(job: Job): Promise<void> {
    job.attempt++;
    const ctl = new AbortController();
    this.inFlight.set(job, ctl);
    const timer = setTimeout(() => ctl.abort(new Error('timeout')), this.settings.timeoutMs);
    let reason: WebhookFailureReason | null = null;
    let status: number | undefined;
    let retryAfterMs: number | undefined;
    try {
      const timestamp = Math.floor(Date.now() / 1000);
      const res = await fetch(job.url, {
        method: 'POST',
        body: job.body,
        signal: ctl.signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'undertone-webhooks',
          'undertone-event': job.event,
          'undertone-delivery': job.id,
          'undertone-timestamp': String(timestamp),
          'undertone-signature': webhookSignature(this.settings.secret, timestamp, job.body),
        },
      });
      status = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (status >= 200 && status < 300) reason = null;
      else if (status === 429) reason = 'http_429';
      else if (status >= 500) reason = 'http_5xx';
      else reason = 'http_4xx';
      const ra = res.headers.get('retry-after');
      if (ra && /^\d+$/.test(ra)) retryAfterMs = Number(ra) * 1000;
    } catch {
      reason = ctl.signal.aborted ? 'timeout' : 'network';
    } finally {
      clearTimeout(timer);
    }
    if (!this.inFlight.has(job)) return; // aborted by close(), already counted
    this.inFlight.delete(job);
    if (reason === null) this.finish(job, 'delivered', undefined, status);
    // Closing: the try just made was the last one.
    else if (reason === 'http_4xx' || job.attempt >= this.settings.maxAttempts || this.closed) this.finish(job, 'failed', reason, status);
    else {
      this.outcome(job, 'retry', reason, status);
      const exp = Math.min(this.settings.maxBackoffMs, this.settings.backoffMs * 2 ** (job.attempt - 1));
      const delay = Math.min(this.settings.maxBackoffMs, Math.max(retryAfterMs ?? 0, exp / 2 + Math.random() * (exp / 2)));
      const t = setTimeout(() => {
        this.waiting.delete(t);
        this.ready.push(job);
        this.pump();
      }, delay);
      t.unref();
      this.waiting.set(t, job);
    }
    this.pump();
  }

  private finish(job: Job, outcome: 'delivered' | 'failed' | 'dropped', reason?: WebhookFailureReason, status?: number): void {
    this.pending--;
    this.outcome(job, outcome, reason, status);
    if (this.pending === 0 && this.drained) this.drained();
  }

  private outcome(job: Job, outcome: WebhookOutcome, reason?: WebhookFailureReason, status?: number): void {
    const c = this.counts.get(job.safeUrl)!;
    if (outcome === 'delivered') c.delivered++;
    else if (outcome === 'retry') c.retries++;
    else if (outcome === 'failed') c.failed++;
    else c.dropped++;
    // Never the body: ids, sizes and reasons only.
    const fields = { url: job.safeUrl, event: job.event, delivery: job.id, attempt: job.attempt, bytes: job.body.length, ...(reason && { reason }), ...(status !== undefined && { status }) };
    if (outcome === 'delivered') this.options.logger?.debug(fields, 'webhook delivered');
    else this.options.logger?.warn(fields, `webhook ${outcome}`);
    this.options.onOutcome?.({ url: job.safeUrl, event: job.event, outcome, attempt: job.attempt, ...(reason && { reason }), ...(status !== undefined && { status }) });
  }
}
