/**
 * The conditions a benchmark ran under: the machine is shared, so every bench prints the load
 * average when it starts and when it ends, and its own CPU use, beside its figures.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';

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
