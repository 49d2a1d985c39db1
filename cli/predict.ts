/**
 * `undertone predict DIR|FILE... [--jobs N] [--format text|jsonl|csv] [--per second|file]
 * [--split-channels] [--model DIR]`: per-second timeline and overall label of audio files, one
 * file in this thread or a batch over worker threads (cli/batch/).
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { readModelFiles } from '../core/model/metadata.js';
import { type Band, BANDS } from '../core/protocol/index.js';
import { type Analyser, LocalAnalyser, WorkerPool } from './batch/analysers.js';
import { expandInputs } from './batch/inputs.js';
import { batchProgress } from './batch/progress.js';
import { OUTPUT_FORMATS, OUTPUT_LEVELS, type OutputFormat, type OutputLevel, createWriter } from './batch/output.js';
import { runBatch, summaryLine } from './batch/run.js';
import { bandModels, type ModelChoice, modelDirs } from './models.js';
import { modelDir } from '../server/process/paths.js';

export const PREDICT_USAGE = `usage: undertone predict DIR|FILE... [--jobs N] [--format text|jsonl|csv] [--per second|file]
                        [--split-channels] [--summary] [--json] [--band auto|wideband|narrowband] [--model DIR] [--no-progress]

Prints, for each audio file, a label every second of audio (the window the live server uses) and
the file's overall label (mean of the voiced seconds' scores). Silent seconds are marked
"silence" and get no label. Formats are recognised by content, not by name: WAV (PCM 8/16/24/32-bit,
float, G.711 μ-law/A-law, extensible), MP3, FLAC, Ogg Vorbis, Ogg Opus, at any rate and channel
count. A folder is walked recursively in name order; files that are not audio by content are
skipped and counted, unless named like audio (.wav .mp3 .flac .ogg .oga .opus): an empty or
damaged recording is reported, not skipped.

--split-channels   each channel is its own session with its own timeline (a dual-channel call
                   recording: channel 0 the caller, channel 1 the agent); otherwise channels are averaged
--summary          also the call summary of each timeline, as a live session of the same audio ends with
                   (docs/insight.md): settled segments, share of voiced time per label, peak arousal,
                   alerts, under the model's own smoothing and alert rules; in text output and in
                   per-file JSON lines (--json), not in CSV or per-second JSON lines
--jobs N           files analysed at once, each in its own worker thread (default: one per core, ${availableParallelism()} here)
--format F         text (default), jsonl (one JSON object per record) or csv (header line, then records)
--per second|file  one record per second of each timeline (default) or one per file (per channel
                   with --split-channels); jsonl per file holds the whole timeline
--json             the same as --format jsonl --per file
--band B           auto (default): each file gets the model the live server gives a stream of it, the
                   telephone-band model (models/narrowband) for G.711 WAV and anything recorded at 8 kHz
                   or less, the wideband one (models/) otherwise; wideband or narrowband forces one
                   (e.g. narrowband for phone calls that were saved upsampled to 16 kHz)
--model DIR        one model for every file instead (the records name the model that labelled each file)
--no-progress      no progress bar (it is drawn on stderr only when stderr is a terminal)

Results are written in input order and are the same whatever --jobs is. Each file that cannot be
read is reported on stderr on one line naming it and the problem; the exit status is then 1.
With more than one file, a summary line (files, audio seconds, speed, labels) ends stderr.`;

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

class UsageError extends Error {}

function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(text)}`);
  return text as T;
}

export async function runPredict(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        format: { type: 'string' },
        per: { type: 'string' },
        jobs: { type: 'string' },
        'split-channels': { type: 'boolean', default: false },
        summary: { type: 'boolean', default: false },
        'no-progress': { type: 'boolean', default: false },
        model: { type: 'string' },
        band: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`undertone predict: ${(e as Error).message}\n${PREDICT_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    process.stderr.write(PREDICT_USAGE + '\n');
    return values.help ? 0 : 2;
  }
  let format: OutputFormat, level: OutputLevel, jobs: number, band: Band | undefined;
  try {
    band = values.band === undefined || values.band === 'auto' ? undefined : oneOf('band', values.band, BANDS);
    format = values.json ? 'jsonl' : oneOf('format', values.format ?? 'text', OUTPUT_FORMATS);
    level = values.json ? 'file' : oneOf('per', values.per ?? 'second', OUTPUT_LEVELS);
    jobs = values.jobs === undefined ? availableParallelism() : positiveInt('jobs', values.jobs);
    if (values.summary && format === 'csv') throw new UsageError('--summary has no CSV form: use --format text or --json');
    if (values.summary && format === 'jsonl' && level === 'second') throw new UsageError('--summary goes in per-file records: use --json (or --format jsonl --per file)');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`undertone predict: ${e.message}\n`);
    return 2;
  }

  const models: ModelChoice = values.model !== undefined ? { fixed: modelDir(values.model) } : bandModels(modelDir(), band);
  const setup = { models, splitChannels: values['split-channels'], summary: values.summary };
  // Check the models here, once, with their own message, before any worker starts.
  const checked = await Promise.all(modelDirs(models).map((dir) => readModelFiles(dir)));
  const labels = checked[0].metadata.labels;
  for (const [i, { metadata }] of checked.entries()) {
    if (metadata.labels.join() !== labels.join()) throw new Error(`${modelDirs(models)[i]}: its labels (${metadata.labels.join(', ')}) differ from ${modelDirs(models)[0]}'s (${labels.join(', ')})`);
  }
  const inputs = await expandInputs(positionals);
  const batch = inputs.files.length > 1;
  jobs = Math.max(1, Math.min(jobs, inputs.files.length));
  const analyser: Analyser = jobs > 1 ? new WorkerPool(setup, jobs) : await LocalAnalyser.create(setup);
  const writer = createWriter(format, level, labels, (text) => process.stdout.write(text));
  const bar = batchProgress(inputs.files.length, batch && !values['no-progress'] && process.stderr.isTTY === true);
  try {
    const totals = await runBatch(analyser, inputs.files, {
      onResult: (a) => writer.write(a),
      onFailure: (message) => bar.message(`undertone predict: ${message}`),
      onSettled: () => bar.tick(),
    });
    bar.stop();
    if (batch || inputs.skipped > 0) process.stderr.write(`undertone predict: ${summaryLine(totals, jobs, inputs.skipped)}\n`);
    return totals.failed > 0 ? 1 : 0;
  } finally {
    await analyser.close();
  }
}
