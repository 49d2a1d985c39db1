/** reconnect.ts retry(): the retry loop of connect and of a lost session, on fake timers (no network). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UndertoneError } from './errors.js';
import { reconnectPolicy, retry } from './reconnect.js';

const policy = reconnectPolicy({ retries: 3, initialDelayMs: 100, maxDelayMs: 1000, jitter: 0 })!;
const lost = new UndertoneError('connection_lost', 'lost');

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('retry', () => {
  it('waits the backoff before each attempt, or the server retryAfterMs when longer, and resolves with the first success', async () => {
    const at: number[] = [];
    const t0 = Date.now();
    const done = retry(policy, lost, async (n) => {
      at.push(Date.now() - t0);
      if (n === 1) throw new UndertoneError('overloaded', 'busy', 1013, 700);
      if (n === 2) throw lost;
      return 'ready';
    });
    await vi.runAllTimersAsync();
    expect(await done).toEqual({ value: 'ready', attempt: 3 });
    // 100 ms backoff; then max(200, 700 from the server); then 400.
    expect(at).toEqual([100, 800, 1200]);
  });

  it('rejects with the last error once the retries are spent, or at once on one that is not retryable', async () => {
    const spent = retry(policy, lost, () => Promise.reject(new UndertoneError('connection_failed', 'down')));
    const refused = retry(policy, lost, () => Promise.reject(new UndertoneError('unauthorized', 'no key')));
    const attempts = vi.fn(() => Promise.reject(lost));
    const none = retry({ ...policy, retries: 0 }, lost, attempts);
    const outcomes = Promise.allSettled([spent, refused, none]);
    await vi.runAllTimersAsync();
    const [a, b, c] = await outcomes;
    expect(a).toMatchObject({ status: 'rejected', reason: { code: 'connection_failed' } });
    expect(b).toMatchObject({ status: 'rejected', reason: { code: 'unauthorized' } });
    expect(c).toMatchObject({ status: 'rejected', reason: lost });
    expect(attempts).not.toHaveBeenCalled();
  });

  it('resolves undefined without trying when cancelled during a wait (the session was closed)', async () => {
    let closed = false;
    const attempt = vi.fn(async () => 'ready');
    const done = retry(policy, lost, attempt, () => closed);
    closed = true;
    await vi.runAllTimersAsync();
    expect(await done).toBeUndefined();
    expect(attempt).not.toHaveBeenCalled();
  });
});
