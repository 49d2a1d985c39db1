/**
 * What a Twilio call costs the server: N real-time Media Streams calls (/v1/twilio: 20 ms of
 * base64 mu-law per track in a JSON message, the narrowband model, one session per track) and,
 * in the same run as the baseline, as many /v1/stream sessions of PCM 16 kHz in 20 ms binary
 * messages (the wideband model), each on a fresh server, alternated. Prints the server's CPU per
 * track-second (process tree, fixed costs included), its label latency and the labels counted.
 *
 *   npm run bench:twilio [-- --calls 100 --tracks 2 --seconds 30 --workers N --repeat 2]
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { integer, oneOf } from '../server/process/parsers.js';
import { toMulaw8k } from '../test/clients/twilio-client.js';
import { startServer } from '../test/server-process.js';
import { MEASURE_SERVER_FLAGS, parseOrExit } from './lib/args.js';
import { AudioPool, corpusSpeech } from './lib/audio.js';
import { formatResult, runLoad } from './lib/load.js';
import { announceConditions } from './lib/machine.js';
import { formatTwilioResult, runTwilioLoad } from './lib/twilio-load.js';

const { values } = parseOrExit('bench:twilio', () =>
  parseArgs({
    options: {
      calls: { type: 'string', default: '100' },
      tracks: { type: 'string', default: '2' },
      seconds: { type: 'string', default: '30' },
      workers: { type: 'string' },
      repeat: { type: 'string', default: '1' },
    },
  }),
);
const calls = parseOrExit('bench:twilio', () => integer(1, 100_000)(String(values.calls), '--calls'));
const tracks = parseOrExit('bench:twilio', () => Number(oneOf(['1', '2'])(String(values.tracks), '--tracks')) as 1 | 2);
const seconds = parseOrExit('bench:twilio', () => integer(1, 3600)(String(values.seconds), '--seconds'));
const workers = parseOrExit('bench:twilio', () => (values.workers === undefined ? availableParallelism() : integer(1, 256)(values.workers, '--workers')));
const repeat = parseOrExit('bench:twilio', () => integer(1, 20)(String(values.repeat), '--repeat'));

announceConditions();
const speech = await corpusSpeech(seconds + 60);
const mulaw = toMulaw8k(speech);
const pool = AudioPool.build(speech, 'pcm_s16le', 20);
const sessions = calls * tracks;
console.log(`${calls} Twilio calls x ${tracks} track(s) against ${sessions} PCM 16 kHz /v1/stream sessions, ${seconds} s, ${workers} workers; ${repeat} round(s), alternated`);
const perTrack: Record<'twilio' | 'pcm', number[]> = { twilio: [], pcm: [] };
for (let round = 1; round <= repeat; round++) {
  for (const kind of ['twilio', 'pcm'] as const) {
    const server = await startServer(['--workers', String(workers), ...MEASURE_SERVER_FLAGS], { showErrors: true });
    try {
      if (kind === 'twilio') {
        await runTwilioLoad(server, mulaw, { calls: 2, seconds: 3, tracks }); // warm-up: JIT, first calls
        const r = await runTwilioLoad(server, mulaw, { calls, seconds, tracks });
        console.log(`\nround ${round}, Twilio:\n${formatTwilioResult(r)}`);
        perTrack.twilio.push(r.cpuMsPerTrackSecond);
      } else {
        await runLoad(server, pool, { streams: 4, seconds: 3 });
        const r = await runLoad(server, pool, { streams: sessions, seconds });
        console.log(`\nround ${round}, PCM /v1/stream:\n${formatResult(r)}`);
        perTrack.pcm.push(r.cpuMsPerStreamSecond);
      }
    } finally {
      await server.stop();
    }
  }
}
const show = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' / ');
console.log(`\nserver CPU per track-second (process tree, fixed costs included), ms, by round:`);
console.log(`  Twilio (narrowband, JSON + base64 mu-law)   ${show(perTrack.twilio)}`);
console.log(`  PCM 16 kHz /v1/stream (wideband, binary)    ${show(perTrack.pcm)}`);
