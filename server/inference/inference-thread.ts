/**
 * Optional (`--inference-thread`): onnxruntime on a worker thread instead of the event-loop
 * thread. The scheduler hands each batch to the thread (features copied into a transferred
 * buffer) and awaits the scores, so the event loop keeps reading sockets during inference.
 * Measured in bench/serve-cores.ts against node cluster; see docs/decisions.md for which one the
 * server uses by default and why.
 */
import { Worker } from 'node:worker_threads';
import type { ModelMetadata } from '../../core/model/metadata.js';
import type { InferenceModel } from './inference-model.js';

interface Reply {
  readonly id: number;
  readonly scores?: Float32Array;
  readonly error?: string;
  readonly metadata?: ModelMetadata;
  readonly windowFrames?: number;
  readonly dim?: number;
}

/** An EmotionModel on a worker thread (inference-worker.ts), scored through messages. */
export class ModelThread implements InferenceModel {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly worker: Worker,
    readonly metadata: ModelMetadata,
    readonly windowFrames: number,
    readonly dim: number,
  ) {
    worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (!p) return;
      if (reply.error !== undefined) p.reject(new Error(reply.error));
      else p.resolve(reply);
    });
    worker.on('error', (e) => this.failAll(e));
    worker.on('exit', (code) => this.failAll(new Error(`inference thread exited with code ${code}`)));
  }

  /** Starts the thread, which loads and warms the model; resolves once it has. */
  static async start(modelDir: string): Promise<ModelThread> {
    const worker = new Worker(new URL('./inference-worker.js', import.meta.url), { workerData: { modelDir } });
    // Only our own listeners are removed afterwards: Worker keeps internal ones (removeAllListeners would break it).
    let onMessage!: (r: Reply) => void;
    let onError!: (e: Error) => void;
    let onExit!: (code: number) => void;
    const first = await new Promise<Reply>((resolve, reject) => {
      onMessage = resolve;
      onError = reject;
      onExit = (code) => reject(new Error(`inference thread exited with code ${code}`));
      worker.once('message', onMessage).once('error', onError).once('exit', onExit);
    });
    worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    if (first.error !== undefined) {
      await worker.terminate();
      throw new Error(first.error);
    }
    return new ModelThread(worker, first.metadata!, first.windowFrames!, first.dim!);
  }

  score(features: Float32Array, mask: Float32Array, count: number): Promise<Float32Array> {
    const id = this.nextId++;
    const f = features.slice(0, count * this.windowFrames * this.dim);
    const m = mask.slice(0, count * this.windowFrames);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (r) => resolve(r.scores!), reject });
      this.worker.postMessage({ id, features: f, mask: m, count }, [f.buffer, m.buffer]);
    });
  }

  async release(): Promise<void> {
    await this.worker.terminate();
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
