/**
 * Admission's guard clauses with no network: a fake request (headers only), the real
 * AccessControl and ServerMetrics, and slots, readiness, draining and queue depth as plain values.
 * The first refusal wins, in the order draining, not ready, access, saturation, slots; only an
 * admitted request holds a slot. The same refusals end to end: saturation.test.ts, access.test.ts.
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../process/logger.js';
import { ServerMetrics } from '../process/metrics.js';
import { AccessControl } from './access.js';
import { ProtocolError } from '../../core/protocol/index.js';
import { Admission, AdmissionTicket, MAX_BACKOFF, REFUSALS_PER_STEP, LocalSlots } from './admission.js';
import { HeadroomGate, RecentLatency } from './headroom.js';
import { KeyCounts } from './key-quota.js';

/** The refusal, or undefined when admitted (a ticket). */
function refusal(result: ProtocolError | AdmissionTicket): ProtocolError | undefined {
  return result instanceof ProtocolError ? result : undefined;
}

function request(headers: Record<string, string> = {}, url = '/v1/stream'): IncomingMessage {
  return { headers, url } as unknown as IncomingMessage;
}

function setUp(state: { draining?: boolean; ready?: boolean; queued?: number; maxSessions?: number; apiKeys?: string[] } = {}) {
  const metrics = new ServerMetrics();
  const slots = new LocalSlots(state.maxSessions ?? 2);
  const admission = new Admission({
    config: { maxSessions: state.maxSessions ?? 2, maxQueuedWindows: 10, maxEventLoopLagMs: 0, retryAfterMs: 1000 },
    access: new AccessControl({ apiKeys: state.apiKeys ?? [], allowedOrigins: [] }),
    slots,
    keyQuota: new KeyCounts(0),
    headroom: new HeadroomGate({ labels: new RecentLatency(), loopLag: new RecentLatency() }, { targetMs: 0 }),
    liveConnections: () => 0,
    metrics,
    logger: silentLogger(),
    draining: () => state.draining ?? false,
    ready: () => state.ready ?? true,
    queuedWindows: () => state.queued ?? 0,
  });
  return { admission, slots, metrics };
}

describe('Admission', () => {
  it('admits and holds a slot until released; at the session limit refuses overloaded with a retry hint and counts the shed', async () => {
    const { admission, metrics } = setUp({ maxSessions: 1 });
    const ticket = await admission.admit(request(), { requireKey: true });
    expect(ticket).toBeInstanceOf(AdmissionTicket);
    const full = refusal(await admission.admit(request(), { requireKey: true }));
    expect(full).toMatchObject({ code: 'overloaded', closeCode: 1013 });
    expect(full!.retryAfterMs).toBeGreaterThanOrEqual(1000);
    expect(full!.retryAfterMs).toBeLessThanOrEqual(1500);
    expect((await metrics.shed.get()).values).toEqual([expect.objectContaining({ labels: { limit: 'sessions' }, value: 1 })]);
    (ticket as AdmissionTicket).release();
    expect(await admission.admit(request(), { requireKey: true })).toBeInstanceOf(AdmissionTicket);
  });

  it(`stretches the retry hint with the refusals of the last second (x(1 + n / ${REFUSALS_PER_STEP}), at most x${MAX_BACKOFF})`, async () => {
    const { admission } = setUp({ maxSessions: 1 });
    await admission.admit(request(), { requireKey: true });
    const hints: number[] = [];
    for (let i = 0; i < 500; i++) hints.push(refusal(await admission.admit(request(), { requireKey: true }))!.retryAfterMs!);
    expect(hints[0]).toBeLessThanOrEqual(1500);
    // 100 refusals in: x5 (5000-7500 ms); at least x3 even if the clock crossed a second half-way
    // (the previous second's count then stands in for this one's).
    expect(hints[100]).toBeGreaterThanOrEqual(3000);
    expect(Math.max(...hints)).toBeLessThanOrEqual(MAX_BACKOFF * 1500);
  });

  it('refuses in order: draining, then not ready, then access, then a full inference queue, before taking a slot', async () => {
    const everything = { draining: true, ready: false, apiKeys: ['k'], queued: 10 };
    expect(refusal(await setUp(everything).admission.admit(request(), { requireKey: true }))?.code).toBe('shutting_down');
    expect(refusal(await setUp({ ...everything, draining: false }).admission.admit(request(), { requireKey: true }))?.code).toBe('not_ready');
    expect(refusal(await setUp({ ...everything, draining: false, ready: true }).admission.admit(request(), { requireKey: true }))?.code).toBe('unauthorized');
    const queueFull = setUp({ queued: 10, maxSessions: 1 });
    expect(await queueFull.admission.admit(request({ authorization: 'Bearer k' }), { requireKey: true })).toMatchObject({ code: 'overloaded', message: expect.stringMatching(/inference queue is full/) });
    // The refusal took no slot: the only one is still free.
    expect(queueFull.slots.acquire()).toBe(true);
  });

  it('checks the key only when the transport requires it (Twilio sends it in its start message)', async () => {
    const { admission } = setUp({ apiKeys: ['k'] });
    expect(refusal(await admission.admit(request(), { requireKey: true }))?.code).toBe('unauthorized');
    expect(await admission.admit(request(), { requireKey: false })).toBeInstanceOf(AdmissionTicket);
    expect(await admission.admit(request({ authorization: 'Bearer k' }), { requireKey: true })).toBeInstanceOf(AdmissionTicket);
  });
});
