/** `undertone predict FILE... [--json] [--model DIR]`: per-second timeline and overall label of files. */
import { parseArgs } from 'node:util';
import { decodeAudioFile } from '../core/audio/decode-file.js';
import { AudioInputError } from '../core/errors.js';
import { EmotionModel } from '../core/model/emotion-model.js';
import { predictSamples, type Prediction } from '../core/predict.js';
import { formatSecond, topScores } from './format.js';
import { modelDir } from '../server/process/paths.js';

export const PREDICT_USAGE = `usage: undertone predict FILE... [--json] [--model DIR]

Prints, for each WAV or Ogg Opus file, a label every second of audio (the window the live server
uses) and the file's overall label (mean of the voiced seconds' scores). Silent seconds are marked
"silence" and get no label. --json prints one JSON object per file per line.
--model DIR picks the model (default: models/, the wideband model the server uses for 16 kHz
streams); --model models/narrowband is the telephone-band model the server uses for G.711, 8 kHz
and Twilio streams, i.e. what the server's labels of such a stream equal.`;

function printHuman(file: string, p: Prediction): void {
  const lines = [`${file} (${(p.durationMs / 1000).toFixed(2)} s): ${p.label ? `${p.label} — ${topScores(p.scores!, 3)}` : 'no speech detected'}`];
  for (const e of p.timeline) lines.push(formatSecond(e));
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
