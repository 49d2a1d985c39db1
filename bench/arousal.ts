/**
 * Arousal checks of the circumplex mapping on held-out files through the shipped model: mean
 * arousal per emotion (angry, fearful, happy, surprised should sit above neutral, calm, sad) and
 * RAVDESS strong- vs normal-intensity files of the same actor and emotion.
 *
 *   npm run bench:arousal [-- --model DIR --speakers test|validation|all]
 */
import { parseArgs } from 'node:util';
import { modelDir } from '../server/process/paths.js';
import { EmotionModel } from '../core/model/emotion-model.js';
import { announceConditions } from './lib/machine.js';
import { arousalByEmotion, type FileAffect, fileAffect, HIGH_AROUSAL, intensityPairs, LOW_AROUSAL } from '../test/file-affect.js';
import { speakerRows } from './lib/synthetic-calls.js';

const { values } = parseArgs({ options: { model: { type: 'string' }, speakers: { type: 'string', default: 'test' } } });
if (!['test', 'validation', 'all'].includes(values.speakers!)) {
  process.stderr.write(`bench:arousal: --speakers must be test, validation or all, got ${JSON.stringify(values.speakers)}\n`);
  process.exit(2);
}

announceConditions();
const model = await EmotionModel.load(modelDir(values.model));
const { testSpeakers, validationSpeakers } = model.metadata.training;
const speakers = values.speakers === 'test' ? testSpeakers : values.speakers === 'validation' ? validationSpeakers : [...testSpeakers, ...validationSpeakers];
const rows = [...speakerRows(speakers, model.labels).values()].flat();
const files: FileAffect[] = [];
for (const row of rows) files.push(await fileAffect(model, row));
await model.release();

console.log(`model ${model.metadata.name} ${model.metadata.version}; ${files.length} files of the ${values.speakers} speakers ${speakers.join(' ')}`);
const byEmotion = arousalByEmotion(files);
console.log('\nmean arousal of the files (mean over each file\'s voiced seconds), by true emotion:');
for (const e of [...HIGH_AROUSAL, ...LOW_AROUSAL, 'disgust']) {
  const s = byEmotion.get(e);
  if (s) console.log(`  ${e.padEnd(10)} ${s.mean.toFixed(3).padStart(7)}  (${s.n} files)`);
}
const lowestHigh = Math.min(...HIGH_AROUSAL.map((e) => byEmotion.get(e)?.mean ?? Infinity));
const highestLow = Math.max(...LOW_AROUSAL.map((e) => byEmotion.get(e)?.mean ?? -Infinity));
console.log(`lowest of angry/fearful/happy/surprised ${lowestHigh.toFixed(3)} vs highest of neutral/calm/sad ${highestLow.toFixed(3)}: ${lowestHigh > highestLow ? 'above' : 'NOT above'}`);

const pairs = intensityPairs(files);
const above = pairs.filter((p) => p.strong > p.normal).length;
const meanDiff = pairs.reduce((s, p) => s + (p.strong - p.normal), 0) / pairs.length;
console.log(`\nRAVDESS strong vs normal intensity, same actor and emotion (${pairs.length} pairs): strong above normal in ${above}/${pairs.length}; mean difference ${meanDiff.toFixed(3)}`);
for (const p of pairs) console.log(`  ${p.speaker} ${p.emotion.padEnd(10)} normal ${p.normal.toFixed(3).padStart(7)}  strong ${p.strong.toFixed(3).padStart(7)}`);
