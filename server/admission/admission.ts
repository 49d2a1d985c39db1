/**
 * Whether a new audio connection (/v1/stream, /v1/twilio) may open, decided from the upgrade
 * request alone, before any audio is read. Guard clauses in a fixed order, the first that refuses
 * wins: draining, model not loaded, access (key, origin), measured saturation of this process
 * (inference queue, event-loop lag), measured latency headroom and admission pace (headroom.ts),
 * then the optional session ceiling (in cluster mode shared via the primary) and the API key's
 * quota. Refusing on measured latency rather than a fixed count is what keeps the admitted
 * sessions' latency whatever the machine (bench/overload.ts).
 */
import type { IncomingMessage } from 'node:http';
import { ProtocolError } from '../../core/protocol/index.js';
import type { ServerConfig } from '../process/config.js';
import type { Logger } from '../process/logger.js';
import type { ServerMetrics } from '../process/metrics.js';
import { type AccessControl, presentedKey } from './access.js';
import type { HeadroomGate } from './headroom.js';
import { type KeyQuota, keyId } from './key-quota.js';
import { LastTwoSeconds } from './recent.js';

/** Accounting of live sessions against maxSessions (in cluster mode, shared via the primary). */
export interface SessionSlots {
  acquire(): boolean | Promise<boolean>;
  release(): void;
}

export class LocalSlots implements SessionSlots {
  private used = 0;
  /** @param max the ceiling; 0 = none (only counted). */
  constructor(private readonly max: number) {}
  acquire(): boolean {
    if (this.max > 0 && this.used >= this.max) return false;
    this.used++;
    return true;
  }
  release(): void {
    this.used = Math.max(0, this.used - 1);
  }
}

export interface AdmissionParts {
  readonly config: Pick<ServerConfig, 'maxSessions' | 'maxQueuedWindows' | 'maxEventLoopLagMs' | 'retryAfterMs'>;
  readonly access: AccessControl;
  readonly slots: SessionSlots;
  /** Live connections per API key (--max-sessions-per-key). */
  readonly keyQuota: KeyQuota;
  /** Measured latency headroom of this process (--latency-target-ms). */
  readonly headroom: HeadroomGate;
  /** Open audio connections of this process. */
  liveConnections(): number;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /** The server is shutting down. */
  draining(): boolean;
  /** Every model is loaded. */
  ready(): boolean;
  /** Voiced windows waiting for inference, over all models. */
  queuedWindows(): number;
}

/** An admitted connection's hold on a session slot (and its key's quota); `release` gives them back, once. */
export class AdmissionTicket {
  private released = false;
  constructor(private readonly giveBack: () => void) {}
  release(): void {
    if (this.released) return;
    this.released = true;
    this.giveBack();
  }
}

/** Refusals a second that add one base retry interval to the hint. */
export const REFUSALS_PER_STEP = 25;
/** The most the hint is stretched. */
export const MAX_BACKOFF = 16;

export class Admission {
  private warnedKeyParam = false;
  /** Overload refusals counted per second: the retry hint stretches with them. */
  private readonly refusals = new LastTwoSeconds('sum');

  constructor(private readonly parts: AdmissionParts) {}

  /**
   * The refusal for this request, or its ticket when it is admitted: then it holds a session slot
   * (and one of its API key's, with --max-sessions-per-key), which the caller gives back with
   * `ticket.release()` when the connection ends (or never opens). `requireKey` is false for
   * Twilio, whose key is checked (and counted) in its start message.
   */
  async admit(req: IncomingMessage, { requireKey }: { requireKey: boolean }): Promise<ProtocolError | AdmissionTicket> {
    const { config, metrics } = this.parts;
    if (this.parts.draining()) return shuttingDown();
    if (!this.parts.ready()) return new ProtocolError('not_ready', 'model is still loading; retry shortly', this.retryAfterMs());
    const access = this.parts.access.check(req, { requireKey });
    if (!access.ok) return new ProtocolError(access.code, access.reason);
    if (access.source === 'api_key') this.warnDeprecatedKeyParam();
    const saturated = this.saturation() ?? this.parts.headroom.check(this.parts.liveConnections());
    if (saturated) {
      metrics.shed.inc({ limit: saturated.limit });
      return new ProtocolError('overloaded', `${saturated.reason}; retry later`, this.backOffMs());
    }
    if (!(await this.parts.slots.acquire())) {
      metrics.shed.inc({ limit: 'sessions' });
      return new ProtocolError('overloaded', `server is at its ceiling of ${config.maxSessions} sessions; retry later`, this.backOffMs());
    }
    const key = requireKey ? presentedKey(req)?.key : undefined;
    const id = key !== undefined && this.parts.keyQuota.max > 0 ? keyId(key) : undefined;
    if (id !== undefined && !(await this.parts.keyQuota.claim(id))) {
      this.parts.slots.release();
      metrics.shed.inc({ limit: 'key' });
      return keySessionLimit(this.parts.keyQuota.max, this.retryAfterMs());
    }
    return new AdmissionTicket(() => {
      this.parts.slots.release();
      if (id !== undefined) this.parts.keyQuota.release(id);
    });
  }

  /** Too many windows waiting for inference, or an event loop too late to keep the live sessions' labels on time. */
  private saturation(): { limit: 'queue' | 'lag'; reason: string } | undefined {
    const { maxQueuedWindows, maxEventLoopLagMs } = this.parts.config;
    const queued = this.parts.queuedWindows();
    if (maxQueuedWindows > 0 && queued >= maxQueuedWindows) return { limit: 'queue', reason: `inference queue is full (${queued} windows waiting)` };
    const lag = this.parts.metrics.recentLagMs();
    if (maxEventLoopLagMs > 0 && lag >= maxEventLoopLagMs) return { limit: 'lag', reason: `server is saturated (event-loop lag ${Math.round(lag)} ms)` };
    return undefined;
  }

  /**
   * The retry hint of an `overloaded` refusal: the base, stretched by the refusals of the last
   * second (x(1 + refusals / REFUSALS_PER_STEP), at most MAX_BACKOFF times). Every refusal costs
   * a handshake, an error message and a close: measured at 3x overload, ~300 refusals a second
   * kept the admitted sessions' p99 at ~200 ms, and it fell to 86 ms once they stopped. Clients
   * that honour the hint come back less often the more of them are turned away.
   */
  private backOffMs(): number {
    const stretch = Math.min(MAX_BACKOFF, 1 + this.refusals.worst() / REFUSALS_PER_STEP);
    this.refusals.add(1);
    return Math.round(this.retryAfterMs() * stretch);
  }

  /** The retry hint: the configured base, jittered up to 1.5x so shed clients do not return in one wave. */
  private retryAfterMs(): number {
    return Math.round(this.parts.config.retryAfterMs * (1 + Math.random() * 0.5));
  }

  private warnDeprecatedKeyParam(): void {
    if (this.warnedKeyParam) return;
    this.warnedKeyParam = true;
    this.parts.logger.warn('a client sent its key as ?api_key= (deprecated): use ?token=, the undertone.bearer subprotocol or Authorization: Bearer');
  }
}

/** The refusal of a connection whose API key holds its limit of live connections. */
export function keySessionLimit(max: number, retryAfterMs: number): ProtocolError {
  return new ProtocolError('key_session_limit', `this API key already has its limit of ${max} live audio connections; retry when one ends`, retryAfterMs);
}

/** The refusal of a connection that arrives while the server drains. */
export function shuttingDown(): ProtocolError {
  return new ProtocolError('shutting_down', 'server is shutting down');
}
