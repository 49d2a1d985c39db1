/**
 * Load benchmark of the live server: N concurrent real-time sessions of real corpus speech.
 *
 *   npm run bench:load -- --streams 50 --seconds 20 [--encoding pcm_s16le|opus] [--frame-ms 20|100]
 *   npm run bench:load -- --ramp [--streams 10] [--seconds 10] [--p99 100]
 *   npm run bench:load -- --url ws://host:port/v1/stream ...     (an already running server)
 *
 * Without --url it starts its own server (the built CLI: `node dist/cli/main.js serve`, cluster
 * default of one worker per CPU; --workers / --engine pass through) on a free loopback port and
 * stops it at the end. The generator runs on the same machine and its CPU is printed.
 */
import { parseArgs } from 'node:util';
import { AudioPool, type BenchEncoding, corpusSpeech } from './lib/audio.js';
import { formatResult, runLoad } from './lib/load.js';
import { announceConditions } from './lib/machine.js';
import { ramp } from './lib/ramp.js';
import { startServer, type ServerProcess } from '../test/server-process.js';
import { LOAD_OPTIONS, MEASURE_SERVER_FLAGS, parseBenchArgs, parseOrExit } from './lib/args.js';

const { values } = parseOrExit('bench:load', () => parseArgs({
  options: {
    ...LOAD_OPTIONS,
    ramp: { type: 'boolean', default: false },
    url: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
}));
if (values.help) {
  console.log('usage: npm run bench:load -- [--streams N] [--seconds S] [--encoding pcm_s16le|opus] [--frame-ms 20|100] [--ramp] [--p99 MS] [--url WS_URL] [--workers N] [--engine batched|naive]');
  process.exit(0);
}
const args = parseOrExit('bench:load', () => parseBenchArgs(values, { streams: values.ramp ? 10 : 50, seconds: values.ramp ? 10 : 20 }));

announceConditions();
const speech = await corpusSpeech(args.seconds + 60);
const pool = AudioPool.build(speech, values.encoding as BenchEncoding, args.frameMs);
let server: ServerProcess | undefined;
let target: { url: string; http: string; pid?: number };
if (values.url) {
  const u = new URL(values.url);
  target = { url: values.url, http: `${u.protocol === 'wss:' ? 'https' : 'http'}://${u.host}` };
  console.log(`server: ${values.url} (not started by this bench)`);
} else {
  const flags = ['--engine', String(values.engine), ...MEASURE_SERVER_FLAGS];
  if (values.workers) flags.push('--workers', values.workers);
  server = await startServer(flags, { showErrors: true });
  target = server;
  console.log(`server: node dist/cli/main.js serve ${flags.join(' ')} (pid ${server.pid}, port ${server.port}, workers ${values.workers ?? 'one per CPU'})`);
}
try {
  // Warm-up: JIT, WASM decoders, onnxruntime's first calls; not reported.
  await runLoad(target, pool, { streams: 4, seconds: 3 });
  if (values.ramp) {
    console.log(`ramp: from ${args.streams} streams, ${args.seconds} s each step, held = p99 <= ${args.p99} ms, no missing label, no error`);
    const r = await ramp(target, pool, { start: args.streams, seconds: args.seconds, p99BoundMs: args.p99 });
    console.log(`\nlargest N that held: ${r.held}${r.failed !== undefined ? ` (failed at ${r.failed})` : ''} [${values.encoding}, ${args.frameMs} ms messages, engine ${values.engine}]`);
  } else {
    console.log(formatResult(await runLoad(target, pool, { streams: args.streams, seconds: args.seconds })));
  }
} finally {
  await server?.stop();
}
