/**
 * `undertone train`: the shipped model (held-out speakers of every corpus present) or, with --cv,
 * RAVDESS actor folds and leave-one-corpus-out cross-validation for the headline numbers. Long work: progress on
 * stderr, a summary at the end, a report with confusion matrices in --report.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_AUGMENT_POLICY, ffmpegInstalled } from '../training/augment/index.js';
import { cvGroupsError, runCrossValidation, summaryLines } from '../training/cross-validation.js';
import { formatMetricsTable } from '../training/eval/format-table.js';
import { ARCHS, type Arch, DEFAULT_AUGMENT_COPIES, DEFAULT_RECIPE, type FitOptions } from '../training/fit-runner.js';
import { corporaRoot, readManifest, selectRows } from '../training/manifest.js';
import { writeEvaluationReport } from '../training/report.js';
import { isPreset, PRESETS } from '../training/presets.js';
import { heldOutSplit, speakersOf } from '../training/splits.js';
import { SHIP_TEACHER } from '../training/teacher/paths.js';
import { trainModel } from '../training/train.js';
import { lockWorkDir, WorkDirBusy } from '../training/work-lock.js';
import { MODELS_DIR, modelDir, PROJECT_ROOT } from '../server/process/paths.js';
import { ConfigError, decimal, integer, oneOf } from '../server/process/parsers.js';

export const TRAIN_USAGE = `usage: undertone train [options]

  --preset NAME        the recipe of a shipped model: wideband (models/) or narrowband
                       (models/narrowband/); flags given as well override its values
  --corpora DIR        corpus folder with manifest.csv (env UNDERTONE_CORPORA, default ../shared/corpora)
  --out DIR            model directory to write (default: models/ of the project)
  --report DIR         where the evaluation report goes (default docs/evaluation with --cv or --out under
                       models/; beside the model for any other --out, so a trial keeps the installed reports)
  --work DIR           scratch space (default .cache/work)
  --cv GROUPS          cross-validate instead of training the shipped model: loco (leave one corpus
                       out) and/or a corpus name (6 speaker-group folds of it, every other corpus
                       also trains), comma-separated; the headline is --cv ravdess,loco; nested:
                       one validation corpus per LOCO fold (trained without the LOCO test corpus),
                       what choices between recipes are made on
  --corpus LIST        only these corpora (comma-separated)
  --max-per-speaker N  at most N files per speaker (tiny runs, tests)
  --window S           model window in seconds (default 3)
  --augment N          augmented copies per training file (default ${DEFAULT_AUGMENT_COPIES})
  --telephone P        probability that an augmented copy also goes through a simulated 8 kHz
                       G.711 telephone line (μ-law or A-law, half of them band-passed to 300-3400
                       Hz; default 0)
  --pad P              probability that an augmented copy is padded with 0-1.5 s of quiet before
                       and after (digital zeros, 16-bit dither or a -95 to -70 dBFS hiss, drawn
                       without regard to the label; default 0)
  --room P             probability that an augmented copy is played in a simulated room (RT60
                       0.15-0.9 s, direct-to-reverberant ratio 0-15 dB) through a coloured
                       microphone (shelves within ±6 dB below 250 Hz and above 4 kHz); default 0
  --codec P            probability that an augmented copy is encoded and decoded with a lossy codec
                       (MP3 24-64 kb/s, AAC 24-48, Opus 10-24, G.722 or 8-bit μ-law at 16 kHz, by
                       Debian's ffmpeg: scripts/ensure-sox-ffmpeg.sh); default 0
  --epochs N           maximum epochs (default ${DEFAULT_RECIPE.epochs}); --patience N early-stopping patience (default ${DEFAULT_RECIPE.patience})
  --steps N            batches of 64 windows per epoch (default ${DEFAULT_RECIPE.steps})
  --norm MODE          global | session | both: global feature normalisation, per-session running
                       normalisation, or both side by side (default ${DEFAULT_RECIPE.norm})
  --prior-frames N     session normalisation: pseudo-frames of the global prior (default ${DEFAULT_RECIPE.priorFrames})
  --balance MODE       corpus-class | class | none: how training clips are drawn (default ${DEFAULT_RECIPE.balance})
  --seed N             random seed (default 1)
  --net-seed N         the nets' seed alone (default: --seed): the training copies, the folds and the
                       evaluation's session order stay those of --seed, so runs on one bundle differ
                       only in their nets and can be combined (training/cv-ensemble.ts)
  --members K          seed ensemble: K nets fitted with seeds N .. N+K-1 (N: --net-seed, else --seed),
                       their calibrated scores averaged in one model.onnx (default ${DEFAULT_RECIPE.members}; K times
                       the training and inference cost); --teacher-out PATH writes the ensemble's scores of its
                       training clips there, a teacher for --teacher (with --cv a folder of <fold>.json)
  --channels LIST      CNN channels (default 48,96,128,128)
  --no-specaugment     disable time/feature masking
  --mixup A            mixup alpha (default ${DEFAULT_RECIPE.mixup}: off)
  --adversary W        domain-adversarial training: a head learns which training corpus a window
                       came from and the CNN gets its gradient reversed, scaled up to W (DANN;
                       default ${DEFAULT_RECIPE.adversary}: off; not with --mixup or cnn2d)
  --label-sets MODE    all | corpus: a training window's loss over every class, or only over the
                       classes its corpus has, so no corpus teaches that its voices never sound
                       like a class it lacks (default ${DEFAULT_RECIPE.labelSets})
  --weight-decay W     AdamW's decoupled weight decay (default ${DEFAULT_RECIPE.weightDecay})
  --lr-schedule S      one-cycle | constant: the learning rate annealed to ~0 after a warm-up, or
                       held after the same warm-up, for --ema to average over (default ${DEFAULT_RECIPE.lrSchedule})
  --ema DECAY          validate and export an exponential moving average of the weights, updated
                       every batch with this decay (e.g. 0.998; default ${DEFAULT_RECIPE.ema}: off)
  --pooling MODE       stats | attentive: the 1-D CNN pools its frames with equal weights (mean and
                       std) or with weights a small scorer learns (attentive statistics pooling;
                       default ${DEFAULT_RECIPE.pooling})
  --arch A             cnn1d: 1-D CNN over frames (default); cnn2d: 2-D CNN over the log-mel plane;
                       stem2d: two 2-D convolutions over the log-mel plane in front of the 1-D CNN;
                       crnn: stem2d, then a bidirectional GRU over its steps, pooled beside them
  --teacher PATH       distil a teacher's scores (training/teacher/: a JSON file of per-clip logits; with
                       --cv a folder of <fold>.json, cross-fitted so no clip's scores come from a head
                       that saw it); --kd-alpha A (default 0.5) weight of that term, --kd-temperature T (default 2)
  --control length     control run: every real frame blanked, so only padding and length are left
  --jobs N             with --cv: folds fitted by N processes side by side (default 1; 2 uses both
                       cores of an otherwise idle 2-core machine)
  --resume             with --cv: keep each fold that an earlier run of the same --tag, recipe and
                       clips finished (a run cut off and started again); other folds are fitted
  --threads N          PyTorch threads (default 1; 2 only on an otherwise idle machine)
  --name NAME          model name in the metadata
  --tag TAG            with --cv: name of this experiment (report docs/evaluation/cv-TAG-*.md)`;

/** The flags of `undertone train` and their defaults (exported for the presets test). */
export const TRAIN_OPTIONS = {
  corpora: { type: 'string' },
  out: { type: 'string' },
  report: { type: 'string' },
  work: { type: 'string' },
  cv: { type: 'string' },
  corpus: { type: 'string' },
  'max-per-speaker': { type: 'string' },
  window: { type: 'string', default: '3' },
  augment: { type: 'string', default: String(DEFAULT_AUGMENT_COPIES) },
  telephone: { type: 'string', default: '0' },
  pad: { type: 'string', default: '0' },
  room: { type: 'string', default: '0' },
  codec: { type: 'string', default: '0' },
  epochs: { type: 'string', default: String(DEFAULT_RECIPE.epochs) },
  patience: { type: 'string', default: String(DEFAULT_RECIPE.patience) },
  steps: { type: 'string', default: String(DEFAULT_RECIPE.steps) },
  norm: { type: 'string', default: DEFAULT_RECIPE.norm },
  'prior-frames': { type: 'string', default: String(DEFAULT_RECIPE.priorFrames) },
  balance: { type: 'string', default: DEFAULT_RECIPE.balance },
  seed: { type: 'string', default: '1' },
  'net-seed': { type: 'string' },
  members: { type: 'string', default: String(DEFAULT_RECIPE.members) },
  channels: { type: 'string' },
  'no-specaugment': { type: 'boolean', default: false },
  mixup: { type: 'string', default: String(DEFAULT_RECIPE.mixup) },
  adversary: { type: 'string', default: String(DEFAULT_RECIPE.adversary) },
  'label-sets': { type: 'string', default: DEFAULT_RECIPE.labelSets },
  ema: { type: 'string', default: String(DEFAULT_RECIPE.ema) },
  'lr-schedule': { type: 'string', default: DEFAULT_RECIPE.lrSchedule },
  'weight-decay': { type: 'string', default: String(DEFAULT_RECIPE.weightDecay) },
  pooling: { type: 'string', default: DEFAULT_RECIPE.pooling },
  arch: { type: 'string', default: 'cnn1d' },
  control: { type: 'string' },
  teacher: { type: 'string' },
  'teacher-out': { type: 'string' },
  'kd-alpha': { type: 'string', default: '0.5' },
  'kd-temperature': { type: 'string', default: '2' },
  threads: { type: 'string', default: '1' },
  jobs: { type: 'string', default: '1' },
  resume: { type: 'boolean', default: false },
  name: { type: 'string' },
  tag: { type: 'string' },
  preset: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Where a trained model's held-out report goes: into --report if given; for a model trained into
 * the installed models/ folder, docs/evaluation as model.md (models/) or NAME-model.md
 * (models/NAME/, e.g. narrowband-model.md), the names the docs link; a model trained anywhere
 * else keeps its report beside it, so a trial run never overwrites the installed models' reports.
 */
export function heldOutReportPlace(out: string, report: string | undefined): { dir: string; name: string } {
  const inModels = relative(MODELS_DIR, out);
  const installed = !inModels.startsWith('..') && !isAbsolute(inModels);
  const name = installed && inModels !== '' ? `${inModels.split(sep).join('-')}-model` : 'model';
  if (report !== undefined) return { dir: resolve(report), name };
  return installed ? { dir: join(PROJECT_ROOT, 'docs/evaluation'), name } : { dir: out, name };
}

export async function runTrain(argv: string[]): Promise<number> {
  const fail = (why: string): number => {
    process.stderr.write(`undertone train: ${why}\n`);
    return 2;
  };
  let { values } = parseArgs({ args: argv, options: TRAIN_OPTIONS });
  if (values.preset !== undefined) {
    if (!isPreset(values.preset)) return fail(`--preset takes ${Object.keys(PRESETS).join(' or ')}; got ${values.preset}`);
    // The preset's flags first: a flag the user gives comes later and wins (parseArgs keeps the last).
    ({ values } = parseArgs({ args: [...PRESETS[values.preset], ...argv], options: TRAIN_OPTIONS }));
  }
  if (values.help) {
    process.stderr.write(TRAIN_USAGE + '\n');
    return 0;
  }
  // Numbers through the server's parsers: a typo stops here, naming the flag, instead of training on NaN.
  let n: { norm: NonNullable<FitOptions['norm']>; balance: NonNullable<FitOptions['balance']>; labelSets: NonNullable<FitOptions['labelSets']>; lrSchedule: NonNullable<FitOptions['lrSchedule']>; pooling: NonNullable<FitOptions['pooling']>; arch: Arch; window: number; augment: number; epochs: number; patience: number; steps: number; priorFrames: number; seed: number; members: number; telephone: number; pad: number; room: number; codec: number; mixup: number; adversary: number; ema: number; weightDecay: number; kdAlpha: number; kdTemperature: number; threads: number; jobs: number; maxPerSpeaker?: number };
  try {
    n = {
      norm: oneOf(['global', 'session', 'both'] as const)(values.norm, '--norm'),
      balance: oneOf(['corpus-class', 'class', 'none'] as const)(values.balance, '--balance'),
      labelSets: oneOf(['all', 'corpus'] as const)(values['label-sets'], '--label-sets'),
      lrSchedule: oneOf(['one-cycle', 'constant'] as const)(values['lr-schedule'], '--lr-schedule'),
      pooling: oneOf(['stats', 'attentive'] as const)(values.pooling, '--pooling'),
      arch: oneOf(ARCHS)(values.arch, '--arch'),
      window: decimal(0.5, 60)(values.window, '--window'),
      augment: integer(0, 1000)(values.augment, '--augment'),
      epochs: integer(1, 100_000)(values.epochs, '--epochs'),
      patience: integer(0, 100_000)(values.patience, '--patience'),
      steps: integer(1, 1_000_000)(values.steps, '--steps'),
      priorFrames: decimal(0, 1e9)(values['prior-frames'], '--prior-frames'),
      seed: integer(0, 2 ** 32 - 1)(values.seed, '--seed'),
      members: integer(1, 16)(values.members, '--members'),
      telephone: decimal(0, 1)(values.telephone, '--telephone'),
      pad: decimal(0, 1)(values.pad, '--pad'),
      room: decimal(0, 1)(values.room, '--room'),
      codec: decimal(0, 1)(values.codec, '--codec'),
      mixup: decimal(0, 100)(values.mixup, '--mixup'),
      adversary: decimal(0, 100)(values.adversary, '--adversary'),
      ema: decimal(0, 0.99999)(values.ema, '--ema'),
      weightDecay: decimal(0, 10)(values['weight-decay'], '--weight-decay'),
      kdAlpha: decimal(0, 1)(values['kd-alpha'], '--kd-alpha'),
      kdTemperature: decimal(0.01, 100)(values['kd-temperature'], '--kd-temperature'),
      threads: integer(1, 1024)(values.threads, '--threads'),
      jobs: integer(1, 64)(values.jobs, '--jobs'),
      ...(values['max-per-speaker'] ? { maxPerSpeaker: integer(1, 1e9)(values['max-per-speaker'], '--max-per-speaker') } : {}),
    };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return fail(e.message);
  }
  const augmentPolicy = { ...DEFAULT_AUGMENT_POLICY, telephoneProb: n.telephone, padProb: n.pad, roomProb: n.room, codecProb: n.codec };
  if (n.codec > 0 && !ffmpegInstalled()) return fail('--codec needs ffmpeg: run scripts/ensure-sox-ffmpeg.sh');
  if (values.control !== undefined && values.control !== 'length') return fail(`--control must be length, got ${values.control}`);
  if (values.teacher !== undefined && !existsSync(resolve(values.teacher))) {
    // The shipped split's teacher (training/teacher/paths.ts) is a cache a fresh machine has not built yet: say how.
    const how = resolve(values.teacher) === resolve(SHIP_TEACHER) ? ' (the shipped split\'s teacher: build it with `npm run teacher:ship`, about 6 minutes)' : '';
    return fail(`--teacher ${values.teacher}: no such file or folder${how}`);
  }
  if (n.adversary > 0 && (n.mixup > 0 || n.arch !== 'cnn1d')) return fail('--adversary works with the 1-D CNN and without --mixup');
  if (n.pooling === 'attentive' && n.arch !== 'cnn1d') return fail('--pooling attentive works with the 1-D CNN');
  if (values['teacher-out'] !== undefined && n.members < 2) return fail('--teacher-out needs an ensemble to write (--members 2 or more)');
  const groups = (values.cv ?? '').split(',').filter(Boolean);
  if (values.resume && groups.length === 0) return fail('--resume keeps the folds of a cross-validation run: it needs --cv');
  const root = corporaRoot(values.corpora);
  const manifest = await readManifest(join(root, 'manifest.csv'), root);
  for (const s of manifest.skipped) process.stderr.write(`undertone train: manifest.csv:${s.line}: skipped (${s.reason})\n`);
  const rows = selectRows(manifest.rows, { corpus: values.corpus, maxPerSpeaker: n.maxPerSpeaker });
  const groupsError = cvGroupsError(rows, groups);
  if (groupsError) return fail(groupsError);
  const fit: FitOptions = {
    ...DEFAULT_RECIPE,
    epochs: n.epochs,
    patience: n.patience,
    steps: n.steps,
    norm: n.norm,
    priorFrames: n.priorFrames,
    balance: n.balance,
    seed: n.seed,
    ...(values['net-seed'] !== undefined ? { netSeed: integer(0, 2 ** 32 - 1)(values['net-seed'], '--net-seed') } : {}),
    members: n.members,
    ...(values['teacher-out'] ? { teacherOut: resolve(values['teacher-out']) } : {}),
    channels: values.channels,
    specaugment: !values['no-specaugment'],
    mixup: n.mixup,
    adversary: n.adversary,
    ema: n.ema,
    lrSchedule: n.lrSchedule,
    weightDecay: n.weightDecay,
    labelSets: n.labelSets,
    pooling: n.pooling,
    arch: n.arch,
    control: values.control === 'length' ? 'length' : undefined,
    ...(values.teacher ? { teacher: resolve(values.teacher), kdAlpha: n.kdAlpha, kdTemperature: n.kdTemperature } : {}),
    threads: n.threads,
  };
  const common = {
    windowSeconds: n.window,
    augmentCopies: n.augment,
    augmentPolicy,
    seed: n.seed,
    fit,
    name: values.name,
  };
  const work = resolve(values.work ?? join(PROJECT_ROOT, '.cache/work'));
  let release: () => Promise<void>;
  try {
    release = await lockWorkDir(work);
  } catch (e) {
    if (e instanceof WorkDirBusy) return fail(e.message);
    throw e;
  }
  try {
    const corpora = [...new Set(rows.map((r) => r.corpus))].sort();
    process.stderr.write(`corpora in ${root}: ${corpora.map((c) => `${c} ${rows.filter((r) => r.corpus === c).length}`).join(', ')}\n`);

    if (groups.length > 0) {
      const reportDir = resolve(values.report ?? join(PROJECT_ROOT, 'docs/evaluation'));
      const summary = await runCrossValidation({
        rows,
        groups,
        tag: values.tag ?? 'cv',
        command: `undertone train ${argv.join(' ')}`,
        workDir: work,
        reportDir,
        augmentCopies: common.augmentCopies,
        augmentPolicy: common.augmentPolicy,
        seed: common.seed,
        windowFrames: Math.round(common.windowSeconds * 100),
        fit,
        jobs: n.jobs,
        resume: values.resume,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      for (const line of summaryLines(summary)) process.stdout.write(`${line}\n`);
      process.stdout.write(`summary: ${summary.minutes.toFixed(1)} min; reports in ${reportDir}/cv-${summary.tag}-*.md\n`);
      return 0;
    }

    const split = heldOutSplit(rows);
    const out = modelDir(values.out);
    const r = await trainModel({ ...common, split, modelDir: out, workDir: join(work, 'final') });
    if (r.evaluation) {
      const ev = r.evaluation;
      const place = heldOutReportPlace(out, values.report);
      const written = await writeEvaluationReport(place.dir, place.name, ev, {
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
  } finally {
    await release();
  }
}
