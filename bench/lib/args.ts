/** The options the load benches share (parseArgs), and their validation with the server's parsers (messages name the flag). */
import { decimal, integer, oneOf } from '../../server/process/parsers.js';

/** --streams --seconds --encoding --frame-ms --p99 --workers --engine, as node:util parseArgs options. */
export const LOAD_OPTIONS = {
  streams: { type: 'string' },
  seconds: { type: 'string' },
  encoding: { type: 'string', default: 'pcm_s16le' },
  'frame-ms': { type: 'string', default: '20' },
  p99: { type: 'string', default: '100' },
  workers: { type: 'string' },
  engine: { type: 'string', default: 'batched' },
} as const;

export interface BenchArgs {
  readonly streams: number;
  readonly seconds: number;
  readonly frameMs: number;
  readonly p99: number;
}

function positive(flag: string, text: string | undefined, fallback: number, whole = true): number {
  if (text === undefined || text === '') return fallback;
  return (whole ? integer(1, 1e9) : decimal(1e-3, 1e9))(text, `--${flag}`);
}

export function parseBenchArgs(values: Record<string, string | boolean | undefined>, defaults: { streams: number; seconds: number }): BenchArgs {
  const frameMs = Number(oneOf(['20', '100'])(String(values['frame-ms'] ?? '20'), '--frame-ms'));
  const encoding = values.encoding as string | undefined;
  if (encoding !== undefined) oneOf(['pcm_s16le', 'opus'])(encoding, '--encoding');
  return {
    streams: positive('streams', values.streams as string | undefined, defaults.streams),
    seconds: positive('seconds', values.seconds as string | undefined, defaults.seconds),
    frameMs,
    p99: positive('p99', values.p99 as string | undefined, 100, false),
  };
}

/** Runs a bench's argument parsing; a bad flag prints one line naming it (no stack) and exits 2. */
export function parseOrExit<T>(bench: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    process.stderr.write(`${bench}: ${(e as Error).message}\n`);
    process.exit(2);
  }
}

/**
 * Server flags of the benches that measure what a stream costs (load, compare, profile): no session
 * ceiling, a generous idle timeout, and admission off (no latency gate, pace, queue or lag
 * refusal), so every stream of a step is served and the step fails on latency, not on a refusal.
 * bench:overload measures admission itself.
 */
export const MEASURE_SERVER_FLAGS: readonly string[] = ['--max-sessions', '100000', '--idle-timeout', '120', '--latency-target-ms', '0', '--max-queued-windows', '0', '--max-event-loop-lag-ms', '0'];
