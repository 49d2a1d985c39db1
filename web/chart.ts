/** The per-second stacked-bar chart of the demo page (the sender's view and the agent view). */
import type { EmotionMessage } from '../client-sdk/index.js';

/** One stacked bar per second (scores by label), a short grey bar for silent seconds. Sets data-seconds / data-voiced for tests. */
export function drawChart(
  canvas: HTMLCanvasElement,
  seconds: readonly EmotionMessage[],
  labels: readonly string[],
  colorOf: (label: string) => string,
): void {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const g = canvas.getContext('2d')!;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const left = 34;
  const bottom = h - 22;
  const top = 8;
  const plotH = bottom - top;
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#8a93a6';
  g.strokeStyle = '#e3e6ec';
  g.lineWidth = 1;
  for (const p of [0, 0.5, 1]) {
    const y = Math.round(bottom - p * plotH) + 0.5;
    g.beginPath();
    g.moveTo(left, y);
    g.lineTo(w, y);
    g.stroke();
    g.fillText(p.toFixed(1), 6, y + 4);
  }
  const visible = Math.max(20, Math.floor((w - left) / 22));
  const shown = seconds.slice(-visible);
  const slot = (w - left) / visible;
  const bar = Math.max(2, slot - 3);
  shown.forEach((m, i) => {
    const x = left + i * slot + 1;
    if (!m.voiced || !m.scores) {
      g.fillStyle = '#dee2e6';
      g.fillRect(x, bottom - 4, bar, 4);
    } else {
      let y = bottom;
      for (const l of labels) {
        const p = (m.scores as Record<string, number>)[l] ?? 0;
        const hh = p * plotH;
        g.fillStyle = colorOf(l);
        g.fillRect(x, y - hh, bar, hh);
        y -= hh;
      }
    }
    if (m.second % 5 === 0) {
      g.fillStyle = '#8a93a6';
      g.fillText(`${m.second}s`, x, h - 6);
    }
  });
  if (seconds.length === 0) {
    g.fillStyle = '#adb5bd';
    g.fillText('scores per second appear here', left + 8, top + plotH / 2);
  }
  canvas.dataset.seconds = String(seconds.length);
  canvas.dataset.voiced = String(seconds.filter((m) => m.voiced).length);
}
