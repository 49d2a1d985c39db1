/** worker_threads entry: runs feature jobs sent by FeaturePool. */
import { parentPort } from 'node:worker_threads';
import { runFeatureJob, type FeatureJob } from './job.js';

parentPort!.on('message', async (msg: { id: number; job: FeatureJob }) => {
  try {
    const r = await runFeatureJob(msg.job);
    parentPort!.postMessage({ id: msg.id, ok: true, result: r }, [r.data.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, ok: false, error: (e as Error).message });
  }
});
