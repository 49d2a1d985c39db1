/**
 * A confusion matrix as a standalone SVG heatmap (pure string generation, no dependencies).
 * Rows are true labels, columns predicted labels. Each cell is coloured by its row-normalised rate
 * (the share of that true class predicted as the column: the diagonal is per-class recall) and
 * shows that percentage and the raw count. A column on the right gives each row's support, and a
 * colour bar the scale. Rows with no support are drawn grey with "–" instead of a percentage.
 * Each cell is one `<rect class="cell">` carrying data-true / data-pred / data-count and a
 * hover `<title>`.
 */
import type { Confusion } from './metrics.js';

/** Escapes text for use in XML character data and in double- or single-quoted attributes. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Stops of a white → dark-blue scale (ColorBrewer "Blues"), evenly spaced over [0, 1]. */
const BLUES: readonly [number, number, number][] = [
  [247, 251, 255],
  [222, 235, 247],
  [198, 219, 239],
  [158, 202, 225],
  [107, 174, 214],
  [66, 146, 198],
  [33, 113, 181],
  [8, 81, 156],
  [8, 48, 107],
];

function hex(rgb: readonly number[]): string {
  return '#' + rgb.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
}

/** Heatmap colour of a rate in [0, 1]. */
export function rateColor(rate: number): string {
  const r = Math.min(1, Math.max(0, rate)) * (BLUES.length - 1);
  const i = Math.min(BLUES.length - 2, Math.floor(r));
  const t = r - i;
  return hex(BLUES[i].map((v, c) => v + (BLUES[i + 1][c] - v) * t));
}

/** A rate as a whole percentage that never rounds a partial share to "0%" or "100%". */
function percentText(rate: number): string {
  if (rate > 0 && rate < 0.005) return '<1%';
  if (rate < 1 && rate >= 0.995) return '>99%';
  return `${Math.round(rate * 100)}%`;
}

/** Rough rendered width of sans-serif text (DejaVu Sans averages ~0.6 em per character). */
function textWidth(text: string, fontSize: number): number {
  return [...text].length * fontSize * 0.62;
}

const FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'";
const INK = '#1f2328';
const MUTED = '#6e7781';

