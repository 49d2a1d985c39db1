/**
 * Protocol fuzzing at scale: N random cases (fast-check, seeded) plus the hand-picked hostile
 * ones against `undertone serve` running as a child process, while a canary session streams real
 * corpus audio at real time and must get every label. Prints cases, crashes (server exit,
 * internal/1011, dropped connections), answers per error code, mismatches and the canary's
 * labels expected/received. Exit code 1 on any crash, mismatch or lost canary label.
 *
 *   npm run bench:fuzz -- --cases 10000 [--seed N] [--concurrency 8]
 */
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { corpusFile, manifestRows } from '../test/corpora.js';
import { hardPayloadLimit } from '../server/process/server.js';
import { startServer } from '../test/server-process.js';
import { integer } from '../server/process/parsers.js';
import { parseOrExit } from './lib/args.js';
import { type FuzzLimits, caseArbitrary, handPickedCases } from '../test/fuzz/cases.js';
import { Canary, canaryFiles, runCases } from '../test/fuzz/runner.js';
import { opusPackets } from '../test/harness.js';

const { values } = parseArgs({
  options: { cases: { type: 'string', default: '10000' }, seed: { type: 'string' }, concurrency: { type: 'string', default: '8' } },
});
const count = parseOrExit('bench:fuzz', () => integer(0, 1e7)(String(values.cases), '--cases'));
const seed = values.seed !== undefined ? parseOrExit('bench:fuzz', () => integer(0, 2 ** 31 - 1)(String(values.seed), '--seed')) : Date.now() % 2 ** 31;
const concurrency = parseOrExit('bench:fuzz', () => integer(1, 1000)(String(values.concurrency), '--concurrency'));
const MAX_MESSAGE = 16384;
const limits: FuzzLimits = { maxMessageBytes: MAX_MESSAGE, hardPayloadBytes: hardPayloadLimit(MAX_MESSAGE) };

// Lag-based admission off: this run measures the answers to hostile input, and on a shared
// machine the server's event loop can be starved by other processes (a 1013 would hide the case).
const server = await startServer(['--workers', '1', '--max-message-bytes', String(MAX_MESSAGE), '--log-level', 'warn', '--max-event-loop-lag-ms', '0']);
const packets = (await opusPackets(corpusFile(manifestRows()[0]))).packets;
const cases = [...handPickedCases(limits, packets[10]), ...fc.sample(caseArbitrary(limits, packets), { numRuns: count, seed })];
console.log(`fuzzing ${cases.length} cases (${count} random, seed ${seed}, ${cases.length - count} hand-picked), ${concurrency} connections at a time, server pid ${server.child.pid}`);

let serverExit: number | string | undefined;
void server.exited.then((c) => (serverExit = c));
const canary = new Canary(server.url, canaryFiles(4));
let lastPrint = 0;
const summary = await runCases(server.url, cases, concurrency, (done) => {
  if (done - lastPrint >= 1000 || done === cases.length) {
    lastPrint = done;
    process.stdout.write(`  ${done}/${cases.length} cases\n`);
  }
});
await canary.stop();
const alive = serverExit === undefined;
const exit = await server.stop();

const crashes = summary.crashes + (alive ? 0 : 1);
console.log('\nanswers (error code, accepted, or a bare close from ws):');
for (const [answer, n] of Object.entries(summary.answers).sort((a, b) => b[1] - a[1])) console.log(`  ${answer.padEnd(22)} ${n}`);
console.log(`
cases:               ${summary.cases}
mismatches:          ${summary.failures.length}
crashes:             ${crashes} (server ${alive ? `alive until stopped, exit ${exit}` : `DIED: ${serverExit}`})
retried (shed 1013): ${summary.retries}
canary labels:       expected ${canary.expected}, received ${canary.received} (${canary.sessions} sessions, ${canary.shed} shed and retried)
duration:            ${summary.durationS.toFixed(1)} s`);
for (const f of summary.failures.slice(0, 20)) console.log(`  MISMATCH ${f.name}: ${f.reason}\n    ${f.steps}`);
for (const p of canary.problems.slice(0, 10)) console.log(`  CANARY ${p}`);
const stderr = server.stderr().trim();
if (stderr) console.log(`server stderr (${stderr.split('\n').length} lines):\n${stderr.slice(0, 2000)}`);
process.exit(crashes === 0 && summary.failures.length === 0 && canary.problems.length === 0 && canary.received === canary.expected ? 0 : 1);
