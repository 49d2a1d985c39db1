/**
 * Where a server's CPU goes, native code included: Linux `perf` samples of every thread of the
 * server's processes (`perf record -g`), JavaScript frames named through node's
 * `--perf-basic-prof` maps, grouped into the same stages as the V8 CPU profiles (cpu-profile.ts).
 *
 * Why beside --cpu-prof: V8's profiler sees the main thread's JavaScript only. At 200 streams it
 * counted 6.1 s busy of a worker that used 15.7 s of CPU; the rest (onnxruntime's kernels, V8's
 * runtime functions such as Math.log, the kernel's TCP paths, GC and compiler threads) is what
 * perf sees and the CPU profile cannot.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { type Category, CATEGORIES, categorize, shortenPaths } from './cpu-profile.js';

/** The stages of cpu-profile.ts (without idle: perf samples running threads only), plus two only perf sees. */
export const PERF_CATEGORIES = [...CATEGORIES.filter((c) => c !== 'idle'), 'kernel', 'JIT compile'] as const;
export type PerfCategory = Exclude<Category, 'idle'> | 'kernel' | 'JIT compile';

export interface PerfFrame {
  readonly symbol: string;
  readonly dso: string;
}

export interface PerfSample {
  readonly pid: number;
  readonly tid: number;
  /** Leaf first. */
  readonly frames: readonly PerfFrame[];
}

/**
 * Parses `perf script -F pid,tid,ip,sym,dso` output: a header line per sample (`PID/TID` first,
 * or `PID TID`) followed by one indented line per frame, `ADDRESS SYMBOL (DSO)`, leaf first.
 */
export function parsePerfScript(text: string): PerfSample[] {
  const samples: PerfSample[] = [];
  let current: { pid: number; tid: number; frames: PerfFrame[] } | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (current) samples.push(current);
      current = undefined;
      continue;
    }
    if (!/^\s/.test(line)) {
      if (current) samples.push(current);
      const ids = /^\s*(?:\S+\s+)?(\d+)[/\s]+(\d+)\b/.exec(line);
      current = ids ? { pid: Number(ids[1]), tid: Number(ids[2]), frames: [] } : undefined;
      continue;
    }
    const frame = /^\s+[0-9a-f]+\s+(.*?)\s+\(([^()]*)\)\s*$/.exec(line);
    if (current && frame) current.frames.push({ symbol: frame[1], dso: frame[2] });
  }
  if (current) samples.push(current);
  return samples;
}

const GC = /v8::internal::(Heap|Scavenger|ScavengerCollector|MarkCompactCollector|MinorMarkSweep|ConcurrentMarking|IncrementalMarking|Sweeper|ArrayBufferSweeper|GCTracer|MarkingVisitorBase|MainMarkingVisitor|ConcurrentMarkingVisitor|MemoryReducer)\b|v8::internal::.*Evacuat/;
const COMPILE = /v8::internal::(compiler|maglev|baseline)::|OptimizingCompileDispatcher|v8::internal::Compiler::|v8::internal::Parser|v8::internal::wasm::/;

/** `JS:*compute file:///x/frame-features.js:151:12` -> name `compute`, url `file:///x/frame-features.js`. */
function jsFrame(symbol: string): { name: string; url: string } | undefined {
  if (!symbol.startsWith('JS:')) return undefined;
  const body = symbol.slice(3).replace(/^[*~^+-]/, '');
  if (body.startsWith('wasm-function')) return { name: body, url: 'wasm://' };
  const at = body.search(/\s(?=\S+:\d+:\d+$)/);
  if (at < 0) return { name: body, url: '' };
  return { name: body.slice(0, at), url: body.slice(at + 1).replace(/:\d+:\d+$/, '') };
}

/**
 * The stage of one sample. Kernel time is its own stage (syscalls: TCP receive and send, epoll);
 * GC and the optimising compiler are recognised anywhere on the stack (they run on helper threads
 * as well as inside a JS call); onnxruntime's own code is inference; everything else (V8 runtime
 * and builtins, libc) belongs to the innermost JavaScript function that called it, categorised as
 * the CPU profile does. A stack with no JavaScript (libuv, node's C++) is native/program.
 */
export function categorizeSample(frames: readonly PerfFrame[]): PerfCategory {
  const leaf = frames[0];
  if (!leaf) return 'native/program';
  if (leaf.dso === '[kernel.kallsyms]' || leaf.symbol.startsWith('[k]')) return 'kernel';
  if (frames.some((f) => GC.test(f.symbol))) return 'GC';
  if (frames.some((f) => COMPILE.test(f.symbol))) return 'JIT compile';
  if (/onnxruntime/.test(leaf.dso)) return 'inference';
  for (const f of frames) {
    const js = jsFrame(f.symbol);
    if (!js) continue;
    const c = categorize(js.name, js.url);
    return c === 'idle' ? 'native/program' : c;
  }
  return 'native/program';
}

