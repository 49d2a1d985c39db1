/**
 * A 2-minute soak in the default tests (`npm run bench:soak -- --minutes 30` is the long one):
 * sessions churn against `undertone serve` in a child process; every label arrives, no session
 * fails, and the server's RSS after warm-up grows by less than 10% (falling RSS is memory handed
 * back, not a leak: MAX_RSS_GROWTH).
 */
import { describe, expect, it } from 'vitest';
import { formatSoak, MAX_RSS_GROWTH, soak } from '../../test/soak.js';

describe('soak', () => {
  it('2 minutes of session churn: no label lost, RSS growth < 10%', async () => {
    const report = await soak({ minutes: 2, concurrency: 6, warmupSeconds: 60 });
    console.log(formatSoak(report, 2, 6));
    expect(report.sessions).toBeGreaterThan(50);
    expect(report.failedSessions).toBe(0);
    expect(report.labelsReceived).toBe(report.labelsExpected);
    expect(report.rssDrift).toBeLessThan(MAX_RSS_GROWTH);
    expect(report.serverExit).toBe(0);
  }, 200_000);
});
