/** Reading /metrics text (metrics.ts): a histogram's share at a bucket bound, over every label set. */
import { describe, expect, it } from 'vitest';
import { parseExposition, shareAtMost } from './metrics.js';

const TEXT = [
  '# TYPE undertone_label_latency_seconds histogram',
  'undertone_label_latency_seconds_bucket{le="0.05",band="wideband"} 6',
  'undertone_label_latency_seconds_bucket{le="0.1",band="wideband"} 8',
  'undertone_label_latency_seconds_bucket{le="+Inf",band="wideband"} 10',
  'undertone_label_latency_seconds_count{band="wideband"} 10',
  'undertone_label_latency_seconds_bucket{le="0.05",band="narrowband"} 1',
  'undertone_label_latency_seconds_bucket{le="0.1",band="narrowband"} 2',
  'undertone_label_latency_seconds_bucket{le="+Inf",band="narrowband"} 10',
  'undertone_label_latency_seconds_count{band="narrowband"} 10',
].join('\n');

describe('shareAtMost', () => {
  it('sums the bucket and the count over every label set', () => {
    const s = parseExposition(TEXT);
    expect(shareAtMost(s, 'undertone_label_latency_seconds', 0.1)).toBeCloseTo(10 / 20, 12);
    expect(shareAtMost(s, 'undertone_label_latency_seconds', 0.05)).toBeCloseTo(7 / 20, 12);
  });

  it('is undefined for a histogram without observations, and 0 at a bound it does not have', () => {
    const s = parseExposition(TEXT);
    expect(shareAtMost(s, 'undertone_inference_queue_wait_seconds', 0.1)).toBeUndefined();
    expect(shareAtMost(s, 'undertone_label_latency_seconds', 0.2)).toBe(0);
  });
});
