/**
 * Where the server's CPU goes under load: runs `undertone serve` under `node --cpu-prof`, drives
 * it with the load generator, stops it (SIGTERM: the profiles are written at exit) and prints
 * self time by category and the top functions, over the load run only. With --workers > 1 every worker writes a
 * profile and the summary adds them up.
 *
 *   npm run bench:profile [-- --streams 60 --seconds 20 --encoding pcm_s16le --frame-ms 20 --workers 1 --engine batched --trace-gc --baseline REF --perf [--perf-hz 499] --twilio]
 *
 * --twilio profiles Twilio Media Streams instead (/v1/twilio, bench/lib/twilio-load.ts): the
 * streams are the tracks of streams / 2 two-track calls of 20 ms base64 mu-law.
 *
 * --trace-gc also runs the server with node's --trace-gc and prints the collections during the
 * load run: how many scavenges and mark-compacts, and their pause time.
 *
 * --perf samples every thread of the server's processes with Linux `perf` instead (node runs with
 * --perf-basic-prof so JavaScript frames have names): native code, onnxruntime, the kernel, GC
 * and compiler threads included, which the V8 profile cannot see (bench/lib/perf-profile.ts).
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { AudioPool, type BenchEncoding, corpusSpeech } from './lib/audio.js';
import { LOAD_OPTIONS, MEASURE_SERVER_FLAGS, parseBenchArgs, parseOrExit } from './lib/args.js';
import { formatGcTrace, formatSummary, summarizeGcTrace, summarizeProfiles } from './lib/cpu-profile.js';
import { buildBaseline } from './lib/baseline-build.js';
import { formatResult, runLoad } from './lib/load.js';
import { announceConditions, treePids } from './lib/machine.js';
import { formatPerfSummary, perfAvailable, readPerfData, recordPerf, summarizePerf } from './lib/perf-profile.js';
import { formatTwilioResult, runTwilioLoad } from './lib/twilio-load.js';
import { toMulaw8k } from '../test/clients/twilio-client.js';
import { startServer } from '../test/server-process.js';

const { values } = parseOrExit('bench:profile', () => parseArgs({
  options: {
    ...LOAD_OPTIONS,
    workers: { type: 'string', default: '1' },
    out: { type: 'string' },
    'trace-gc': { type: 'boolean', default: false },
    baseline: { type: 'string' },
    perf: { type: 'boolean', default: false },
    'perf-hz': { type: 'string', default: '499' },
    twilio: { type: 'boolean', default: false },
  },
}));
const args = parseOrExit('bench:profile', () => parseBenchArgs(values, { streams: 60, seconds: 20 }));
announceConditions();
const dir = values.out ?? mkdtempSync(path.join(tmpdir(), 'undertone-cpuprof-'));
const speech = await corpusSpeech(args.seconds + 60);
const pool = AudioPool.build(speech, values.encoding as BenchEncoding, args.frameMs);
const twilio = values.twilio === true;
const twilioCalls = { calls: Math.max(1, Math.round(args.streams / 2)), seconds: args.seconds, tracks: 2 as const };
const flags = ['--workers', String(values.workers), '--engine', String(values.engine), ...MEASURE_SERVER_FLAGS];
const usePerf = values.perf === true;
const perfHz = Number(values['perf-hz']);
if (usePerf) {
  const missing = perfAvailable();
  if (missing) {
    console.error(`bench:profile --perf: ${missing}`);
    process.exit(2);
  }
  if (!(perfHz >= 10 && perfHz <= 10_000)) {
    console.error(`bench:profile: --perf-hz must be a number from 10 to 10000 (got "${values['perf-hz']}")`);
    process.exit(2);
  }
}
const nodeArgs = [...(usePerf ? ['--perf-basic-prof'] : ['--cpu-prof', '--cpu-prof-dir', dir]), ...(values['trace-gc'] ? ['--trace-gc'] : [])];
// --baseline REF: profile that revision's server instead (built in a temporary worktree, kept for reuse).
const cli = values.baseline ? buildBaseline(values.baseline).cli : undefined;
const server = await startServer(flags, { nodeArgs, showErrors: true, ...(cli ? { cli } : {}) });
console.log(`server: node ${nodeArgs.join(' ')} ${cli ?? 'dist/cli/main.js'} serve ${flags.join(' ')}`);
let loadStart = NaN;
let loadEnd = NaN;
let gcLines = '';
const perfData = path.join(dir, 'perf.data');
let perfPids: number[] = [];
try {
  await runLoad(server, pool, { streams: 4, seconds: 3 }); // warm-up, outside the counted window
  loadStart = performance.now();
  const outBefore = server.stdout().length;
  perfPids = treePids(server.pid);
  const recording = usePerf ? recordPerf(perfPids, perfData, perfHz) : undefined;
  const result = twilio
    ? await runTwilioLoad(server, toMulaw8k(speech), twilioCalls)
    : await runLoad(server, pool, { streams: args.streams, seconds: args.seconds });
  await recording?.stop();
  gcLines = server.stdout().slice(outBefore);
  console.log('calls' in result ? formatTwilioResult(result) : formatResult(result));
  loadEnd = performance.now();
  if (values['trace-gc']) console.log(formatGcTrace(summarizeGcTrace(gcLines), result.wallS));
} finally {
  await server.stop();
}
if (usePerf) {
  console.log(`\nperf record -e cpu-clock -F ${perfHz} -g -p ${perfPids.join(',')} over the load run only (${perfData}):`);
  console.log(formatPerfSummary(summarizePerf(readPerfData(perfData)), 1000 / perfHz, args.streams * args.seconds, 20, server.pid));
} else {
  const exitAt = performance.now();
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f));
  if (files.length === 0) throw new Error(`no .cpuprofile written in ${dir}`);
  console.log(`\n${files.length} profile(s) in ${dir}; counted: the load run only (start-up, warm-up and drain left out):`);
  console.log(formatSummary(summarizeProfiles(files, { fromMsBeforeEnd: exitAt - loadStart, toMsBeforeEnd: exitAt - loadEnd })));
}