/** A fixed-decimal number without trailing noise, for coordinates. */
function num(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

export function confusionSvg(confusion: Confusion, title: string): string {
  const { labels, matrix } = confusion;
  const k = labels.length;
  if (k === 0) throw new RangeError('confusionSvg: no labels');
  if (matrix.length !== k || matrix.some((row) => row.length !== k)) {
    throw new RangeError(`confusionSvg: matrix must be ${k}×${k} to match the labels`);
  }
  const support = matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const n = support.reduce((a, b) => a + b, 0);
  const correct = labels.reduce((a, _, i) => a + matrix[i][i], 0);

  const summary =
    n > 0
      ? `n = ${n} · accuracy ${((correct / n) * 100).toFixed(1)}% · colour = share of the true class`
      : 'n = 0 (no samples)';

  // Layout (px). The matrix is sized so that 8 classes give an image ~640 px wide.
  const cell = Math.max(40, Math.min(72, Math.floor(420 / k)));
  const labelFont = 13;
  const maxLabelW = Math.max(...labels.map((l) => textWidth(l, labelFont)));
  const margin = 16;
  const axisTitleFont = 13;
  const yTitleW = axisTitleFont + 10;
  const rowLabelW = maxLabelW + 10;
  const mx = margin + yTitleW + rowLabelW; // matrix left
  const titleFont = 16;
  const subtitleFont = 12;
  const my = margin + titleFont + 8 + subtitleFont + 26; // matrix top
  const mw = cell * k;
  // Column labels: horizontal when they fit in a cell, otherwise rotated by 45°.
  const rotate = maxLabelW > cell - 6;
  const colLabelH = rotate ? maxLabelW * Math.SQRT1_2 + labelFont / 2 : labelFont + 4;
  const xTitleY = my + mw + 8 + colLabelH + axisTitleFont + 6;
  const supportX = mx + mw + 10;
  const supportW = Math.max(textWidth('n', 12), ...support.map((s) => textWidth(String(s), 11))) + 6;
  const barX = supportX + supportW + 18;
  const barW = 14;
  const legendW = barW + 6 + textWidth('100%', 11);
  const contentW = barX + legendW + margin;
  const titleW = textWidth(title, titleFont) * 1.05 + 2 * margin;
  const summaryW = textWidth(summary, subtitleFont) + 2 * margin;
  const width = Math.ceil(Math.max(contentW, titleW, summaryW));
  // When the title is the widest part, centre the matrix under it.
  const dx = (width - contentW) / 2;
  const height = Math.ceil(xTitleY + margin);
  const centerX = width / 2;

  const out: string[] = [];
  out.push(
    `<svg xmlns='http://www.w3.org/2000/svg' width='${width}' height='${height}' viewBox='0 0 ${width} ${height}' ${FONT}>`,
    `<title>${escapeXml(title)}</title>`,
    `<defs><linearGradient id='scale' x1='0' y1='1' x2='0' y2='0'>` +
      BLUES.map((c, i) => `<stop offset='${num((i / (BLUES.length - 1)) * 100)}%' stop-color='${hex(c)}'/>`).join('') +
      `</linearGradient></defs>`,
    `<rect class='background' x='0' y='0' width='${width}' height='${height}' fill='#ffffff'/>`,
  );

  // Title and a one-line summary.
  out.push(
    `<text x='${num(centerX)}' y='${margin + titleFont}' text-anchor='middle' font-size='${titleFont}' font-weight='bold' fill='${INK}'>${escapeXml(title)}</text>`,
  );
  out.push(
    `<text x='${num(centerX)}' y='${margin + titleFont + 8 + subtitleFont}' text-anchor='middle' font-size='${subtitleFont}' fill='${MUTED}'>${escapeXml(summary)}</text>`,
  );

  out.push(`<g transform='translate(${num(dx)} 0)'>`);
  // Cells.
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const count = matrix[i][j];
      const x = mx + j * cell;
      const y = my + i * cell;
      const hasRow = support[i] > 0;
      const rate = hasRow ? count / support[i] : 0;
      const fill = hasRow ? rateColor(rate) : '#eaeef2';
      const tip = hasRow
        ? `true ${labels[i]} → predicted ${labels[j]}: ${count} of ${support[i]} (${(rate * 100).toFixed(1)}%)`
        : `true ${labels[i]}: no samples`;
      out.push(
        `<rect class='cell' data-true='${escapeXml(labels[i])}' data-pred='${escapeXml(labels[j])}' data-count='${count}' ` +
          `x='${num(x)}' y='${num(y)}' width='${cell}' height='${cell}' fill='${fill}' stroke='#ffffff' stroke-width='1'>` +
          `<title>${escapeXml(tip)}</title></rect>`,
      );
      const dark = hasRow && rate > 0.5;
      const ink = dark ? '#ffffff' : hasRow && count > 0 ? INK : MUTED;
      const cx = num(x + cell / 2);
      const big = cell >= 52 ? 14 : 12;
      const small = cell >= 52 ? 11 : 10;
      out.push(
        `<text x='${cx}' y='${num(y + cell / 2 - 1)}' text-anchor='middle' font-size='${big}'${count > 0 ? " font-weight='bold'" : ''} fill='${ink}'>${hasRow ? escapeXml(percentText(rate)) : '–'}</text>`,
        `<text x='${cx}' y='${num(y + cell / 2 + small + 3)}' text-anchor='middle' font-size='${small}' fill='${ink}'${dark ? '' : " fill-opacity='0.8'"}>${count}</text>`,
      );
    }
  }
  // Diagonal outline: the correct predictions.
  for (let i = 0; i < k; i++) {
    const x = mx + i * cell;
    const y = my + i * cell;
    out.push(
      `<rect class='diagonal' x='${num(x + 1)}' y='${num(y + 1)}' width='${cell - 2}' height='${cell - 2}' fill='none' stroke='${INK}' stroke-opacity='0.55' stroke-width='1.5'/>`,
    );
  }

  // Row labels (true) and the y-axis title.
  labels.forEach((l, i) => {
    out.push(
      `<text x='${num(mx - 8)}' y='${num(my + i * cell + cell / 2 + labelFont * 0.35)}' text-anchor='end' font-size='${labelFont}' fill='${INK}'>${escapeXml(l)}</text>`,
    );
  });
  const yTitleX = margin + axisTitleFont;
  const yTitleY = my + mw / 2;
  out.push(
    `<text x='${num(yTitleX)}' y='${num(yTitleY)}' transform='rotate(-90 ${num(yTitleX)} ${num(yTitleY)})' text-anchor='middle' font-size='${axisTitleFont}' font-weight='bold' fill='${INK}'>True label</text>`,
  );

  // Column labels (predicted) and the x-axis title.
  labels.forEach((l, j) => {
    const cx = mx + j * cell + cell / 2;
    if (rotate) {
      const ty = my + mw + 10;
      out.push(
        `<text x='${num(cx + 4)}' y='${num(ty)}' transform='rotate(-45 ${num(cx + 4)} ${num(ty)})' text-anchor='end' dominant-baseline='hanging' font-size='${labelFont}' fill='${INK}'>${escapeXml(l)}</text>`,
      );
    } else {
      out.push(
        `<text x='${num(cx)}' y='${num(my + mw + 8 + labelFont)}' text-anchor='middle' font-size='${labelFont}' fill='${INK}'>${escapeXml(l)}</text>`,
      );
    }
  });
  out.push(
    `<text x='${num(mx + mw / 2)}' y='${num(xTitleY)}' text-anchor='middle' font-size='${axisTitleFont}' font-weight='bold' fill='${INK}'>Predicted label</text>`,
  );

  // Support column.
  const supportCx = supportX + supportW / 2;
  out.push(
    `<text x='${num(supportCx)}' y='${num(my - 6)}' text-anchor='middle' font-size='12' font-style='italic' fill='${MUTED}'>n</text>`,
  );
  support.forEach((s, i) => {
    out.push(
      `<text x='${num(supportCx)}' y='${num(my + i * cell + cell / 2 + 4)}' text-anchor='middle' font-size='11' fill='${MUTED}'>${s}</text>`,
    );
  });

  // Colour bar, 0% at the bottom to 100% at the top.
  out.push(
    `<rect class='legend' x='${num(barX)}' y='${num(my)}' width='${barW}' height='${mw}' fill='url(#scale)' stroke='${MUTED}' stroke-width='0.5'/>`,
  );
  for (const p of [0, 50, 100]) {
    const y = my + mw * (1 - p / 100);
    out.push(
      `<line x1='${num(barX + barW)}' y1='${num(y)}' x2='${num(barX + barW + 3)}' y2='${num(y)}' stroke='${MUTED}' stroke-width='1'/>`,
      `<text x='${num(barX + barW + 5)}' y='${num(y + 4)}' font-size='11' fill='${MUTED}'>${p}%</text>`,
    );
  }

  out.push('</g>', '</svg>');
  return out.join('\n') + '\n';
}
