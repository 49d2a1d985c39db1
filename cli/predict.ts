/** `undertone predict FILE... [--json] [--model DIR]`: per-second timeline and overall label of files. */
import { parseArgs } from 'node:util';
import { decodeAudioFile } from '../core/audio/decode-file.js';
import { AudioInputError } from '../core/errors.js';
import { EmotionModel } from '../core/model/emotion-model.js';
import { predictSamples, type Prediction, type Scores } from '../core/predict.js';
import { modelDir } from './paths.js';

export const PREDICT_USAGE = `usage: undertone predict FILE... [--json] [--model DIR]

Prints, for each WAV or Ogg Opus file, a label every second of audio (the window the live server
uses) and the file's overall label (mean of the voiced seconds' scores). Silent seconds are marked
"silence" and get no label. --json prints one JSON object per file per line.`;

function top(scores: Scores, n: number): string {
  return Object.entries(scores)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .slice(0, n)
    .map(([l, p]) => `${l} ${((p ?? 0) * 100).toFixed(0)}%`)
    .join(', ');
}

function printHuman(file: string, p: Prediction): void {
  const lines = [`${file} (${(p.durationMs / 1000).toFixed(2)} s): ${p.label ? `${p.label} — ${top(p.scores!, 3)}` : 'no speech detected'}`];
  for (const e of p.timeline) {
    const at = `${(e.startMs / 1000).toFixed(1).padStart(5)}-${(e.endMs / 1000).toFixed(1).padEnd(5)}s`;
    lines.push(`  ${String(e.second).padStart(3)}  ${at}  ${e.voiced ? `${e.label!.padEnd(9)} ${top(e.scores!, 3)}` : 'silence'}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

export async function runPredict(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, model: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || positionals.length === 0) {
    process.stderr.write(PREDICT_USAGE + '\n');
    return values.help ? 0 : 2;
  }
  const model = await EmotionModel.load(modelDir(values.model));
  let failed = 0;
  for (const file of positionals) {
    try {
      const samples = await decodeAudioFile(file);
      if (samples.length === 0) throw new AudioInputError('no audio samples (empty or truncated)', file);
      const p = await predictSamples(model, samples);
      if (values.json) process.stdout.write(JSON.stringify({ file, ...p }) + '\n');
      else printHuman(file, p);
    } catch (e) {
      failed++;
      const msg = e instanceof AudioInputError ? e.message : `${file}: ${(e as Error).message}`;
      process.stderr.write(`undertone predict: ${msg}\n`);
    }
  }
  await model.release();
  return failed > 0 ? 1 : 0;
}
