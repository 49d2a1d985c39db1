/**
 * The batch's progress bar on stderr, with the per-file error lines written above it rather than
 * through it (cli-progress's MultiBar keeps a log area above its bars; training/progress.ts's
 * single bar has none, and an error written across it was overwritten by its next redraw). Drawn
 * only on a terminal: in a pipe or CI log there are only the error lines and the summary.
 */
import cliProgress from 'cli-progress';

export interface BatchProgress {
  tick(): void;
  /** Writes one line to stderr (above the bar while it is drawn). */
  message(line: string): void;
  stop(): void;
}

export function batchProgress(total: number, draw: boolean): BatchProgress {
  if (!draw) return { tick() {}, message: (line) => process.stderr.write(line + '\n'), stop() {} };
  const multi = new cliProgress.MultiBar(
    { format: 'predict [{bar}] {percentage}% {value}/{total} files, eta {eta_formatted}', stream: process.stderr, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  const bar = multi.create(total, 0);
  return {
    tick: () => bar.increment(),
    message: (line) => multi.log(line + '\n'),
    stop: () => {
      multi.update(); // log lines are written on a redraw: flush the last ones before the bar goes
      multi.stop();
    },
  };
}
