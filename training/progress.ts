/**
 * Progress for long work: a cli-progress bar on a terminal, a line every 10% otherwise (CI logs),
 * both on stderr so --json output on stdout stays clean.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  tick(n?: number): void;
  stop(summary?: string): void;
}

export function progress(title: string, total: number, quiet = false): Progress {
  const started = Date.now();
  if (quiet || total === 0) return { tick() {}, stop(summary) { if (summary && !quiet) process.stderr.write(`${title}: ${summary}\n`); } };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${title} [{bar}] {percentage}% {value}/{total} eta {eta_formatted}`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return {
      tick: (n = 1) => bar.increment(n),
      stop: (summary) => {
        bar.stop();
        if (summary) process.stderr.write(`${title}: ${summary}\n`);
      },
    };
  }
  let done = 0;
  let nextReport = 0.1;
  process.stderr.write(`${title}: 0/${total}\n`);
  return {
    tick(n = 1) {
      done += n;
      if (done / total >= nextReport) {
        const s = (Date.now() - started) / 1000;
        process.stderr.write(`${title}: ${done}/${total} (${Math.round((100 * done) / total)}%, ${s.toFixed(0)} s)\n`);
        while (done / total >= nextReport) nextReport += 0.1;
      }
    },
    stop(summary) {
      if (summary) process.stderr.write(`${title}: ${summary}\n`);
    },
  };
}
