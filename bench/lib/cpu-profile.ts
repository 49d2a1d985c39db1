/**
 * Summary of V8 .cpuprofile files (`node --cpu-prof`): self time per function, grouped into the
 * stages that decide a stream's cost on the server: decode, resample, features, window assembly,
 * inference, ws framing and network, JSON, metrics, logging, GC, and the rest.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export const CATEGORIES = [
  'decode',
  'resample',
  'features',
  'window assembly',
  'inference',
  'ws framing/net',
  'JSON',
  'metrics',
  'logging',
  'GC',
  'session/server',
  'other JS/node',
  'native/program',
  'idle',
] as const;
export type Category = (typeof CATEGORIES)[number];

const has = (url: string, ...parts: string[]): boolean => parts.some((p) => url.includes(p));

/**
 * Which stage of a stream's pipeline a function belongs to, by its script URL and name. WASM
 * functions (wasm://) are PFFFT's on the PCM path (the feature FFT); with Opus input the
 * decoder's WASM counts here too.
 */
export function categorize(functionName: string, url: string): Category {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)' || functionName === '(root)') return 'native/program';
  if (has(url, 'onnxruntime', '/core/model/emotion-model', '/server/inference/') || (url.includes('/server/pipeline/naive-engine') && functionName === 'naiveScore')) return 'inference';
  if (has(url, '/core/audio/resample')) return 'resample';
  if (has(url, '/core/features/history', '/core/model/window', '/core/model/session-stats')) return 'window assembly';
  if (has(url, '/core/features/', 'fft.js', 'pffft', '/core/stream-analyzer', '/server/pipeline/naive-engine') || url.startsWith('wasm://')) return 'features';
  if (has(url, '/core/audio/', 'opus-decoder', 'codec-parser', '/server/pipeline/audio-input')) return 'decode';
  if (has(url, '/core/protocol/') || functionName === 'stringify' || functionName === 'parse') return 'JSON';
  if (
    has(url, '/node_modules/ws/', '/node_modules/express/') ||
    ['node:net', 'node:internal/stream', 'node:internal/net', 'node:_http', 'node:internal/streams', 'node:stream'].some((p) => url.startsWith(p)) ||
    ['writev', 'writeBuffer', 'writeUtf8String'].includes(functionName)
  ) {
    return 'ws framing/net';
  }
  if (has(url, 'prom-client', '/server/process/metrics')) return 'metrics';
  if (has(url, 'pino', 'sonic-boom', '/server/process/logger')) return 'logging';
  if (has(url, '/server/', '/core/predict', '/core/supervision/')) return 'session/server';
  return 'other JS/node';
}

/**
 * Our files and dependencies by their place in the repository: `file:///work/main/dist/core/x.js`
 * -> `dist/core/x.js`, `/work/main/node_modules/ws/lib/r.js` -> `node_modules/ws/lib/r.js`
 * (V8 names ES modules by URL, CommonJS ones by path). Anywhere in `text`.
 */
export function shortenPaths(text: string): string {
  return text.replace(/(?:file:\/\/)?\/[^\s:]*?\/(node_modules|dist)\//g, '$1/');
}

export interface FunctionTime {
  readonly name: string;
  readonly location: string;
  readonly category: Category;
  readonly ms: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly byCategory: Map<Category, number>;
  readonly functions: FunctionTime[];
}

/**
 * Which part of a profile to count, in ms before the profile's end (the process exit): e.g. the
 * load phase only, leaving out start-up (module loading, model load) and the drain.
 */
export interface ProfileWindow {
  readonly fromMsBeforeEnd: number;
  readonly toMsBeforeEnd: number;
}

/** Self time of every function over one or more profiles (ms), optionally within a window. */
export function summarizeProfiles(files: readonly string[], window?: ProfileWindow): ProfileSummary {
  const byKey = new Map<string, FunctionTime>();
  let totalMs = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const selfUs = new Map<number, number>();
    // timeDeltas[i] is the time before sample i; sample i lasts until sample i + 1.
    let t = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      t += profile.timeDeltas[i];
      const dt = i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1] : 0;
      const beforeEndMs = (profile.endTime - t) / 1000;
      if (window && (beforeEndMs > window.fromMsBeforeEnd || beforeEndMs < window.toMsBeforeEnd)) continue;
      selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + Math.max(0, dt));
    }
    for (const [id, us] of selfUs) {
      const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
      const name = functionName || '(anonymous)';
      const short = shortenPaths(url);
      const location = url ? `${short}:${lineNumber + 1}` : '';
      const key = `${name}@${location}`;
      const prev = byKey.get(key);
      const ms = us / 1000;
      totalMs += ms;
      byKey.set(key, { name, location, category: categorize(functionName, url), ms: (prev?.ms ?? 0) + ms });
    }
  }
  const byCategory = new Map<Category, number>();
  for (const f of byKey.values()) byCategory.set(f.category, (byCategory.get(f.category) ?? 0) + f.ms);
  return { totalMs, byCategory, functions: [...byKey.values()].sort((a, b) => b.ms - a.ms) };
}

export function formatSummary(s: ProfileSummary, top = 15): string {
  const busy = s.totalMs - (s.byCategory.get('idle') ?? 0);
  const lines = [`profiled ${(s.totalMs / 1000).toFixed(1)} s, busy ${(busy / 1000).toFixed(1)} s (${((100 * busy) / s.totalMs).toFixed(0)}%)`, 'self time by category (% of busy time):'];
  for (const c of CATEGORIES) {
    if (c === 'idle') continue;
    const ms = s.byCategory.get(c) ?? 0;
    lines.push(`  ${c.padEnd(16)} ${(ms / 1000).toFixed(2).padStart(7)} s ${((100 * ms) / busy).toFixed(1).padStart(6)}%`);
  }
  lines.push(`top ${top} functions by self time (idle excluded):`);
  for (const f of s.functions.filter((x) => x.category !== 'idle').slice(0, top)) {
    lines.push(`  ${((100 * f.ms) / busy).toFixed(1).padStart(5)}%  ${f.category.padEnd(16)} ${f.name}  ${f.location}`);
  }
  return lines.join('\n');
}

/** Collections of one kind in a --trace-gc log: how many and their summed pause (ms). */
export interface GcKind {
  count: number;
  pauseMs: number;
}

/**
 * Counts the collections in node --trace-gc output, by kind (Scavenge, Mark-Compact, ...). A line
 * reads e.g. `[pid:0x..]  1234 ms: Scavenge 12.3 (14.5) -> 11.2 (15.0) MB, 0.85 / 0.00 ms ...`:
 * the first figure after "MB," is the pause.
 */
export function summarizeGcTrace(log: string): Map<string, GcKind> {
  const kinds = new Map<string, GcKind>();
  for (const m of log.matchAll(/ ms: ([A-Za-z-]+(?: \(reduce\))?) [^\n]*?MB, ([\d.]+) \/ [\d.]+ ms/g)) {
    const k = kinds.get(m[1]) ?? { count: 0, pauseMs: 0 };
    k.count++;
    k.pauseMs += Number(m[2]);
    kinds.set(m[1], k);
  }
  return kinds;
}

export function formatGcTrace(kinds: Map<string, GcKind>, seconds: number): string {
  if (kinds.size === 0) return 'GC (--trace-gc): no collection logged';
  const parts = [...kinds].map(([kind, k]) => `${kind} x${k.count} (${(k.count / seconds).toFixed(1)}/s, ${k.pauseMs.toFixed(0)} ms paused)`);
  return `GC during the load run (--trace-gc): ${parts.join(', ')}`;
}
