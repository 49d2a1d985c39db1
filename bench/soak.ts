/**
 * Soak: session churn for N minutes against `undertone serve` (child process); prints RSS and
 * heap after warm-up and at the end with their drift, event-loop lag, label latency p99 early
 * vs late, and every label accounted for. Exit 1 if a label is lost or RSS grows by 10% or more (MAX_RSS_GROWTH).
 *
 *   npm run bench:soak -- --minutes 30 [--concurrency 8] [--warmup 120]
 */
import { parseArgs } from 'node:util';
import { decimal, integer } from '../server/process/parsers.js';
import { parseOrExit } from './lib/args.js';
import { formatSoak, MAX_RSS_GROWTH, soak } from '../test/soak.js';

const { values } = parseOrExit('bench:soak', () =>
  parseArgs({ options: { minutes: { type: 'string', default: '30' }, concurrency: { type: 'string', default: '8' }, warmup: { type: 'string', default: '120' } } }),
);
const minutes = parseOrExit('bench:soak', () => decimal(0.1, 10_000)(values.minutes, '--minutes'));
const concurrency = parseOrExit('bench:soak', () => integer(1, 1000)(values.concurrency, '--concurrency'));
const warmupSeconds = parseOrExit('bench:soak', () => decimal(0, 86400)(values.warmup, '--warmup'));
const report = await soak({ minutes, concurrency, warmupSeconds, onProgress: (l) => console.log(l) });
console.log('\n' + formatSoak(report, minutes, concurrency));
process.exit(report.labelsReceived === report.labelsExpected && report.failedSessions === 0 && report.rssDrift < MAX_RSS_GROWTH ? 0 : 1);
