/**
 * How busy this process and its machine are: over the last window, the largest of three views.
 * - Event-loop utilisation (`performance.eventLoopUtilization`): the share of time the loop ran
 *   callbacks. It also rises when the OS takes the core away (a CPU hog next door): work then
 *   takes longer in wall time.
 * - CPU time of the process (`process.cpuUsage`, all threads) per wall time: work done off the
 *   loop (inference threads, GC helpers) that the loop's view misses.
 *
 * Label latency stays flat until a process is nearly saturated and then climbs within a second
 * or two (a hockey stick), so it warns too late to pace admissions by. Utilisation rises in
 * proportion to the sessions a process carries, so it predicts what one more session will cost
 * (headroom.ts) before the latency shows it.
 */
import { cpus } from 'node:os';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import { SlidingWindow } from './recent.js';

const MACHINE_SAMPLE_MS = 250;

/**
 * Busy and total CPU time (ms) of the machine, summed over its cores, since boot. Time of niced
 * processes (batch jobs, `nice -n 10` builds) counts as free: the scheduler gives it up to a
 * normal-priority server, so it is no reason to turn sessions away.
 */
function machineTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    total += times.user + times.nice + times.sys + times.idle + times.irq;
    busy += times.user + times.sys + times.irq;
  }
  return { busy, total };
}

interface Sample {
  readonly busy: number;
  /** Seconds of audio received per wall second since the previous sample. */
  readonly audioRate: number;
}

/** What a window of samples says: the mean busy share and audio rate. */
export interface Load {
  /** Busy share (0-1; may exceed 1 with busy threads). */
  readonly busy: number;
  /** Seconds of audio received per wall second: a session streaming at real time adds 1. */
  readonly audioRate: number;
}

export class RecentUtilization {
  private readonly samples: SlidingWindow<Sample>;
  private lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();
  private lastMachine = machineTimes();
  private lastMachineAt = performance.now();
  private machineBusy = 0;

  private lastAudio = 0;

  /** @param audioSeconds seconds of audio this process has received so far (a running total). */
  constructor(
    private readonly audioSeconds: () => number,
    readonly windowMs = 1000,
  ) {
    this.samples = new SlidingWindow<Sample>(windowMs);
  }

  /** Records the busy share and audio rate since the previous call (called by a timer, every ~100 ms). */
  sample(now = performance.now()): void {
    // One reading of each clock, the delta against the previous one: no slice falls between two reads.
    const eluNow = performance.eventLoopUtilization();
    const elu = performance.eventLoopUtilization(eluNow, this.lastElu);
    this.lastElu = eluNow;
    const cpuNow = process.cpuUsage();
    const cpuMs = (cpuNow.user - this.lastCpu.user + cpuNow.system - this.lastCpu.system) / 1000;
    this.lastCpu = cpuNow;
    const wallMs = now - this.lastAt;
    this.lastAt = now;
    if (wallMs <= 0) return;
    const cpuShare = cpuMs / wallMs;
    const audio = this.audioSeconds();
    const audioRate = ((audio - this.lastAudio) * 1000) / wallMs;
    this.lastAudio = audio;
    if (now - this.lastMachineAt >= MACHINE_SAMPLE_MS) {
      const machine = machineTimes();
      const total = machine.total - this.lastMachine.total;
      if (total > 0) this.machineBusy = (machine.busy - this.lastMachine.busy) / total;
      this.lastMachine = machine;
      this.lastMachineAt = now;
    }
    this.observe(Math.max(elu.utilization, cpuShare, this.machineBusy), audioRate, now);
  }

  /** Records a busy share and audio rate measured at `now` (tests drive this directly). */
  observe(busy: number, audioRate: number, now: number): void {
    this.samples.push({ busy, audioRate }, now);
  }

  /** Mean busy share and audio rate over the window, or undefined before a sample. */
  current(now = performance.now()): Load | undefined {
    const live = this.samples.values(now);
    if (live.length === 0) return undefined;
    const mean = (f: (s: Sample) => number): number => live.reduce((sum, s) => sum + f(s), 0) / live.length;
    return { busy: mean((s) => s.busy), audioRate: mean((s) => s.audioRate) };
  }
}
