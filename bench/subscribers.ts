/**
 * What subscribers cost the audio: the same real-time load (N streams of real corpus speech, one
 * server process) run without subscribers and then with M WebSocket subscribers on every session
 * (each joins as soon as the session is listed, so it starts from the history), side by side:
 * the senders' label latency, server CPU, and for the subscribers the messages received against
 * those expected (every label + end, in seq order, none twice).
 *
 *   npm run bench:subscribers -- [--streams 20] [--seconds 20] [--subscribers 5]
 */
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { parseSubscriptionMessage } from '../core/protocol/index.js';
import { parseBenchArgs, parseOrExit } from './lib/args.js';
import { AudioPool, corpusSpeech } from './lib/audio.js';
import { formatResult, runLoad } from './lib/load.js';
import { announceConditions } from './lib/machine.js';
import { startServer } from '../test/server-process.js';

const { values } = parseOrExit('bench:subscribers', () =>
  parseArgs({
    options: {
      streams: { type: 'string', default: '' },
      seconds: { type: 'string', default: '' },
      subscribers: { type: 'string', default: '5' },
      help: { type: 'boolean', short: 'h' },
    },
  }),
);
if (values.help) {
  console.log('usage: npm run bench:subscribers -- [--streams N] [--seconds S] [--subscribers M]');
  process.exit(0);
}
const args = parseOrExit('bench:subscribers', () => parseBenchArgs(values, { streams: 20, seconds: 20 }));
const perSession = parseOrExit('bench:subscribers', () => {
  const n = Number(values.subscribers);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--subscribers must be a positive integer, got ${JSON.stringify(values.subscribers)}`);
  return n;
});

interface Follower {
  seqs: number[];
  ended: boolean;
  closed: Promise<void>;
}

/** Subscribes `perSession` WebSocket clients to every session as it appears in the listing. */
function follow(http: string): { stop(): Promise<Follower[]> } {
  const seen = new Set<string>();
  const followers: Follower[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const { sessions } = (await (await fetch(`${http}/v1/sessions`)).json()) as { sessions: { sessionId: string }[] };
      for (const s of sessions) {
        if (seen.has(s.sessionId)) continue;
        seen.add(s.sessionId);
        for (let i = 0; i < perSession; i++) {
          const ws = new WebSocket(`${http.replace('http', 'ws')}/v1/sessions/${s.sessionId}/events`, { perMessageDeflate: false });
          const f: Follower = { seqs: [], ended: false, closed: new Promise((r) => ws.on('close', () => r())) };
          ws.on('error', () => undefined);
          ws.on('message', (data) => {
            const m = parseSubscriptionMessage(data.toString());
            if (m.type === 'emotion' || m.type === 'end') f.seqs.push(m.seq);
            if (m.type === 'end') f.ended = true;
          });
          followers.push(f);
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      await Promise.all(followers.map((f) => Promise.race([f.closed, new Promise((r) => setTimeout(r, 5000))])));
      return followers;
    },
  };
}

announceConditions();
const speech = await corpusSpeech(args.seconds + 60);
const pool = AudioPool.build(speech, 'pcm_s16le', args.frameMs);
const server = await startServer(['--workers', '1', '--max-sessions', '100000', '--idle-timeout', '120'], { showErrors: true });
console.log(`server: node dist/cli/main.js serve --workers 1 (pid ${server.pid}, port ${server.port})`);
try {
  await runLoad(server, pool, { streams: 4, seconds: 3 }); // warm-up, not reported
  console.log(`\n== without subscribers`);
  console.log(formatResult(await runLoad(server, pool, { streams: args.streams, seconds: args.seconds })));
  console.log(`\n== with ${perSession} WebSocket subscribers per session (${args.streams * perSession} subscribers)`);
  const followers = follow(server.http);
  const withSubs = await runLoad(server, pool, { streams: args.streams, seconds: args.seconds });
  const got = await followers.stop();
  console.log(formatResult(withSubs));
  const inOrder = got.filter((f) => f.seqs.every((s, i) => s === i + 1)).length;
  const messages = got.reduce((n, f) => n + f.seqs.length, 0);
  const expected = (withSubs.received + withSubs.streams) * perSession;
  console.log(
    `  subscribers: ${got.length}, got end ${got.filter((f) => f.ended).length}, seq 1..n without gap or repeat ${inOrder}; messages ${messages} (labels + ends the senders got x ${perSession} = ${expected})`,
  );
} finally {
  await server.stop();
}
