/** `undertone evaluate --manifest CSV [--root DIR] [--model DIR] [--held-out] [--channel C] [--json] [--report DIR]` */
import { parseArgs } from 'node:util';
import { TELEPHONE_CHANNEL_NAMES, parseTelephoneChannel } from '../core/audio/telephone.js';
import { EmotionModel } from '../core/model/emotion-model.js';
import { evaluateModel } from '../training/evaluate.js';
import { formatMetricsTable } from '../training/eval/format-table.js';
import { readManifest } from '../training/manifest.js';
import { writeEvaluationReport } from '../training/report.js';
import { heldOutSplit, speakersOf } from '../training/splits.js';
import { modelDir } from '../server/process/paths.js';

export const EVALUATE_USAGE = `usage: undertone evaluate --manifest CSV [--root DIR] [--model DIR] [--held-out]
                         [--channel ${TELEPHONE_CHANNEL_NAMES.join('|')}] [--split-channels] [--json] [--report DIR [--report-name NAME]]

Evaluates a model on any labelled set in the manifest format (path,emotion[,corpus,speaker,...];
paths relative to --root, default the manifest's folder). Rows whose emotion the model lacks are
skipped and counted. --held-out keeps only the test speakers of the shipped model's split
(training/splits.ts heldOutSplit over every row of the manifest, as \`undertone train\` does).
--channel passes every file through a simulated telephone line first: 8 kHz, G.711 μ-law or
A-law, back to 16 kHz; the -bp variants add the 300-3400 Hz band of an analogue line.
--json prints one JSON object (accuracy, uar, macroF1, perClass, confusion, n at utterance
level, plus window-level figures and per-corpus sections). A manifest row with a \`channel\` column
value is evaluated on that channel of its file alone (a dual-channel call: one row per party);
--split-channels evaluates every channel of the other rows' files as its own session, each with
the row's label (otherwise channels are averaged). --report writes a Markdown report
with confusion-matrix SVGs into DIR, as NAME.md (default evaluation, or evaluation-CHANNEL with
--channel). --model DIR picks the model (default models/, the wideband one); --model
models/narrowband evaluates the telephone-band model the server uses for G.711/8 kHz/Twilio
streams (e.g. with --channel g711-mulaw).`;

export async function runEvaluate(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      manifest: { type: 'string' },
      root: { type: 'string' },
      model: { type: 'string' },
      json: { type: 'boolean', default: false },
      report: { type: 'string' },
      'report-name': { type: 'string' },
      'held-out': { type: 'boolean', default: false },
      channel: { type: 'string' },
      'split-channels': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.manifest) {
    process.stderr.write(EVALUATE_USAGE + '\n');
    return values.help ? 0 : 2;
  }
  const channel = values.channel === undefined ? undefined : parseTelephoneChannel(values.channel);
  if (values.channel !== undefined && !channel) {
    process.stderr.write(`undertone evaluate: --channel must be one of ${TELEPHONE_CHANNEL_NAMES.join(', ')}\n`);
    return 2;
  }
  const manifest = await readManifest(values.manifest, values.root);
  for (const s of manifest.skipped) process.stderr.write(`undertone evaluate: ${values.manifest}:${s.line}: skipped (${s.reason})\n`);
  const rows = values['held-out'] ? heldOutSplit(manifest.rows).test : manifest.rows;
  const model = await EmotionModel.load(modelDir(values.model));
  const ev = await evaluateModel(model, rows, { quiet: values.json, channel, splitChannels: values['split-channels'] });
  await model.release();
  for (const f of ev.failures) process.stderr.write(`undertone evaluate: ${f.file}: ${f.error}\n`);
  const skipped = Object.values(ev.skippedLabels).reduce((a, b) => a + (b ?? 0), 0);
  if (values.report) {
    const written = await writeEvaluationReport(values.report, values['report-name'] ?? (channel ? `evaluation-${values.channel}` : 'evaluation'), ev, {
      title: `Evaluation of ${model.metadata.name} ${model.metadata.version}${channel ? ` through a telephone channel (${values.channel})` : ''}`,
      split:
        (values['held-out']
          ? `Held-out test speakers of manifest \`${values.manifest}\` (the shipped model's split): ${speakersOf(rows).join(', ')}; ${rows.length} rows`
          : `Manifest \`${values.manifest}\`: ${rows.length} rows`) +
        `, ${skipped} skipped (label unknown to the model), ${ev.failures.length} unreadable.` +
        (channel ? ` Every file passed through the simulated telephone channel ${values.channel} (core/audio/telephone.ts: 16 kHz -> 8 kHz${channel.bandpass ? ' -> 300-3400 Hz band-pass' : ''} -> G.711 ${channel.law} encode/decode -> 16 kHz).` : ''),
    });
    process.stderr.write(`report: ${written.markdown}\n`);
  }
  if (values.json) {
    const u = ev.merged.utterance;
    process.stdout.write(
      JSON.stringify({
        ...u,
        channel: values.channel ?? null,
        window: ev.merged.window,
        sections: Object.fromEntries(ev.sections.map((s) => [s.name, { utterance: s.utterance, window: s.window }])),
        skipped: { unknownLabel: ev.skippedLabels, unreadable: ev.failures.length, manifestRows: manifest.skipped.length },
      }) + '\n',
    );
  } else {
    for (const s of ev.sections) {
      process.stdout.write(formatMetricsTable(s.utterance, { title: `${s.name}: utterance level`, confusion: s.name === 'merged' || ev.sections.length === 1 }) + '\n\n');
      process.stdout.write(`${s.name}: window level: accuracy ${(s.window.accuracy * 100).toFixed(1)} %, UAR ${(s.window.uar * 100).toFixed(1)} % (n = ${s.window.n})\n\n`);
    }
    process.stdout.write(`summary: ${ev.merged.utterance.n} files, accuracy ${(ev.merged.utterance.accuracy * 100).toFixed(1)} %, UAR ${(ev.merged.utterance.uar * 100).toFixed(1)} %, macro-F1 ${(ev.merged.utterance.macroF1 * 100).toFixed(1)} %; ${skipped} skipped (unknown label), ${ev.failures.length} unreadable\n`);
  }
  return ev.failures.length > 0 ? 1 : 0;
}
