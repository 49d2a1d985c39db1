/**
 * Inference throughput of the shipped model: windows per second at batch 1/8/32/64 on one
 * thread (what one server process gets), on real windows cut from corpus speech.
 *
 *   npm run bench:inference [-- --batches 1,8,16,32,64 --windows 640]
 */
import { parseArgs } from 'node:util';
import { modelDir } from '../server/process/paths.js';
import { EmotionModel } from '../core/model/emotion-model.js';
import { analyzerFor } from '../core/predict.js';
import { corpusSpeech } from './lib/audio.js';
import { timeBatches } from './lib/inference.js';
import { announceConditions } from './lib/machine.js';
import { parseOrExit } from './lib/args.js';
import { integer, integers } from '../server/process/parsers.js';

const { values } = parseArgs({ options: { batches: { type: 'string', default: '1,8,16,32,64' }, windows: { type: 'string', default: '640' } } });
const batches = parseOrExit('bench:inference', () => integers(1, 4096)(String(values.batches), '--batches'));
const windows = parseOrExit('bench:inference', () => integer(1, 1e7)(String(values.windows), '--windows'));

announceConditions();
const model = await EmotionModel.load(modelDir());
const analyzer = analyzerFor(model.metadata);
const voiced = analyzer.push(await corpusSpeech(40)).filter((d) => d.voiced);
const input = new Float32Array(voiced.length * model.windowFrames * model.dim);
voiced.forEach((d, i) => input.set(d.features, i * d.features.length));
console.log(`model ${model.metadata.name} ${model.metadata.version}: window ${model.windowFrames} frames x ${model.dim}, onnxruntime-node, 1 intra-op thread; ${voiced.length} real voiced windows`);
console.log('batch   ms/call   us/window   windows/s   (one real-time stream needs <= 1 window/s)');
const rows = await timeBatches(model, batches, windows, input);
for (const r of rows) {
  console.log(`${String(r.batch).padStart(5)} ${r.msPerCall.toFixed(2).padStart(9)} ${r.usPerWindow.toFixed(0).padStart(11)} ${r.windowsPerSecond.toFixed(0).padStart(11)}`);
}
const one = rows.find((r) => r.batch === 1);
const best = rows.reduce((a, r) => (r.windowsPerSecond > a.windowsPerSecond ? r : a));
if (one) console.log(`batch ${best.batch} scores ${(best.windowsPerSecond / one.windowsPerSecond).toFixed(1)}x the windows/s of batch 1`);
await model.release();
