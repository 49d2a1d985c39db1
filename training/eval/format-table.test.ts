import { describe, expect, it } from 'vitest';
import type { Label } from '../../core/labels.js';
import { formatMeanStd, formatMetricsTable, pct } from './format-table.js';
import { computeMetrics, meanStd } from './metrics.js';

// The hand-worked example of metrics.test.ts: neutral P 2/3 R 1/2 F1 4/7, happy P 1/2 R 2/3 F1 4/7,
// sad P R F1 2/3; accuracy 0.6, UAR 11/18 = 61.1 %, macro-F1 38/63 = 60.3 %.
const labels: Label[] = ['neutral', 'happy', 'sad'];
const example = computeMetrics(labels, [0, 0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 0, 1, 2, 1, 1, 0, 2, 2, 1]);

describe('pct / formatMeanStd', () => {
  it('formats fractions as percentages and NaN as a dash', () => {
    expect(pct(0.6111)).toBe('61.1');
    expect(pct(1)).toBe('100.0');
    expect(pct(0.5, 0)).toBe('50');
    expect(pct(NaN)).toBe('—');
    expect(formatMeanStd(meanStd([0.6, 0.7, 0.8]))).toBe('70.0 ± 10.0');
    expect(formatMeanStd(meanStd([]))).toBe('—');
  });
});

describe('formatMetricsTable', () => {
  it('prints one aligned row per class and the summary', () => {
    const text = formatMetricsTable(example, { title: 'RAVDESS, utterance level' });
    const lines = text.split('\n');
    expect(lines[0]).toBe('RAVDESS, utterance level');
    expect(lines[1]).toBe('='.repeat(lines[0].length));
    expect(lines[2]).toMatch(/^class\s+precision\s+recall\s+F1\s+support$/);
    expect(text).toMatch(/^neutral\s+66\.7\s+50\.0\s+57\.1\s+4$/m);
    expect(text).toMatch(/^happy\s+50\.0\s+66\.7\s+57\.1\s+3$/m);
    expect(text).toMatch(/^sad\s+66\.7\s+66\.7\s+66\.7\s+3$/m);
    expect(text).toMatch(/^accuracy\s+60\.0 %\s+\(n = 10\)$/m);
    expect(text).toMatch(/^UAR\s+61\.1 %$/m);
    expect(text).toMatch(/^macro-F1\s+60\.3 %$/m);
    // Columns line up: every class row has the same length as the header (right-aligned numbers).
    const header = lines[2];
    for (const l of labels) expect(lines.find((x) => x.startsWith(l + ' '))!.length).toBe(header.length);
    expect(text).not.toContain('confusion');
  });

  it('shows dashes and a note for a class with no samples', () => {
    const m = computeMetrics(['neutral', 'happy', 'angry'], [0, 1], [2, 1]);
    const text = formatMetricsTable(m);
    // angry: predicted once, never true → precision 0.0 shown, recall and F1 undefined
    expect(text).toMatch(/^angry\s+0\.0\s+—\s+—\s+0$/m);
    expect(text).toContain('(no samples of angry: excluded from UAR and macro-F1)');
    const full = computeMetrics(['neutral', 'happy'], [0, 1], [0, 1]);
    expect(formatMetricsTable(full)).not.toContain('no samples');
  });

  it('optionally prints the confusion matrix', () => {
    const text = formatMetricsTable(example, { confusion: true });
    expect(text).toContain('confusion (rows = true, columns = predicted)');
    expect(text).toMatch(/^\s+neutral\s+happy\s+sad$/m);
    expect(text).toMatch(/^neutral\s+2\s+1\s+1$/m);
    expect(text).toMatch(/^happy\s+1\s+2\s+0$/m);
    expect(text).toMatch(/^sad\s+0\s+1\s+2$/m);
  });

  it('prints dashes for an empty evaluation instead of NaN', () => {
    const text = formatMetricsTable(computeMetrics(['neutral'], [], []));
    expect(text).not.toContain('NaN');
    expect(text).toMatch(/^accuracy\s+—\s+\(n = 0\)$/m);
  });
});
