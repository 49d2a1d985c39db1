/**
 * A batch worker thread: loads the model once, then analyses the files the pool sends, one at a
 * time, with the same analyseFile as the one-file path.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LocalAnalyser } from './analysers.js';
import type { AnalyseReply, AnalyseRequest, CloseRequest, WorkerFatal, WorkerSetup } from './messages.js';

const port = parentPort!;
const setup = workerData as WorkerSetup;

const analyser = LocalAnalyser.create(setup).catch((e: Error) => {
  port.postMessage({ fatal: e.message } satisfies WorkerFatal);
  return undefined;
});

// Requests are handled in arrival order (the pool sends one file at a time, then close).
let chain = Promise.resolve();
port.on('message', (req: AnalyseRequest | CloseRequest) => {
  chain = chain.then(async () => {
    const a = await analyser;
    if ('close' in req) {
      await a?.close();
      port.close(); // nothing else keeps the thread alive: it ends by itself
      return;
    }
    if (!a) return;
    const outcome = await a.analyse(req.file);
    port.postMessage({ id: req.id, ...outcome } satisfies AnalyseReply);
  });
});
