/**
 * `undertone train`: the shipped model (held-out speakers of every corpus present) or, with --cv,
 * speaker-group cross-validation of one corpus for the headline numbers. Long work: progress on
 * stderr, a summary at the end, a report with confusion matrices in --report.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Label } from '../core/labels.js';
import { meanStd } from '../training/eval/metrics.js';
import { formatMetricsTable } from '../training/eval/format-table.js';
import { type Outcome, sectionsOf } from '../training/evaluate.js';
import type { FitOptions } from '../training/fit-runner.js';
import { corporaRoot, type ManifestRow, readManifest } from '../training/manifest.js';
import { writeEvaluationReport } from '../training/report.js';
import { heldOutSplit, speakerFolds, speakersOf } from '../training/splits.js';
import { trainModel } from '../training/train.js';
import { modelDir, PROJECT_ROOT } from '../server/process/paths.js';
import { ConfigError, decimal, integer } from '../server/process/parsers.js';

export const TRAIN_USAGE = `usage: undertone train [options]

  --corpora DIR        corpus folder with manifest.csv (env UNDERTONE_CORPORA, default ../shared/corpora)
  --out DIR            model directory to write (default: models/ of the project)
  --report DIR         where the evaluation report goes (default docs/evaluation)
  --work DIR           scratch space (default .cache/work)
  --cv CORPUS          cross-validate over speaker groups of CORPUS instead of training the shipped model
  --folds N            folds for --cv (default 6: RAVDESS 4 actors per fold)
  --cv-extra           in --cv, also train on every other corpus present
  --corpus LIST        only these corpora (comma-separated)
  --max-per-speaker N  at most N files per speaker (tiny runs, tests)
  --window S           model window in seconds (default 3)
  --augment N          augmented copies per training file (default 2)
  --telephone P        probability that an augmented copy also goes through a simulated 8 kHz
                       G.711 telephone line (μ-law or A-law, half of them band-passed to 300-3400
                       Hz; default 0)
  --epochs N           maximum epochs (default 60); --patience N early-stopping patience (default 12)
  --seed N             random seed (default 1)
  --channels LIST      CNN channels (default 64,128,128,128)
  --no-specaugment     disable time/feature masking
  --mixup A            mixup alpha (default 0: off)
  --no-balance         do not balance classes when sampling
  --arch cnn1d|cnn2d   1-D CNN over frames (default) or 2-D CNN over the log-mel plane
  --cmn                cepstral mean normalisation over each window (inside the model)
  --threads N          PyTorch threads (default 2; use 1 when the machine is busy: 2 threads
                       slow down 5-10x when another process competes for a core, measured)
  --windows-per-clip N training windows drawn per clip per epoch (default 1)
  --name NAME          model name in the metadata
  --tag TAG            with --cv: name of this experiment (report docs/evaluation/cv-CORPUS-TAG.md)`;

/**
 * At most `max` files per speaker for tiny runs, spread over emotions: each speaker's files are
 * taken round-robin over its emotions, starting at a different emotion per speaker, so a small
 * sample still covers every class across speakers.
 */
export function limitPerSpeaker(rows: readonly ManifestRow[], max: number | undefined): ManifestRow[] {
  if (!max) return [...rows];
  const out: ManifestRow[] = [];
  const speakers = [...new Set(rows.map((r) => r.speaker))].sort();
  speakers.forEach((speaker, si) => {
    const own = rows.filter((r) => r.speaker === speaker).sort((a, b) => a.path.localeCompare(b.path));
    const emotions = [...new Set(own.map((r) => r.emotion))].sort();
    const queues = emotions.map((e) => own.filter((r) => r.emotion === e));
    const picked: ManifestRow[] = [];
    for (let round = 0; picked.length < Math.min(max, own.length); round++) {
      for (let k = 0; k < queues.length && picked.length < max; k++) {
        const r = queues[(k + si) % queues.length][round];
        if (r) picked.push(r);
      }
    }
    out.push(...picked);
  });
  return out;
}

