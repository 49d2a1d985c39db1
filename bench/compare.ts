/**
 * This build against its baselines under the same load in one run: the same generator, corpus
 * audio, capacity ramp and fixed loads against each server in turn, then one summary.
 *
 *   npm run bench:compare -- --baseline REF [--baseline-model this|own] [--naive] [--seconds 10 --streams 10 --cpu-steps 50,100,200 --idle-seconds 60 --workers N --encoding pcm_s16le --frame-ms 20 --keep-baseline]
 *   npm run bench:compare                    (no --baseline: this build's batched engine against its naive engine)
 *
 * Baselines: `--baseline REF` builds git REF (e.g. the last release) in a temporary worktree
 * (bench/lib/baseline-build.ts) and runs its server with the same flags and this checkout's model
 * (`--baseline-model this`, the default: only the code differs), or with REF's own models/
 * (`--baseline-model own`: what a release changes, features and network included; needed when
 * REF's feature config differs, since a server refuses a model of another feature config);
 * the naive engine of this build (`--engine naive`, the per-stream baseline) runs too when there
 * is no --baseline, or with --naive.
 *
 * For each server it first measures its idle CPU (--idle-seconds without a connection, process
 * tree, read every 10 s: the mean over the wait, start-up tails included, and the median of the
 * 10 s windows, the steady figure; bench/lib/machine.ts idleCpu), then prints the streams held at p99 <= --p99 ms with every label (a ramp: doubling,
 * then bisection), then runs the fixed --cpu-steps loads whatever latency they reach, and reports
 * server CPU per stream-second two ways: TOTAL at the largest fixed load (all of the server's CPU,
 * cluster primary and fixed costs included, over the streams' audio seconds) and MARGINAL (the
 * slope of a least-squares fit of CPU against streams over every run: what one more stream costs).
 * Admission is off in every server (bench/lib/args.ts MEASURE_SERVER_FLAGS): capacity is where
 * latency fails, not where a gate refuses.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AudioPool, type BenchEncoding, corpusSpeech } from './lib/audio.js';
import { LOAD_OPTIONS, MEASURE_SERVER_FLAGS, parseBenchArgs, parseOrExit } from './lib/args.js';
import { type BaselineBuild, buildBaseline } from './lib/baseline-build.js';
import { type LoadResult, formatResult, marginalCpu, runLoad } from './lib/load.js';
import { announceConditions, type IdleCpu, idleCpu, loadAverage } from './lib/machine.js';
import { type RampResult, ramp } from './lib/ramp.js';
import { MODELS_DIR } from '../server/process/paths.js';
import { startServer } from '../test/server-process.js';
import { integer, integers, oneOf } from '../server/process/parsers.js';

const { values } = parseOrExit('bench:compare', () => parseArgs({
  options: {
    ...LOAD_OPTIONS,
    'cpu-steps': { type: 'string', default: '20,40,80' },
    baseline: { type: 'string' },
    naive: { type: 'boolean', default: false },
    'keep-baseline': { type: 'boolean', default: false },
    'baseline-model': { type: 'string', default: 'this' },
    'idle-seconds': { type: 'string', default: '60' },
  },
}));
// Fixed loads run for every server after its ramp, whatever latency they reach: with the ramp's
// steps they give the CPU fit enough spread even when a busy machine ends a ramp early.
const cpuSteps = parseOrExit('bench:compare', () => integers(1, 100_000)(String(values['cpu-steps']), '--cpu-steps'));
const args = parseOrExit('bench:compare', () => parseBenchArgs(values, { streams: 10, seconds: 10 }));
const idleSeconds = parseOrExit('bench:compare', () => integer(1, 3600)(String(values['idle-seconds']), '--idle-seconds'));
const baselineModel = parseOrExit('bench:compare', () => oneOf(['this', 'own'] as const)(String(values['baseline-model']), '--baseline-model'));

/** One server under comparison: how it is started and what it is called in the summary. */
interface Contender {
  readonly name: string;
  readonly cli?: string;
  readonly cwd?: string;
  readonly engine: 'batched' | 'naive';
  /** Model folder the server loads. */
  readonly model: string;
}

interface Outcome extends RampResult {
  readonly name: string;
  /** The largest fixed load's run (total CPU per stream-second). */
  readonly fixed?: LoadResult;
  /** CPU of the idle server (process tree), ms per second: mean over the wait and steady (median 10 s window). */
  readonly idle: IdleCpu;
  readonly load: string;
}

