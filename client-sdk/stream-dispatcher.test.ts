/**
 * stream-dispatcher.ts with a recording host and a real Attempt (no network): what each server
 * message and the close mean before and after `ready`.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EndMessage, ReadyMessage } from '../core/protocol/index.js';
import { Attempt } from './attempt.js';
import { UndertoneError } from './errors.js';
import type { SocketEnd } from './socket.js';
import { StreamDispatcher, type StreamHost } from './stream-dispatcher.js';

const READY: ReadyMessage = {
  type: 'ready',
  sessionId: 's1',
  model: { name: 'm', version: '1', band: 'wideband', labels: ['neutral', 'angry'] },
  windowMs: 1000,
  limits: { maxMessageBytes: 262144, idleTimeoutMs: 30000 },
};
const summary = {
  label: null,
  scores: null,
  voicedSeconds: 0,
  durationMs: 2000,
  segments: [],
  voicedShare: {},
  peakArousal: null,
  alerts: [],
  alertCounts: {},
};
const END_SHUTDOWN: EndMessage = { type: 'end', seconds: 2, reason: 'shutdown', summary };
const closed = (code: number, opened = true, reason = ''): SocketEnd => ({ code, reason, opened, error: opened ? '' : 'ECONNREFUSED' });

function setup(reconnects = false) {
  const calls: string[] = [];
  const causes: UndertoneError[] = [];
  const host: StreamHost = {
    reconnectsAfterShutdown: () => reconnects,
    ready: (m) => calls.push(`ready ${m.sessionId}`),
    emotion: (m) => calls.push(`emotion ${m.second}`),
    alert: (m) => calls.push(`alert ${m.rule}`),
    end: (m, final) => calls.push(`end ${m.reason} final=${final}`),
    closed: (info, cause) => {
      calls.push(`closed ${info.code}`);
      causes.push(cause);
    },
  };
  const abandoned = vi.fn();
  const attempt = new Attempt<ReadyMessage>(5000, () => new UndertoneError('timeout', 'no ready'), abandoned);
  const outcome = attempt.result.then(
    (ready) => ({ ready }),
    (error: UndertoneError) => ({ error }),
  );
  return { dispatcher: new StreamDispatcher('ws://h/v1/stream', attempt, host), calls, causes, outcome, abandoned };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('StreamDispatcher before ready', () => {
  it('ready answers the attempt and reaches the session', async () => {
    const t = setup();
    t.dispatcher.message(READY);
    expect(await t.outcome).toEqual({ ready: READY });
    expect(t.calls).toEqual(['ready s1']);
  });

  it('an error is the refusal, with its code, close code and retryAfterMs', async () => {
    const t = setup();
    t.dispatcher.message({ type: 'error', code: 'overloaded', message: 'full', retryAfterMs: 450 });
    t.dispatcher.close(closed(1013));
    const { error } = (await t.outcome) as { error: UndertoneError };
    expect(error).toMatchObject({
      code: 'overloaded',
      closeCode: 1013,
      retryAfterMs: 450,
      message: 'server refused the session: overloaded: full',
    });
    expect(t.calls).toEqual([]); // the session never started: nothing reaches it
  });

  it('a close before ready: connection_lost if the socket had opened, connection_failed if not', async () => {
    const lost = setup();
    lost.dispatcher.close(closed(1006));
    expect(await lost.outcome).toMatchObject({
      error: { code: 'connection_lost', message: 'connection to ws://h/v1/stream closed (1006) before ready' },
    });
    const failed = setup();
    failed.dispatcher.close(closed(1006, false));
    expect(await failed.outcome).toMatchObject({ error: { code: 'connection_failed', message: expect.stringMatching(/ECONNREFUSED/) } });
  });

  it('no ready in time: the attempt times out and is abandoned; a late ready is ignored', async () => {
    const t = setup();
    vi.advanceTimersByTime(5000);
    expect(await t.outcome).toMatchObject({ error: { code: 'timeout' } });
    expect(t.abandoned).toHaveBeenCalledOnce();
    t.dispatcher.message(READY);
    expect(t.calls).toEqual([]);
  });
});

describe('StreamDispatcher after ready', () => {
  it('emotion and end go to the session; a close after end names the loss for a session that has not ended', async () => {
    const t = setup();
    t.dispatcher.message(READY);
    t.dispatcher.message({ type: 'emotion', second: 1, startMs: 0, endMs: 1000, voiced: false });
    t.dispatcher.message({ type: 'end', seconds: 1, reason: 'stop', summary });
    t.dispatcher.close(closed(1000));
    expect(t.calls).toEqual(['ready s1', 'emotion 1', 'end stop final=true', 'closed 1000']);
    expect(t.causes[0]).toMatchObject({ code: 'connection_lost', message: 'connection to ws://h/v1/stream lost (1000) without end' });
  });

  it('an error after ready is the cause of the loss', async () => {
    const t = setup();
    t.dispatcher.message(READY);
    t.dispatcher.message({ type: 'error', code: 'slow_consumer', message: 'too much unsent' });
    t.dispatcher.close(closed(1008));
    expect(t.causes[0]).toMatchObject({
      code: 'slow_consumer',
      closeCode: 1008,
      message: 'server ended the session: slow_consumer: too much unsent',
    });
    expect(await t.outcome).toEqual({ ready: READY });
  });

  it('a shutdown end is final without reconnection, and the cause shutting_down (retryable) with it', () => {
    const once = setup(false);
    once.dispatcher.message(READY);
    once.dispatcher.message(END_SHUTDOWN);
    expect(once.calls).toContain('end shutdown final=true');
    const again = setup(true);
    again.dispatcher.message(READY);
    again.dispatcher.message(END_SHUTDOWN);
    again.dispatcher.close(closed(1001));
    expect(again.calls).toEqual(['ready s1', 'end shutdown final=false', 'closed 1001']);
    expect(again.causes[0]).toMatchObject({ code: 'shutting_down', retryable: true });
  });
});
