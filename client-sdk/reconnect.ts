/** Reconnection policy: how many fresh sessions to try after a lost one, and the backoff between them. */
import type { UndertoneError } from './errors.js';

export interface ReconnectOptions {
  /** Attempts after a loss before giving up (default 5). */
  readonly retries?: number;
  /** Delay before the first attempt (default 250 ms); doubles each attempt. */
  readonly initialDelayMs?: number;
  /** Cap of the delay (default 5000 ms). */
  readonly maxDelayMs?: number;
  /** Random spread of each delay, 0-1 (default 0.2: +-20 %), so many clients do not retry in step. */
  readonly jitter?: number;
}

export interface ReconnectPolicy {
  readonly retries: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly jitter: number;
}

export function reconnectPolicy(option: boolean | ReconnectOptions | undefined): ReconnectPolicy | undefined {
  if (!option) return undefined;
  const o = option === true ? {} : option;
  return { retries: o.retries ?? 5, initialDelayMs: o.initialDelayMs ?? 250, maxDelayMs: o.maxDelayMs ?? 5000, jitter: o.jitter ?? 0.2 };
}

/** Delay before attempt `attempt` (1-based): exponential, capped, jittered. */
export function backoffDelay(policy: ReconnectPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  return Math.max(0, Math.round(base * (1 + policy.jitter * (2 * random() - 1))));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Retries after `cause`: up to `policy.retries` runs of `attempt` (given its 1-based number), each
 * after the backoff delay or the server's `retryAfterMs` (already jittered), whichever is longer:
 * the server knows when it expects room. Resolves with the first success, or undefined when
 * `cancelled()` turns true during a wait; rejects with the last error once the retries are spent
 * or an error is not retryable.
 */
export async function retry<T>(
  policy: ReconnectPolicy,
  cause: UndertoneError,
  attempt: (n: number) => Promise<T>,
  cancelled: () => boolean = () => false,
): Promise<{ readonly value: T; readonly attempt: number } | undefined> {
  let last = cause;
  for (let n = 1; n <= policy.retries; n++) {
    await sleep(Math.max(backoffDelay(policy, n), last.retryAfterMs ?? 0));
    if (cancelled()) return undefined;
    try {
      return { value: await attempt(n), attempt: n };
    } catch (e) {
      last = e as UndertoneError;
      if (!last.retryable) break;
    }
  }
  throw last;
}
