/** The options the load benches share (parseArgs), and their validation with messages naming the flag. */

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

function positive(flag: string, text: string | undefined, fallback: number, integer = true): number {
  if (text === undefined || text === '') return fallback;
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) throw new Error(`--${flag} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(text)}`);
  return v;
}

export function parseBenchArgs(values: Record<string, string | boolean | undefined>, defaults: { streams: number; seconds: number }): BenchArgs {
  const frameMs = positive('frame-ms', values['frame-ms'] as string | undefined, 20);
  if (![20, 100].includes(frameMs)) throw new Error(`--frame-ms must be 20 or 100, got ${frameMs}`);
  const encoding = values.encoding as string | undefined;
  if (encoding !== undefined && encoding !== 'pcm_s16le' && encoding !== 'opus') throw new Error(`--encoding must be pcm_s16le or opus, got ${JSON.stringify(encoding)}`);
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