export interface PerfSummary {
  readonly samples: number;
  readonly byCategory: Map<PerfCategory, number>;
  /** Samples whose thread is a process's main thread (tid == pid). */
  readonly mainThread: number;
  /** Samples by process id (a cluster's primary and each worker). */
  readonly byProcess: Map<number, number>;
  /** Samples by shared object of the leaf frame (JIT code: `[JIT]`). */
  readonly byDso: Map<string, number>;
  /** Leaf symbols by samples. */
  readonly leaves: Map<string, { samples: number; category: PerfCategory }>;
}

export function summarizePerf(samples: readonly PerfSample[]): PerfSummary {
  const byCategory = new Map<PerfCategory, number>();
  const byDso = new Map<string, number>();
  const byProcess = new Map<number, number>();
  const leaves = new Map<string, { samples: number; category: PerfCategory }>();
  let mainThread = 0;
  for (const s of samples) {
    const category = categorizeSample(s.frames);
    byCategory.set(category, (byCategory.get(category) ?? 0) + 1);
    if (s.pid === s.tid) mainThread++;
    byProcess.set(s.pid, (byProcess.get(s.pid) ?? 0) + 1);
    const leaf = s.frames[0];
    const dso = leaf ? (/^\/tmp\/perf-\d+\.map$/.test(leaf.dso) ? '[JIT]' : leaf.dso.replace(/^.*\//, '')) : '?';
    byDso.set(dso, (byDso.get(dso) ?? 0) + 1);
    const name = leaf ? shortenPaths(leaf.symbol.replace(/^JS:[*~^+-]?/, 'JS ')) : '?';
    const prev = leaves.get(name);
    leaves.set(name, { samples: (prev?.samples ?? 0) + 1, category });
  }
  return { samples: samples.length, byCategory, mainThread, byProcess, byDso, leaves };
}

/**
 * The summary as text. `msPerSample` turns sample counts into CPU time (1000 / frequency);
 * `streamSeconds` (streams x seconds) turns it into ms per stream-second; `rootPid`, the process
 * the others are children of, is named the primary in the by-process lines.
 */
export function formatPerfSummary(s: PerfSummary, msPerSample: number, streamSeconds: number, top = 20, rootPid?: number): string {
  const perStream = (n: number) => ((n * msPerSample) / streamSeconds).toFixed(3);
  const pct = (n: number) => ((100 * n) / s.samples).toFixed(1).padStart(5);
  const lines = [
    `perf: ${s.samples} samples = ${((s.samples * msPerSample) / 1000).toFixed(1)} s of server CPU = ${perStream(s.samples)} ms per stream-second; main threads ${pct(s.mainThread)}%, other threads ${pct(s.samples - s.mainThread)}%`,
    'by stage (% of server CPU, ms per stream-second):',
  ];
  for (const c of PERF_CATEGORIES) {
    const n = s.byCategory.get(c) ?? 0;
    lines.push(`  ${c.padEnd(16)} ${pct(n)}%  ${perStream(n).padStart(6)} ms`);
  }
  if (s.byProcess.size > 1) {
    lines.push('by process:');
    for (const [pid, n] of [...s.byProcess].sort((a, b) => b[1] - a[1])) {
      lines.push(`  ${pct(n)}%  ${perStream(n).padStart(6)} ms  ${pid === rootPid ? 'primary' : 'worker'} ${pid}`);
    }
  }
  lines.push('by shared object of the leaf frame:');
  for (const [dso, n] of [...s.byDso].sort((a, b) => b[1] - a[1]).slice(0, 8)) lines.push(`  ${pct(n)}%  ${dso}`);
  lines.push(`top ${top} leaf symbols:`);
  for (const [name, { samples, category }] of [...s.leaves].sort((a, b) => b[1].samples - a[1].samples).slice(0, top)) {
    lines.push(`  ${pct(samples)}%  ${category.padEnd(16)} ${name}`);
  }
  return lines.join('\n');
}

/** `perf` on PATH, or a message saying how to get it. */
export function perfAvailable(): string | undefined {
  try {
    execFileSync('perf', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'perf is not installed: apt-get install -y linux-perf (Debian), then run as root or with kernel.perf_event_paranoid <= 1';
  }
}

/** A running `perf record` of some processes (every thread); stop() ends it and waits for the file. */
export interface PerfRecording {
  stop(): Promise<void>;
}

export function recordPerf(pids: readonly number[], outFile: string, hz: number): PerfRecording {
  const child: ChildProcess = spawn('perf', ['record', '-e', 'cpu-clock', '-F', String(hz), '-g', '-p', pids.join(','), '-o', outFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    stop: async () => {
      child.kill('SIGINT');
      const code = await exited;
      if (code !== 0 && code !== null) throw new Error(`perf record exited ${code}: ${err.trim()}`);
    },
  };
}

/** The samples of a perf.data file, through `perf script`. */
export function readPerfData(file: string): PerfSample[] {
  const text = execFileSync('perf', ['script', '-i', file, '-F', 'pid,tid,ip,sym,dso'], { maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return parsePerfScript(text);
}
