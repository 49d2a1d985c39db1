/**
 * The worker's half of the IPC bus gathers publishes into one message per PUBLISH_BATCH_MS and
 * keeps the channel in call order: any other message (open, query, unsubscribe, close) sends the
 * gathered events first. The channel here records what would go over IPC; the whole path through
 * a real primary is cluster-bus.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { type BusToPrimary, ClusterBus, PUBLISH_BATCH_MS } from './cluster-bus.js';
import type { SessionEvent, SessionInfo } from './session-event.js';

function recordingChannel() {
  const sent: BusToPrimary[] = [];
  let id = 0;
  return {
    sent,
    channel: {
      send: (m: BusToPrimary, done?: () => void) => {
        sent.push(m);
        done?.();
      },
      ask: async (m: BusToPrimary) => {
        sent.push(m);
        return [];
      },
      nextId: () => id++,
    },
  };
}

const info = (sessionId: string): SessionInfo => ({
  sessionId,
  source: 'stream',
  encoding: 'pcm_s16le',
  model: { name: 'undertone-emotion-cnn', version: 'test', band: 'wideband' },
  startedAt: '2026-12-03T00:00:00.000Z',
});
const label = (sessionId: string, seq: number): SessionEvent => ({
  type: 'emotion',
  sessionId,
  seq,
  second: seq - 1,
  startMs: (seq - 1) * 1000,
  endMs: seq * 1000,
  voiced: true,
  label: 'neutral',
  scores: { neutral: 1 },
});
const kinds = (sent: BusToPrimary[]) => sent.map((m) => (m.t === 'undertone:bus-publish' ? `publish:${m.events.map((e) => e.seq).join(',')}` : m.t));

describe('ClusterBus publishes', () => {
  it(`sends the events of ${PUBLISH_BATCH_MS} ms as one message, in order`, async () => {
    const { sent, channel } = recordingChannel();
    const bus = new ClusterBus(channel);
    bus.open(info('a'));
    for (let seq = 1; seq <= 5; seq++) bus.publish(label('a', seq));
    expect(kinds(sent)).toEqual(['undertone:bus-open']);
    await new Promise((r) => setTimeout(r, PUBLISH_BATCH_MS + 20));
    expect(kinds(sent)).toEqual(['undertone:bus-open', 'publish:1,2,3,4,5']);
    bus.publish(label('a', 6));
    await new Promise((r) => setTimeout(r, PUBLISH_BATCH_MS + 20));
    expect(kinds(sent)).toEqual(['undertone:bus-open', 'publish:1,2,3,4,5', 'publish:6']);
  });

  it('sends the gathered events before any other message, and on close', async () => {
    const { sent, channel } = recordingChannel();
    const bus = new ClusterBus(channel, 60_000);
    bus.publish(label('a', 1));
    bus.open(info('b'));
    bus.publish(label('b', 1));
    bus.publish(label('a', 2));
    await bus.sessions();
    bus.publish(label('b', 2));
    await bus.close();
    expect(kinds(sent)).toEqual(['publish:1', 'undertone:bus-open', 'publish:1,2', 'undertone:bus-query', 'publish:2']);
  });

  it('with batchMs 0 sends each event at once', () => {
    const { sent, channel } = recordingChannel();
    const bus = new ClusterBus(channel, 0);
    bus.publish(label('a', 1));
    bus.publish(label('a', 2));
    expect(kinds(sent)).toEqual(['publish:1', 'publish:2']);
  });
});
