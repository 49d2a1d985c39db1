/**
 * Runs feature jobs on worker threads (one per core by default), falling back to the calling
 * thread when the compiled worker is not there (e.g. running from TypeScript sources).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { runFeatureJob, type FeatureJob, type FeatureJobResult } from './job.js';

type Pending = { resolve: (r: FeatureJobResult) => void; reject: (e: Error) => void };

export class FeaturePool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { id: number; job: FeatureJob }[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly busy = new Map<Worker, number>();
  private nextId = 0;

  constructor(threads = availableParallelism()) {
    const workerFile = fileURLToPath(new URL('./worker.js', import.meta.url));
    if (!existsSync(workerFile)) return;
    for (let i = 0; i < threads; i++) {
      const w = new Worker(workerFile);
      w.on('message', (msg: { id: number; ok: boolean; result?: FeatureJobResult; error?: string }) => {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        this.busy.delete(w);
        this.idle.push(w);
        this.dispatch();
        if (!p) return;
        if (msg.ok) p.resolve(msg.result!);
        else p.reject(new Error(msg.error));
      });
      w.on('error', (e) => {
        const id = this.busy.get(w);
        if (id !== undefined) this.pending.get(id)?.reject(e);
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  get threaded(): boolean {
    return this.workers.length > 0;
  }

  run(job: FeatureJob): Promise<FeatureJobResult> {
    if (!this.threaded) return runFeatureJob(job);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.queue.push({ id, job });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const item = this.queue.shift()!;
      this.busy.set(w, item.id);
      w.postMessage(item);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
