/**
 * The conditions a benchmark ran under: the machine is shared, so every bench prints the load
 * average when it starts and when it ends, and its own CPU use, beside its figures.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

export function loadAverage(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

/** One line: cores, CPU model, node, load average (1/5/15 min). */
export function conditions(when: 'start' | 'end'): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `[${when}] ${new Date().toISOString()}  ${availableParallelism()} cores (${cpu}), node ${process.version}, load average ${loadAverage()}`;
}

/** This process's CPU time (user + system) in seconds, for the generator's own share. */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Prints the start conditions now and the end conditions when the process exits. */
export function announceConditions(): void {
  console.log(conditions('start'));
  process.once('exit', () => console.log(conditions('end')));
}

/** The /proc stat fields after the command name of a process and its children (a cluster's primary and workers). */
function treeStats(pid: number): { pid: number; fields: string[] }[] {
  const out: { pid: number; fields: string[] }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command name (which may hold spaces).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(entry) === pid || Number(fields[1]) === pid) out.push({ pid: Number(entry), fields });
  }
  return out;
}

/** The pids of a process and its children. */
export function treePids(pid: number): number[] {
  return treeStats(pid).map((p) => p.pid);
}

/**
 * CPU seconds (user + system) and RSS bytes of a process and its children (a cluster's primary and
 * workers), from /proc; rootCpuS is the process alone (the cluster primary).
 */
export function processTree(pid: number): { cpuS: number; rssBytes: number; processes: number; rootCpuS: number } {
  const ticks = 100; // USER_HZ on Linux
  const page = 4096;
  let cpuS = 0;
  let rootCpuS = 0;
  let rssBytes = 0;
  const stats = treeStats(pid);
  for (const { pid: p, fields: f } of stats) {
    const s = (Number(f[11]) + Number(f[12])) / ticks;
    cpuS += s;
    if (p === pid) rootCpuS = s;
    rssBytes += Number(f[21]) * page;
  }
  return { cpuS, rssBytes, processes: stats.length, rootCpuS };
}

/** What an idle process tree costs: the mean over the whole wait, and per window. */
export interface IdleCpu {
  /** ms of CPU per second over all `seconds` (start-up tails included). */
  readonly meanMs: number;
  /**
   * The median of the per-window figures (ms/s): what the tree costs when nothing one-off is
   * running. V8's memory reducer runs two major GCs per process ("Mark-Compact (reduce)" under
   * --trace-gc) 30-65 s after start-up or after a load ends, each 20-50 ms of CPU; a window that
   * holds them reads 20-60 ms/s while the windows around it read 2-6.
   */
  readonly steadyMs: number;
  /** ms/s of each window, in order. */
  readonly windowsMs: readonly number[];
}

/**
 * CPU of a process tree left alone for `seconds` (after `settleMs` for start-up to finish), read
 * every `windowS` seconds. /proc counts in 10 ms ticks, so a 10 s window resolves 1 ms/s.
 */
export async function idleCpu(pid: number, seconds: number, windowS = 10, settleMs = 3000): Promise<IdleCpu> {
  await new Promise((r) => setTimeout(r, settleMs));
  const w0 = performance.now();
  const c0 = processTree(pid).cpuS;
  const windowsMs: number[] = [];
  let t = w0;
  let c = c0;
  for (let left = seconds; left > 0; left -= windowS) {
    await new Promise((r) => setTimeout(r, Math.min(windowS, left) * 1000));
    const now = performance.now();
    const cpu = processTree(pid).cpuS;
    windowsMs.push(((cpu - c) * 1000) / ((now - t) / 1000));
    t = now;
    c = cpu;
  }
  const sorted = [...windowsMs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const steadyMs = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { meanMs: ((c - c0) * 1000) / ((t - w0) / 1000), steadyMs, windowsMs };
}
