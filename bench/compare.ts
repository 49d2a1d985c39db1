/**
 * The batched engine against the naive baseline under the same load in one run: the same
 * generator, corpus audio and capacity ramp against a server started with `--engine batched`,
 * then one started with `--engine naive`; prints the streams each held at p99 <= 100 ms and the
 * ratio (the goal is >= 5x).
 *
 *   npm run bench:compare [-- --seconds 10 --streams 10 --encoding pcm_s16le --frame-ms 20 --workers N --cpu-steps 20,40,80]
 *
 * Besides the knee it fits server CPU against streams over all runs of each engine (ramp steps
 * plus the fixed --cpu-steps loads): the CPU one more stream costs, which a busy shared machine
 * distorts less than it distorts latency.
 */
import { parseArgs } from 'node:util';
import { AudioPool, type BenchEncoding, corpusSpeech } from './lib/audio.js';
import { LOAD_OPTIONS, parseBenchArgs, parseOrExit } from './lib/args.js';
import { formatResult, marginalCpu, runLoad } from './lib/load.js';
import { announceConditions, loadAverage } from './lib/machine.js';
import { type RampResult, ramp } from './lib/ramp.js';
import { startServer } from '../test/server-process.js';
import { integers } from '../server/process/parsers.js';

const { values } = parseOrExit('bench:compare', () => parseArgs({
  options: {
    ...LOAD_OPTIONS,
    'cpu-steps': { type: 'string', default: '20,40,80' },
  },
}));
// Fixed loads run for both engines after the ramps, whatever latency they reach: with the ramps'
// steps they give the CPU fit enough spread even when a busy machine ends the ramps early.
const cpuSteps = parseOrExit('bench:compare', () => integers(1, 100_000)(String(values['cpu-steps']), '--cpu-steps'));
const args = parseOrExit('bench:compare', () => parseBenchArgs(values, { streams: 10, seconds: 10 }));

announceConditions();
const pool = AudioPool.build(await corpusSpeech(args.seconds + 60), values.encoding as BenchEncoding, args.frameMs);
const results: Record<string, RampResult & { load: string }> = {};
for (const engine of ['batched', 'naive'] as const) {
  const flags = ['--engine', engine, '--max-sessions', '100000', '--idle-timeout', '120', ...(values.workers ? ['--workers', values.workers] : [])];
  const server = await startServer(flags, { showErrors: true });
  console.log(`\n=== engine ${engine}: node dist/cli/main.js serve ${flags.join(' ')} (load average ${loadAverage()})`);
  try {
    await runLoad(server, pool, { streams: 4, seconds: 3 }); // warm-up
    const r = await ramp(server, pool, { start: args.streams, seconds: args.seconds, p99BoundMs: args.p99 });
    const steps = [...r.steps];
    for (const n of cpuSteps) {
      const x = await runLoad(server, pool, { streams: n, seconds: args.seconds });
      console.log(`CPU step ${formatResult(x)}`);
      steps.push(x);
    }
    results[engine] = { ...r, steps, marginalCpuMs: (marginalCpu(steps)?.perStreamMs ?? 0) > 0 ? marginalCpu(steps)!.perStreamMs : undefined, load: loadAverage() };
  } finally {
    await server.stop();
  }
}
const b = results.batched;
const n = results.naive;
const p99 = (r: RampResult): string => (r.best ? `${r.best.latency.p99.toFixed(1)} ms` : '-');
console.log(`\nsummary (${values.encoding}, ${args.frameMs} ms messages, ${args.seconds} s per step, held = p99 <= ${args.p99} ms with every label):`);
const cpuPerStream = (r: RampResult): number => r.marginalCpuMs ?? NaN;
console.log('engine     streams held   first failed   p99 at held   server CPU ms per added stream-second   load avg after');
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name.padEnd(10)} ${String(r.held).padStart(12)}   ${String(r.failed ?? '-').padStart(12)}   ${p99(r).padStart(11)}   ${cpuPerStream(r).toFixed(2).padStart(37)}   ${r.load}`,
  );
}
console.log(`ratio batched / naive, streams held at p99 <= ${args.p99} ms: ${n.held > 0 ? (b.held / n.held).toFixed(2) : 'n/a (naive held no step)'}x (goal >= 5x)`);
console.log(`ratio naive / batched, fitted server CPU per added stream: ${(cpuPerStream(n) / cpuPerStream(b)).toFixed(2)}x (from the ramps' steps; n/a with fewer than two step sizes)`);