export async function runTrain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      corpora: { type: 'string' },
      out: { type: 'string' },
      report: { type: 'string' },
      work: { type: 'string' },
      cv: { type: 'string' },
      folds: { type: 'string', default: '6' },
      'cv-extra': { type: 'boolean', default: false },
      corpus: { type: 'string' },
      'max-per-speaker': { type: 'string' },
      window: { type: 'string', default: '3' },
      augment: { type: 'string', default: '2' },
      telephone: { type: 'string', default: '0' },
      epochs: { type: 'string', default: '60' },
      patience: { type: 'string', default: '12' },
      seed: { type: 'string', default: '1' },
      channels: { type: 'string' },
      'no-specaugment': { type: 'boolean', default: false },
      mixup: { type: 'string' },
      'no-balance': { type: 'boolean', default: false },
      cmn: { type: 'boolean', default: false },
      arch: { type: 'string', default: 'cnn1d' },
      threads: { type: 'string' },
      'windows-per-clip': { type: 'string', default: '1' },
      name: { type: 'string' },
      tag: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stderr.write(TRAIN_USAGE + '\n');
    return 0;
  }
  const telephone = Number(values.telephone);
  if (!(telephone >= 0 && telephone <= 1)) {
    process.stderr.write(`undertone train: --telephone must be a probability from 0 to 1, got ${values.telephone}\n`);
    return 2;
  }
  // The other numbers through the server's parsers: a typo stops here, naming the flag, instead of training on NaN.
  let n: { folds: number; window: number; augment: number; epochs: number; patience: number; seed: number; windowsPerClip: number; maxPerSpeaker?: number; mixup?: number; threads?: number };
  try {
    n = {
      folds: integer(2, 1000)(values.folds, '--folds'),
      window: decimal(0.5, 60)(values.window, '--window'),
      augment: integer(0, 1000)(values.augment, '--augment'),
      epochs: integer(1, 100_000)(values.epochs, '--epochs'),
      patience: integer(0, 100_000)(values.patience, '--patience'),
      seed: integer(0, 2 ** 32 - 1)(values.seed, '--seed'),
      windowsPerClip: integer(1, 1000)(values['windows-per-clip'], '--windows-per-clip'),
      ...(values['max-per-speaker'] ? { maxPerSpeaker: integer(1, 1e9)(values['max-per-speaker'], '--max-per-speaker') } : {}),
      ...(values.mixup ? { mixup: decimal(0, 100)(values.mixup, '--mixup') } : {}),
      ...(values.threads ? { threads: integer(1, 1024)(values.threads, '--threads') } : {}),
    };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`undertone train: ${e.message}\n`);
    return 2;
  }
  const started = Date.now();
  const root = corporaRoot(values.corpora);
  const manifest = await readManifest(join(root, 'manifest.csv'), root);
  for (const s of manifest.skipped) process.stderr.write(`undertone train: manifest.csv:${s.line}: skipped (${s.reason})\n`);
  let rows = manifest.rows;
  if (values.corpus) {
    const keep = new Set(values.corpus.split(','));
    rows = rows.filter((r) => keep.has(r.corpus));
  }
  rows = limitPerSpeaker(rows, n.maxPerSpeaker);
  const fit: FitOptions = {
    epochs: n.epochs,
    patience: n.patience,
    seed: n.seed,
    channels: values.channels,
    specaugment: !values['no-specaugment'],
    mixup: n.mixup,
    balance: values['no-balance'] ? 'none' : 'class',
    cmn: values.cmn,
    arch: values.arch === 'cnn2d' ? 'cnn2d' : 'cnn1d',
    threads: n.threads,
    windowsPerClip: n.windowsPerClip,
  };
  const common = {
    windowSeconds: n.window,
    augmentCopies: n.augment,
    telephoneProb: telephone,
    seed: n.seed,
    fit,
    name: values.name,
  };
  const work = resolve(values.work ?? join(PROJECT_ROOT, '.cache/work'));
  const reportDir = resolve(values.report ?? join(PROJECT_ROOT, 'docs/evaluation'));
  const corpora = [...new Set(rows.map((r) => r.corpus))].sort();
  process.stderr.write(`corpora in ${root}: ${corpora.map((c) => `${c} ${rows.filter((r) => r.corpus === c).length}`).join(', ')}\n`);

  if (values.cv) {
    const corpus = values.cv;
    const extra = values['cv-extra'] ? rows.filter((r) => r.corpus !== corpus) : [];
    const folds = speakerFolds(rows, corpus, n.folds, extra);
    const outcomes: Outcome[] = [];
    const foldUar: number[] = [];
    const foldAcc: number[] = [];
    const foldF1: number[] = [];
    let labels: readonly Label[] = [];
    for (const [i, split] of folds.entries()) {
      process.stderr.write(`\n== fold ${i + 1}/${folds.length}: test speakers ${speakersOf(split.test).join(' ')} ==\n`);
      const foldDir = join(work, `cv-${corpus}${values.tag ? `-${values.tag}` : ''}`, `fold${i + 1}`);
      const r = await trainModel({ ...common, split, modelDir: join(foldDir, 'model'), workDir: foldDir });
      const ev = r.evaluation!;
      const own = ev.outcomes.filter((o) => o.corpus === corpus);
      const m = sectionsOf(ev.labels, own).merged.utterance;
      foldUar.push(m.uar);
      foldAcc.push(m.accuracy);
      foldF1.push(m.macroF1);
      labels = ev.labels;
      outcomes.push(...own);
      process.stderr.write(`fold ${i + 1}: accuracy ${(m.accuracy * 100).toFixed(1)} %, UAR ${(m.uar * 100).toFixed(1)} %, macro-F1 ${(m.macroF1 * 100).toFixed(1)} % (${((r.seconds) / 60).toFixed(1)} min)\n`);
    }
    const pooled = sectionsOf(labels, outcomes);
    const u = meanStd(foldUar);
    const a = meanStd(foldAcc);
    const f = meanStd(foldF1);
    const summary = {
      corpus,
      tag: values.tag ?? null,
      command: `undertone train ${argv.join(' ')}`,
      folds: folds.length,
      extraCorpora: values['cv-extra'] ? [...new Set(extra.map((r) => r.corpus))] : [],
      uar: u,
      accuracy: a,
      macroF1: f,
      perFold: foldUar.map((x, i) => ({ fold: i + 1, testSpeakers: speakersOf(folds[i].test), uar: x, accuracy: foldAcc[i], macroF1: foldF1[i] })),
      pooledUtterance: { accuracy: pooled.merged.utterance.accuracy, uar: pooled.merged.utterance.uar, macroF1: pooled.merged.utterance.macroF1 },
      pooledWindow: { accuracy: pooled.merged.window.accuracy, uar: pooled.merged.window.uar, macroF1: pooled.merged.window.macroF1 },
      recipe: { ...common },
      minutes: (Date.now() - started) / 60000,
    };
    await mkdir(reportDir, { recursive: true });
    const base = `cv-${corpus}${values.tag ? `-${values.tag}` : values['cv-extra'] ? '-extra' : ''}`;
    await writeFile(join(reportDir, `${base}.json`), JSON.stringify(summary, null, 1));
    await writeEvaluationReport(reportDir, base, { ...pooled, outcomes, labels, skippedLabels: {}, failures: [], unvoicedFiles: 0 }, {
      title: `${corpus} ${folds.length}-fold speaker-independent cross-validation`,
      split: `${folds.length} folds of ${corpus} speakers (${folds.map((s, i) => `fold ${i + 1}: ${speakersOf(s.test).join(' ')}`).join('; ')}); in each fold one group is the test set, the next the validation set for early stopping, the rest train${values['cv-extra'] ? ', plus every file of the other corpora' : ''}. Confusion matrices pool the test predictions of all folds. Per-fold UAR ${foldUar.map((x) => (x * 100).toFixed(1)).join(', ')} %: mean ${(u.mean * 100).toFixed(1)} ± ${(u.std * 100).toFixed(1)} %.`,
    });
    process.stdout.write(formatMetricsTable(pooled.merged.utterance, { title: `${corpus} cross-validation, pooled utterance level`, confusion: true }) + '\n');
    process.stdout.write(`\nsummary: ${corpus} ${folds.length}-fold UAR ${(u.mean * 100).toFixed(1)} ± ${(u.std * 100).toFixed(1)} %, accuracy ${(a.mean * 100).toFixed(1)} ± ${(a.std * 100).toFixed(1)} %, macro-F1 ${(f.mean * 100).toFixed(1)} ± ${(f.std * 100).toFixed(1)} % in ${summary.minutes.toFixed(1)} min; report in ${reportDir}/${base}.md\n`);
    return 0;
  }

  const split = heldOutSplit(rows);
  const out = modelDir(values.out);
  const r = await trainModel({ ...common, split, modelDir: out, workDir: join(work, 'final') });
  if (r.evaluation) {
    const ev = r.evaluation;
    const written = await writeEvaluationReport(reportDir, 'model', ev, {
      title: `Shipped model ${r.metadata.name} ${r.metadata.version}: held-out speakers`,
      split: `Speaker-independent: test speakers ${speakersOf(split.test).join(', ')}; validation (early stopping) speakers ${speakersOf(split.validation).join(', ')}; every other speaker trains (${split.train.length} files, ${speakersOf(split.train).length} speakers). Augmented copies (${common.augmentCopies} per file) of training files only.`,
      notes: `Window ${common.windowSeconds} s, best epoch ${r.fit.best_epoch} of ${r.fit.epochs_run}, ${r.fit.params} parameters, trained in ${(r.seconds / 60).toFixed(1)} min.`,
    });
    for (const s of ev.sections) process.stdout.write(formatMetricsTable(s.utterance, { title: `${s.name} (held-out speakers), utterance level` }) + '\n\n');
    const m = ev.merged.utterance;
    process.stdout.write(`summary: model in ${out}; held-out merged accuracy ${(m.accuracy * 100).toFixed(1)} %, UAR ${(m.uar * 100).toFixed(1)} %, macro-F1 ${(m.macroF1 * 100).toFixed(1)} % (n = ${m.n}); ${(r.seconds / 60).toFixed(1)} min; report ${written.markdown}\n`);
  } else {
    process.stdout.write(`summary: model in ${out}; no test speakers to evaluate; ${(r.seconds / 60).toFixed(1)} min\n`);
  }
  return 0;
}
