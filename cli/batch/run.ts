/**
 * Runs an Analyser over a list of files, keeping it busy (as many files in flight as it works on
 * at once), and hands results on in input order as soon as each is next in line, so the output
 * streams and equals the one-file path's. Counts what the end summary reports.
 */
import type { Label } from '../../core/labels.js';
import { audioSeconds, type FileAnalysis } from '../analyse-file.js';
import type { Analyser, Outcome } from './analysers.js';

export interface BatchTotals {
  readonly files: number;
  readonly failed: number;
  /** Seconds of audio analysed (recording length; both channels of a split file count once). */
  readonly audioSeconds: number;
  readonly wallSeconds: number;
  /** Overall label counts over files (per channel with --split-channels); null = no speech. */
  readonly labels: Map<Label | null, number>;
}

export interface BatchCallbacks {
  onResult(a: FileAnalysis): void;
  onFailure(message: string): void;
  /** After each file finishes (any order): progress. */
  onSettled?(): void;
}

export async function runBatch(analyser: Analyser, files: readonly string[], cb: BatchCallbacks): Promise<BatchTotals> {
  const started = performance.now();
  const outcomes: (Outcome | undefined)[] = new Array(files.length);
  let emitted = 0;
  let failed = 0;
  let seconds = 0;
  const labels = new Map<Label | null, number>();
  const emitReady = (): void => {
    while (emitted < files.length && outcomes[emitted]) {
      const o = outcomes[emitted]!;
      outcomes[emitted++] = undefined; // free the timeline once written
      if (!o.ok) {
        failed++;
        cb.onFailure(o.message);
        continue;
      }
      seconds += audioSeconds(o.analysis);
      for (const p of o.analysis.predictions) labels.set(p.label, (labels.get(p.label) ?? 0) + 1);
      cb.onResult(o.analysis);
    }
  };
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      outcomes[i] = await analyser.analyse(files[i]);
      cb.onSettled?.();
      emitReady();
    }
  };
  await Promise.all(Array.from({ length: Math.min(analyser.concurrency, files.length) }, lane));
  return { files: files.length, failed, audioSeconds: seconds, wallSeconds: (performance.now() - started) / 1000, labels };
}

/** The end summary line. */
export function summaryLine(t: BatchTotals, jobs: number, skipped: number): string {
  const speed = t.wallSeconds > 0 ? `${(t.audioSeconds / t.wallSeconds).toFixed(0)}x real time` : '';
  const labels = [...t.labels.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([l, n]) => `${l ?? 'no speech'} ${n}`)
    .join(', ');
  return (
    `summary: ${t.files - t.failed} of ${t.files} files analysed` +
    (t.failed ? `, ${t.failed} failed` : '') +
    (skipped ? `, ${skipped} non-audio files in folders skipped` : '') +
    `; ${t.audioSeconds.toFixed(1)} s of audio in ${t.wallSeconds.toFixed(1)} s (${speed}, ${jobs} job${jobs > 1 ? 's' : ''})` +
    (labels ? `; labels: ${labels}` : '')
  );
}
