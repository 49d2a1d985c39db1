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

/** CPU seconds (user + system) and RSS bytes of a process and its children (a cluster's primary and workers), from /proc. */
export function processTree(pid: number): { cpuS: number; rssBytes: number; processes: number } {
  const ticks = 100; // USER_HZ on Linux
  const page = 4096;
  let cpuS = 0;
  let rssBytes = 0;
  let processes = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command name (which may hold spaces).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(f[1]);
    if (Number(entry) !== pid && ppid !== pid) continue;
    cpuS += (Number(f[11]) + Number(f[12])) / ticks;
    rssBytes += Number(f[21]) * page;
    processes++;
  }
  return { cpuS, rssBytes, processes };
}

/** CPU (ms per second) of a process tree left alone for `seconds` (after `settleMs` for start-up to finish): its idle cost. */
export async function idleCpuMsPerSecond(pid: number, seconds: number, settleMs = 3000): Promise<number> {
  await new Promise((r) => setTimeout(r, settleMs));
  const t0 = processTree(pid).cpuS;
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return ((processTree(pid).cpuS - t0) * 1000) / ((performance.now() - w0) / 1000);
}
