/**
 * Plain-text rendering of Metrics for the terminal (the CLI prints it at the end of a long run),
 * plus the number formatting shared with the Markdown report.
 */
import type { MeanStd, Metrics } from './metrics.js';

/** A fraction as a percentage with `digits` decimals ("71.3"); "—" for NaN (no samples). */
export function pct(fraction: number, digits = 1): string {
  return Number.isFinite(fraction) ? (fraction * 100).toFixed(digits) : '—';
}

/** A fold aggregate as "71.3 ± 2.4" (percent), or "—" when there was nothing to aggregate. */
export function formatMeanStd(ms: MeanStd, digits = 1): string {
  if (!Number.isFinite(ms.mean)) return '—';
  return `${pct(ms.mean, digits)} ± ${pct(ms.std, digits)}`;
}

function withUnit(fraction: number): string {
  return Number.isFinite(fraction) ? `${pct(fraction)} %` : '—';
}

export interface ClassRow {
  readonly label: string;
  readonly precision: string;
  readonly recall: string;
  readonly f1: string;
  readonly support: string;
}

/**
 * Per-class rows as display strings. A class with no support has no meaningful recall or F1 (it is
 * left out of UAR and macro-F1): those show as "—". Its precision stays (0.0 if it was predicted).
 */
export function classRows(metrics: Metrics): ClassRow[] {
  return metrics.confusion.labels.map((label) => {
    const c = metrics.perClass[label];
    if (!c) throw new Error(`metrics.perClass has no entry for "${label}"`);
    const supported = c.support > 0;
    return {
      label,
      precision: pct(c.precision),
      recall: supported ? pct(c.recall) : '—',
      f1: supported ? pct(c.f1) : '—',
      support: String(c.support),
    };
  });
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - [...text].length));
  return align === 'left' ? text + fill : fill + text;
}

/** Aligns rows of cells into columns; the first column is left-aligned, the rest right-aligned. */
function layout(rows: string[][], gap = 2): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows.map((row) =>
    row
      .map((cell, i) => pad(cell, widths[i], i === 0 ? 'left' : 'right'))
      .join(' '.repeat(gap))
      .trimEnd(),
  );
}

export interface TableOptions {
  /** A heading line printed above the table. */
  readonly title?: string;
  /** Also print the confusion matrix (counts; rows = true, columns = predicted). */
  readonly confusion?: boolean;
}

/**
 * A plain-text table of one Metrics: per-class precision/recall/F1 (percent) and support, then
 * accuracy, UAR and macro-F1, e.g.
 *
 *   class      precision  recall    F1  support
 *   neutral         80.0    66.7  72.7        6
 *   ...
 *   accuracy   71.3 %   (n = 480)
 *   UAR        69.8 %
 *   macro-F1   69.1 %
 */
export function formatMetricsTable(metrics: Metrics, options: TableOptions = {}): string {
  const lines: string[] = [];
  if (options.title) lines.push(options.title, '='.repeat([...options.title].length));
  const header = ['class', 'precision', 'recall', 'F1', 'support'];
  const body = classRows(metrics).map((r) => [r.label, r.precision, r.recall, r.f1, r.support]);
  const table = layout([header, ...body]);
  lines.push(table[0], '-'.repeat(Math.max(...table.map((l) => l.length))), ...table.slice(1), '');
  lines.push(
    ...layout([
      ['accuracy', withUnit(metrics.accuracy), `(n = ${metrics.n})`],
      ['UAR', withUnit(metrics.uar), ''],
      ['macro-F1', withUnit(metrics.macroF1), ''],
    ]),
  );
  const unsupported = metrics.confusion.labels.filter((l) => metrics.perClass[l]?.support === 0);
  if (unsupported.length > 0) {
    lines.push(`(no samples of ${unsupported.join(', ')}: excluded from UAR and macro-F1)`);
  }
  if (options.confusion) {
    const { labels, matrix } = metrics.confusion;
    lines.push('', 'confusion (rows = true, columns = predicted)');
    lines.push(...layout([['', ...labels], ...labels.map((l, i) => [l, ...matrix[i].map(String)])]));
  }
  return lines.join('\n') + '\n';
}
