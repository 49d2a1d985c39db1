/**
 * Reading a server's Prometheus /metrics: sample values by name and labels, and quantiles of a
 * histogram between two scrapes (the server's own view of label latency during a run).
 */

export type Samples = Map<string, number>;

/** Every sample of a text exposition, keyed `name{labels}` exactly as printed (no labels: `name`). */
export function parseExposition(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)/.exec(line);
    if (m) samples.set(m[1], Number(m[2]));
  }
  return samples;
}

/** Metric sample names (without labels) of an exposition. */
export function sampleNames(text: string): Set<string> {
  return new Set([...parseExposition(text).keys()].map((k) => k.replace(/\{.*$/, '')));
}

export async function scrape(httpBase: string): Promise<Samples> {
  const res = await fetch(`${httpBase}/metrics`);
  if (!res.ok) throw new Error(`GET ${httpBase}/metrics: HTTP ${res.status}`);
  return parseExposition(await res.text());
}

/** Sum of every sample of `name` (all label sets). */
export function total(samples: Samples, name: string): number {
  let sum = 0;
  for (const [k, v] of samples) if (k === name || k.startsWith(`${name}{`)) sum += v;
  return sum;
}

/** Cumulative bucket counts of a histogram, by upper bound (seconds), summed over its other labels (e.g. every model band). */
export function buckets(samples: Samples, name: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const [k, v] of samples) {
    if (!k.startsWith(`${name}_bucket{`)) continue;
    const m = /[{,]le="([^"]+)"/.exec(k);
    if (!m) continue;
    const bound = m[1] === '+Inf' ? Infinity : Number(m[1]);
    out.set(bound, (out.get(bound) ?? 0) + v);
  }
  return out;
}

/** Share of a histogram's observations at or below bucket bound `le` (seconds), over every label set; undefined without observations. */
export function shareAtMost(samples: Samples, name: string, le: number): number | undefined {
  const count = total(samples, `${name}_count`);
  return count > 0 ? (buckets(samples, name).get(le) ?? 0) / count : undefined;
}

/**
 * Quantile q of the observations made between two scrapes, interpolated linearly within its
 * bucket as Prometheus's histogram_quantile does (ms). NaN without observations.
 */
export function bucketQuantile(before: Samples, after: Samples, name: string, q: number): number {
  const b0 = buckets(before, name);
  const b1 = buckets(after, name);
  const bounds = [...b1.keys()].sort((a, b) => a - b);
  const count = (b: number): number => (b1.get(b) ?? 0) - (b0.get(b) ?? 0);
  const all = count(Infinity);
  if (all <= 0) return NaN;
  const target = q * all;
  let prevBound = 0;
  let prevCount = 0;
  for (const b of bounds) {
    const c = count(b);
    if (c >= target) {
      if (b === Infinity) return prevBound * 1000;
      return (prevBound + ((b - prevBound) * (target - prevCount)) / Math.max(1e-9, c - prevCount)) * 1000;
    }
    prevBound = b;
    prevCount = c;
  }
  return NaN;
}

/** Mean of a histogram's observations between two scrapes. */
export function histogramMean(before: Samples, after: Samples, name: string): number {
  const n = total(after, `${name}_count`) - total(before, `${name}_count`);
  return n > 0 ? (total(after, `${name}_sum`) - total(before, `${name}_sum`)) / n : NaN;
}
