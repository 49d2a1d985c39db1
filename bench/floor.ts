/**
 * What the transport alone costs: the same load against `undertone serve` and against the
 * transport floor (bench/lib/floor-server.ts: the same ws settings and cluster layout, one label
 * a second, no audio work), in one run, alternated. The difference is what decoding, features,
 * inference, supervision, metrics and logging add per stream-second; the floor is what no change
 * to them can remove (kernel, node, ws at this message size). `--floor ws,uws` also runs the floor
 * on uWebSockets.js (bench/lib/floor-server-uws.ts; needs `npm install --no-save uws-pack@20.0.8`):
 * what a native WebSocket server would save.
 *
 *   npm run bench:floor [-- --streams 200 --seconds 30 --frame-ms 20|100 --workers N --repeat 2 --floor ws[,uws]]
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { integer } from '../server/process/parsers.js';
import { startServer } from '../test/server-process.js';
import { LOAD_OPTIONS, MEASURE_SERVER_FLAGS, parseBenchArgs, parseOrExit } from './lib/args.js';
import { AudioPool, corpusSpeech } from './lib/audio.js';
import { type FloorTransport, floorUnavailable, startFloorServer } from './lib/floor-process.js';
import { formatResult, type LoadResult, runLoad } from './lib/load.js';
import { announceConditions } from './lib/machine.js';

const { values } = parseOrExit('bench:floor', () =>
  parseArgs({ options: { ...LOAD_OPTIONS, repeat: { type: 'string', default: '2' }, floor: { type: 'string', default: 'ws' } } }),
);
const args = parseOrExit('bench:floor', () => {
  if (values.encoding !== 'pcm_s16le') throw new Error('--encoding: the floor server counts PCM bytes; only pcm_s16le');
  return parseBenchArgs(values, { streams: 200, seconds: 30 });
});
const workers = parseOrExit('bench:floor', () => (values.workers === undefined ? availableParallelism() : integer(1, 256)(values.workers, '--workers')));
const repeat = parseOrExit('bench:floor', () => integer(1, 20)(String(values.repeat), '--repeat'));
const floors = parseOrExit('bench:floor', () => {
  const list = String(values.floor).split(',');
  for (const t of list) {
    if (t !== 'ws' && t !== 'uws') throw new Error(`--floor: expected ws, uws or ws,uws (got "${values.floor}")`);
    const missing = floorUnavailable(t);
    if (missing) throw new Error(`--floor ${t}: ${missing}`);
  }
  return [...new Set(list)] as FloorTransport[];
});
const floorName = (t: FloorTransport) => `transport floor (${t})`;

announceConditions();
const speech = await corpusSpeech(args.seconds + 60);
const pool = AudioPool.build(speech, 'pcm_s16le', args.frameMs);
console.log(`${args.streams} streams x ${args.seconds} s, pcm_s16le in ${args.frameMs} ms messages, ${workers} workers each; ${repeat} round(s), alternated`);
const results: { name: string; r: LoadResult }[] = [];
for (let round = 1; round <= repeat; round++) {
  for (const kind of ['undertone serve', ...floors] as const) {
    const name = kind === 'undertone serve' ? kind : floorName(kind);
    const server =
      kind === 'undertone serve'
        ? await startServer(['--workers', String(workers), ...MEASURE_SERVER_FLAGS], { showErrors: true })
        : await startFloorServer(workers, kind);
    try {
      await runLoad(server, pool, { streams: 4, seconds: 3 }); // warm-up: JIT, first calls
      const r = await runLoad(server, pool, { streams: args.streams, seconds: args.seconds });
      console.log(`\nround ${round}, ${name}:\n${formatResult(r)}`);
      results.push({ name, r });
    } finally {
      await server.stop();
    }
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2;
};
const ms = (name: string) => results.filter((x) => x.name === name).map((x) => x.r.cpuMsPerStreamSecond);
const ours = ms('undertone serve');
console.log(`\nserver CPU per stream-second, fixed costs included (TOTAL), ms, by round:`);
const row = (name: string, xs: number[]) => console.log(`  ${name.padEnd(24)}${xs.map((x) => x.toFixed(2)).join(' / ')}  (median ${median(xs).toFixed(2)})`);
row('undertone serve', ours);
for (const t of floors) row(floorName(t), ms(floorName(t)));
for (const t of floors) {
  const floor = median(ms(floorName(t)));
  console.log(`  over the ${t} floor the audio path adds ${(median(ours) - floor).toFixed(2)} ms per stream-second; that floor is ${((100 * floor) / median(ours)).toFixed(0)} % of the server's`);
}
