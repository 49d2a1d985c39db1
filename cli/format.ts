/** Human-readable label lines shared by `undertone predict` and `undertone stream`. */
import type { Scores } from '../core/protocol/index.js';
import type { TimelineEntry } from '../core/predict.js';

/** The n most probable labels with their percentages, e.g. "angry 62%, happy 20%". */
export function topScores(scores: Scores, n: number): string {
  return Object.entries(scores)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .slice(0, n)
    .map(([l, p]) => `${l} ${((p ?? 0) * 100).toFixed(0)}%`)
    .join(', ');
}

/** One second of a timeline (or one live emotion message) as an indented line. */
export function formatSecond(e: TimelineEntry): string {
  const at = `${(e.startMs / 1000).toFixed(1).padStart(5)}-${(e.endMs / 1000).toFixed(1).padEnd(5)}s`;
  return `  ${String(e.second).padStart(3)}  ${at}  ${e.voiced ? `${e.label!.padEnd(9)} ${topScores(e.scores!, 3)}` : 'silence'}`;
}

/** One alert as a line (live `undertone stream` and `undertone predict --summary` alike). */
export function formatAlert(a: { readonly rule: string; readonly endMs: number; readonly label: string; readonly score: number }): string {
  return `alert ${a.rule} at ${(a.endMs / 1000).toFixed(1)} s: ${a.label} ${a.score.toFixed(2)}`;
}
