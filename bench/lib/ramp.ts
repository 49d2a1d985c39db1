/**
 * Capacity search: raise the number of concurrent real-time streams until a run fails (p99
 * label latency above the bound, a missing label or an error), then bisect between the last
 * N that held and the first that failed. Doubling then bisecting finds the knee in a few runs,
 * so a ramp takes minutes, not an hour.
 */
import { type AudioPool } from './audio.js';
import { type LoadResult, type LoadTarget, formatResult, held, marginalCpu, runLoad } from './load.js';

export interface RampOptions {
  readonly start: number;
  readonly seconds: number;
  readonly p99BoundMs: number;
  /** Stop bisecting when the gap between held and failed is at most this fraction of held (and at most `minGap` streams). */
  readonly resolution?: number;
  readonly minGap?: number;
  /** Never try more than this many streams. */
  readonly max?: number;
  readonly log?: (line: string) => void;
}

export interface RampResult {
  /** Largest N that held (0 if even the first step failed). */
  readonly held: number;
  /** Smallest N that failed, if any did. */
  readonly failed?: number;
  readonly steps: LoadResult[];
  /** The run at `held`. */
  readonly best?: LoadResult;
  /** Fitted server CPU per additional stream (ms per audio second), when the steps allow a fit. */
  readonly marginalCpuMs?: number;
}

export async function ramp(target: LoadTarget, pool: AudioPool, options: RampOptions): Promise<RampResult> {
  const log = options.log ?? ((l: string) => console.log(l));
  const resolution = options.resolution ?? 0.1;
  const minGap = options.minGap ?? 5;
  const max = options.max ?? 5000;
  const steps: LoadResult[] = [];
  let best: LoadResult | undefined;
  let lo = 0;
  let hi: number | undefined;
  const step = async (n: number): Promise<boolean> => {
    const r = await runLoad(target, pool, { streams: n, seconds: options.seconds });
    steps.push(r);
    const ok = held(r, options.p99BoundMs);
    log(`${ok ? 'HELD  ' : 'FAILED'} ${formatResult(r)}`);
    if (ok && n > lo) {
      lo = n;
      best = r;
    }
    if (!ok && (hi === undefined || n < hi)) hi = n;
    // Let the server settle (sessions closed, GC) before the next step.
    await new Promise((r2) => setTimeout(r2, 1000));
    return ok;
  };
  for (let n = options.start; n <= max; n *= 2) if (!(await step(n))) break;
  if (hi !== undefined) {
    while (hi - lo > Math.max(minGap, Math.ceil(lo * resolution))) await step(Math.round((lo + hi) / 2));
  }
  const cpu = marginalCpu(steps);
  if (cpu && cpu.perStreamMs <= 0) log(`server CPU fit over the ${steps.length} steps: n/a (CPU did not grow with streams: the server was starved of CPU by other load)`);
  else if (cpu) log(`server CPU fitted over the ${steps.length} steps: ${cpu.perStreamMs.toFixed(2)} ms per stream per audio second + ${cpu.fixedMs.toFixed(0)} ms/s fixed (=> ~${(1000 / cpu.perStreamMs).toFixed(0)} streams per fully used core)`);
  return { held: lo, ...(hi !== undefined ? { failed: hi } : {}), steps, best, marginalCpuMs: cpu && cpu.perStreamMs > 0 ? cpu.perStreamMs : undefined };
}
