/**
 * The batched engine against the naive baseline under the same load in one run: the same
 * generator, corpus audio and capacity ramp against a server started with `--engine batched`,
 * then one started with `--engine naive`; prints the streams each held at p99 <= 100 ms and the
 * ratio (the goal is >= 5x).
 *
 *   npm run bench:compare [-- --seconds 10 --streams 10 --encoding pcm_s16le --frame-ms 20 --workers N]
 */
import { parseArgs } from 'node:util';
import { AudioPool, type BenchEncoding, corpusSpeech } from './lib/audio.js';
import { parseBenchArgs } from './lib/args.js';
import { runLoad } from './lib/load.js';
import { announceConditions, loadAverage } from './lib/machine.js';
import { type RampResult, ramp } from './lib/ramp.js';
import { startServer } from './lib/server-process.js';

const { values } = parseArgs({
  options: {
    streams: { type: 'string' },
    seconds: { type: 'string' },
    encoding: { type: 'string', default: 'pcm_s16le' },
    'frame-ms': { type: 'string', default: '20' },
    p99: { type: 'string', default: '100' },
    workers: { type: 'string' },
  },
});
const args = parseBenchArgs(values, { streams: 10, seconds: 10 });

announceConditions();
const pool = AudioPool.build(await corpusSpeech(args.seconds + 60), values.encoding as BenchEncoding, args.frameMs);
const results: Record<string, RampResult & { load: string }> = {};
for (const engine of ['batched', 'naive'] as const) {
  const flags = ['--engine', engine, '--max-sessions', '100000', '--idle-timeout', '120', ...(values.workers ? ['--workers', values.workers] : [])];
  const server = await startServer({ args: flags });
  console.log(`\n=== engine ${engine}: node dist/cli/main.js serve ${flags.join(' ')} (load average ${loadAverage()})`);
  try {
    await runLoad(server, pool, { streams: 4, seconds: 3 }); // warm-up
    results[engine] = { ...(await ramp(server, pool, { start: args.streams, seconds: args.seconds, p99BoundMs: args.p99 })), load: loadAverage() };
  } finally {
    await server.stop();
  }
}
const b = results.batched;
const n = results.naive;
const p99 = (r: RampResult): string => (r.best ? `${r.best.latency.p99.toFixed(1)} ms` : '-');
console.log(`\nsummary (${values.encoding}, ${args.frameMs} ms messages, ${args.seconds} s per step, held = p99 <= ${args.p99} ms with every label):`);
/** Server CPU per stream-second over every step of a ramp (ms): total CPU / total stream-seconds. */
const cpuPerStream = (r: RampResult): number => {
  const cpu = r.steps.reduce((s, x) => s + x.cpuMsPerStreamSecond * x.streams * x.seconds, 0);
  return cpu / r.steps.reduce((s, x) => s + x.streams * x.seconds, 0);
};
console.log('engine     streams held   first failed   p99 at held   server CPU ms per stream-second   load avg after');
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name.padEnd(10)} ${String(r.held).padStart(12)}   ${String(r.failed ?? '-').padStart(12)}   ${p99(r).padStart(11)}   ${cpuPerStream(r).toFixed(2).padStart(31)}   ${r.load}`,
  );
}
console.log(`ratio batched / naive, streams held at p99 <= ${args.p99} ms: ${n.held > 0 ? (b.held / n.held).toFixed(2) : 'n/a (naive held no step)'}x (goal >= 5x)`);
console.log(`ratio naive / batched, server CPU per stream (contention-robust): ${(cpuPerStream(n) / cpuPerStream(b)).toFixed(2)}x`);
