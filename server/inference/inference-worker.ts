/** The worker-thread side of inference-thread.ts: loads the model, then scores batches it is sent. */
import { parentPort, workerData } from 'node:worker_threads';
import { EmotionModel } from '../../core/model/emotion-model.js';

const port = parentPort!;
try {
  const model = await EmotionModel.load((workerData as { modelDir: string }).modelDir, { threads: 1 });
  port.postMessage({ id: 0, metadata: model.metadata, windowFrames: model.windowFrames, dim: model.dim });
  port.on('message', async (m: { id: number; features: Float32Array; mask: Float32Array; count: number }) => {
    try {
      const scores = await model.score(m.features, m.mask, m.count);
      const copy = scores.slice();
      port.postMessage({ id: m.id, scores: copy }, [copy.buffer]);
    } catch (e) {
      port.postMessage({ id: m.id, error: (e as Error).message });
    }
  });
} catch (e) {
  port.postMessage({ id: 0, error: (e as Error).message });
}