announceConditions();
let baseline: BaselineBuild | undefined;
if (values.baseline) {
  try {
    baseline = buildBaseline(values.baseline);
  } catch (e) {
    process.stderr.write(`bench:compare: ${(e as Error).message}\n`);
    process.exit(2);
  }
}
const contenders: Contender[] = [{ name: 'this build', engine: 'batched', model: MODELS_DIR }];
if (baseline) {
  const model = baselineModel === 'own' ? join(baseline.dir, 'models') : MODELS_DIR;
  contenders.push({ name: `${baseline.ref} (${baseline.commit.slice(0, 10)})`, cli: baseline.cli, cwd: baseline.dir, engine: 'batched', model });
}
if (!baseline || values.naive) contenders.push({ name: 'naive engine', engine: 'naive', model: MODELS_DIR });

const pool = AudioPool.build(await corpusSpeech(args.seconds + 60), values.encoding as BenchEncoding, args.frameMs);
const outcomes: Outcome[] = [];
try {
  for (const c of contenders) {
    // With --baseline-model this (the default) every server gets this checkout's model, so only the code differs.
    const flags = ['--engine', c.engine, '--model', c.model, ...MEASURE_SERVER_FLAGS, ...(values.workers ? ['--workers', values.workers] : [])];
    const server = await startServer(flags, { showErrors: true, ...(c.cli ? { cli: c.cli, cwd: c.cwd } : {}) });
    console.log(`\n=== ${c.name}: node ${c.cli ?? 'dist/cli/main.js'} serve ${flags.join(' ')} (load average ${loadAverage()})`);
    try {
      const idle = await idleCpu(server.pid, idleSeconds);
      console.log(
        `idle: ${idle.steadyMs.toFixed(1)} ms of CPU a second steady (median 10 s window), ${idle.meanMs.toFixed(1)} mean over ${idleSeconds} s without a connection (process tree; windows ${idle.windowsMs.map((w) => w.toFixed(0)).join(' ')})`,
      );
      await runLoad(server, pool, { streams: 4, seconds: 3 }); // warm-up
      const r = await ramp(server, pool, { start: args.streams, seconds: args.seconds, p99BoundMs: args.p99 });
      const steps = [...r.steps];
      let fixed: LoadResult | undefined;
      for (const n of cpuSteps) {
        const x = await runLoad(server, pool, { streams: n, seconds: args.seconds });
        console.log(`CPU step ${formatResult(x)}`);
        steps.push(x);
        if (!fixed || n >= fixed.streams) fixed = x;
      }
      const fit = marginalCpu(steps);
      outcomes.push({ ...r, name: c.name, steps, fixed, idle, marginalCpuMs: fit && fit.perStreamMs > 0 ? fit.perStreamMs : undefined, load: loadAverage() });
    } finally {
      await server.stop();
    }
  }
} finally {
  if (baseline && !values['keep-baseline']) baseline.remove();
}

const f = (x: number | undefined, d: number): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
const fixedN = outcomes[0]?.fixed?.streams;
console.log(`\nsummary (${values.encoding}, ${args.frameMs} ms messages, ${args.seconds} s per step, held = p99 <= ${args.p99} ms with every label, no error):`);
console.log(`server                     streams held  first failed  p99 at held  p99 at ${fixedN ?? '-'}  CPU ms/stream-s at ${fixedN ?? '-'} (TOTAL)  CPU ms/stream-s (MARGINAL fit)  idle ms/s steady / mean  load avg after`);
for (const o of outcomes) {
  console.log(
    `${o.name.padEnd(26)} ${String(o.held).padStart(12)}  ${String(o.failed ?? '-').padStart(12)}  ${f(o.best?.latency.p99, 1).padStart(11)}  ${f(o.fixed?.latency.p99, 1).padStart(9)}  ${f(o.fixed?.cpuMsPerStreamSecond, 2).padStart(25)}  ${f(o.marginalCpuMs, 2).padStart(30)}  ${`${f(o.idle.steadyMs, 1)} / ${f(o.idle.meanMs, 1)}`.padStart(24)}  ${o.load}`,
  );
}
const ours = outcomes[0];
for (const other of outcomes.slice(1)) {
  const ratio = (a: number | undefined, b: number | undefined): string => (a && b && Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : 'n/a');
  console.log(
    `this build vs ${other.name}: streams held ${ratio(ours.held, other.held)} (this / that); CPU per stream-second TOTAL ${ratio(other.fixed?.cpuMsPerStreamSecond, ours.fixed?.cpuMsPerStreamSecond)}, MARGINAL ${ratio(other.marginalCpuMs, ours.marginalCpuMs)}, idle (steady) ${ratio(other.idle.steadyMs, ours.idle.steadyMs)} (that / this: how many times less CPU this build needs)`,
  );
}
