/**
 * Two ways to analyse files with one interface: in this thread (one file, or --jobs 1), or in a
 * pool of worker threads, one model and one onnxruntime thread each (--jobs N), so a batch uses
 * every core. Both run cli/analyse-file.ts; failures come back as one-line messages naming the
 * file, as the one-file path prints them.
 */
import { Worker } from 'node:worker_threads';
import { AudioInputError } from '../../core/errors.js';
import { type AnalyseOptions, analyseFile, type FileAnalysis } from '../analyse-file.js';
import { ModelSet } from '../models.js';
import type { AnalyseReply, AnalyseRequest, CloseRequest, WorkerFatal, WorkerSetup } from './messages.js';

export type Outcome = { ok: true; analysis: FileAnalysis } | { ok: false; message: string };

export interface Analyser {
  /** How many files it usefully works on at once. */
  readonly concurrency: number;
  analyse(file: string): Promise<Outcome>;
  close(): Promise<void>;
}

/** The message the CLI prints for a failed file: input errors name the file themselves. */
export function failureMessage(e: unknown, file: string): string {
  return e instanceof AudioInputError ? e.message : `${file}: ${(e as Error).message}`;
}

/** Analyses in the calling thread (its models loaded when first needed). */
export class LocalAnalyser implements Analyser {
  readonly concurrency = 1;
  private constructor(private readonly models: ModelSet, private readonly options: AnalyseOptions) {}

  static async create(setup: WorkerSetup): Promise<LocalAnalyser> {
    const models = new ModelSet(setup.models);
    await models.warm();
    return new LocalAnalyser(models, { splitChannels: setup.splitChannels, summary: setup.summary });
  }

  async analyse(file: string): Promise<Outcome> {
    try {
      return { ok: true, analysis: await analyseFile(this.models, file, this.options) };
    } catch (e) {
      return { ok: false, message: failureMessage(e, file) };
    }
  }

  async close(): Promise<void> {
    await this.models.release();
  }
}

/** How long a closing worker gets to finish loading or releasing its model before it is terminated. */
const CLOSE_GRACE_MS = 30_000;

interface Pending {
  readonly file: string;
  readonly resolve: (o: Outcome) => void;
  /** Only for a fatal error of the whole pool. */
  readonly reject: (e: Error) => void;
}

/** One worker thread and the request it is working on (one at a time: the pool queues the rest). */
class PooledWorker {
  readonly worker: Worker;
  current: { id: number; pending: Pending } | undefined;
  constructor(setup: WorkerSetup) {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: setup });
  }
}

/**
 * N worker threads fed from one queue. A worker that dies (a crash in native code, out of memory)
 * fails only the file it held, and a new one takes its place; one that cannot load the model
 * fails the whole batch with that message, as the one-file path would.
 */
export class WorkerPool implements Analyser {
  private readonly workers: PooledWorker[] = [];
  private readonly queue: { id: number; pending: Pending }[] = [];
  private nextId = 0;
  private fatal: Error | undefined;
  private closing = false;

  constructor(private readonly setup: WorkerSetup, readonly concurrency: number) {
    for (let i = 0; i < concurrency; i++) this.spawn();
  }

  analyse(file: string): Promise<Outcome> {
    if (this.fatal) return Promise.reject(this.fatal);
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, pending: { file, resolve, reject } });
      this.dispatch();
    });
  }

  /** Rejects every waiting and future request once a worker reports it cannot work: one message for the batch. */
  private failAll(message: string): void {
    const fatal = (this.fatal ??= new Error(message));
    for (const w of this.workers) {
      w.current?.pending.reject(fatal);
      w.current = undefined;
    }
    for (const job of this.queue.splice(0)) job.pending.reject(fatal);
  }

  private spawn(): void {
    const w = new PooledWorker(this.setup);
    w.worker.on('message', (m: AnalyseReply | WorkerFatal) => {
      if ('fatal' in m) return this.failAll(m.fatal);
      if (!w.current || w.current.id !== m.id) return;
      const { pending } = w.current;
      w.current = undefined;
      pending.resolve(m.ok ? { ok: true, analysis: m.analysis } : { ok: false, message: m.message });
      this.dispatch();
    });
    w.worker.on('error', (e) => this.lost(w, `worker error: ${e.message}`));
    w.worker.on('exit', (code) => this.lost(w, `worker exited with code ${code}`));
    this.workers.push(w);
  }

  private lost(w: PooledWorker, why: string): void {
    const i = this.workers.indexOf(w);
    if (i < 0) return;
    this.workers.splice(i, 1);
    if (w.current) {
      const { pending } = w.current;
      w.current = undefined;
      if (this.fatal) pending.reject(this.fatal);
      else pending.resolve({ ok: false, message: `${pending.file}: ${why} while analysing it` });
    }
    if (!this.closing && !this.fatal) {
      this.spawn();
      this.dispatch();
    }
  }

  private dispatch(): void {
    for (const w of this.workers) {
      if (w.current || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      w.current = job;
      w.worker.postMessage({ id: job.id, file: job.pending.file } satisfies AnalyseRequest);
    }
  }

  /**
   * Asks each worker to release its model and end, and waits for it: a worker may still be
   * loading (after another one's fatal error), and terminate() under onnxruntime aborts the
   * process. One that has not ended after CLOSE_GRACE_MS is terminated.
   */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void w.worker.terminate(), CLOSE_GRACE_MS);
            w.worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            w.worker.postMessage({ close: true } satisfies CloseRequest);
          }),
      ),
    );
  }
}
