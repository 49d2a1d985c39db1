/**
 * Prints the ablation table (Markdown) from the cross-validation summaries that
 * `undertone train --cv CORPUS --tag TAG` writes (docs/evaluation/cv-*.json).
 *
 *   node dist/training/ablation-table.js [DIR]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

interface MeanStd {
  mean: number;
  std: number;
}
interface CvSummary {
  corpus: string;
  tag: string | null;
  command?: string;
  folds: number;
  uar: MeanStd;
  accuracy: MeanStd;
  macroF1: MeanStd;
  pooledWindow: { uar: number };
  minutes: number;
}

const dir = resolve(process.argv[2] ?? 'docs/evaluation');
const runs = readdirSync(dir)
  .filter((f) => /^cv-.*\.json$/.test(f))
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as CvSummary)
  .sort((a, b) => a.uar.mean - b.uar.mean);
const pct = (m: MeanStd) => `${(m.mean * 100).toFixed(1)} ± ${(m.std * 100).toFixed(1)}`;
console.log('| run | folds | UAR % | accuracy % | macro-F1 % | window-level UAR % | minutes | command |');
console.log('|---|---:|---:|---:|---:|---:|---:|---|');
for (const r of runs) {
  console.log(
    `| ${r.tag ?? r.corpus} | ${r.folds} | ${pct(r.uar)} | ${pct(r.accuracy)} | ${pct(r.macroF1)} | ${(r.pooledWindow.uar * 100).toFixed(1)} | ${r.minutes.toFixed(0)} | \`${r.command ?? ''}\` |`,
  );
}
