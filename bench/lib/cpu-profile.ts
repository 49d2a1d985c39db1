/**
 * Summary of V8 .cpuprofile files (`node --cpu-prof`): self time per function, grouped into the
 * categories that decide a stream's cost on the server: inference (onnxruntime), features,
 * decode, ws/JSON/network, GC, metrics/logging, and the rest.
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

export const CATEGORIES = ['inference', 'features', 'decode', 'ws/JSON/net', 'GC', 'metrics/logging', 'session/server', 'other JS/node', 'native/program', 'idle'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Which category a function belongs to, by its script URL and name. */
export function categorize(functionName: string, url: string): Category {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)' || functionName === '(root)') return 'native/program';
  if (url.includes('onnxruntime') || url.includes('/core/model/emotion-model') || url.includes('/server/inference/scheduler') || url.includes('/server/pipeline/naive-engine') && functionName === 'naiveScore') return 'inference';
  if (url.includes('/core/features/') || url.includes('fft.js') || url.includes('/core/model/window') || url.includes('/core/stream-analyzer') || url.includes('/server/pipeline/naive-engine')) return 'features';
  if (url.includes('/core/audio/') || url.includes('opus-decoder') || url.includes('codec-parser') || url.includes('/server/pipeline/audio-input')) return 'decode';
  if (url.includes('/node_modules/ws/') || url.startsWith('node:net') || url.startsWith('node:internal/stream') || url.startsWith('node:internal/net') || url.startsWith('node:_http') || url.startsWith('node:internal/streams') || url.startsWith('node:stream') || url.includes('/core/protocol/') || functionName === 'stringify' || functionName === 'parse' || functionName === 'writev' || functionName === 'writeBuffer' || functionName === 'writeUtf8String') return 'ws/JSON/net';
  if (url.includes('prom-client') || url.includes('/node_modules/express/') || url.includes('pino') || url.includes('/server/process/metrics') || url.includes('/server/process/logger') || url.includes('sonic-boom')) return 'metrics/logging';
  if (url.includes('/server/') || url.includes('/core/predict')) return 'session/server';
  return 'other JS/node';
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
      const short = url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/');
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
