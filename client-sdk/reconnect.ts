/** Reconnection policy: how many fresh sessions to try after a lost one, and the backoff between them. */

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
