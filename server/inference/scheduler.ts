/**
 * Cross-session inference batching: every session submits its due voiced windows here, and the
 * scheduler scores them in batches of at most `maxBatch` windows, one onnxruntime call at a time.
 * A batch closes when it is full or when its oldest window has waited `maxWaitMs`, so under load
 * one call serves many sessions and at idle a lone window waits at most `maxWaitMs`. One call of
 * a full batch is the longest the event loop is held (onnxruntime-node runs on the calling thread).
 */
import { performance } from 'node:perf_hooks';
import type { Band } from '../../core/protocol/index.js';
import type { ServerMetrics } from '../process/metrics.js';
import type { InferenceModel } from './inference-model.js';
import { recycleWindowBuffer } from '../../core/model/window.js';

/** The scores of one submitted window: row `row` of a batch's score matrix. */
export interface WindowScores {
  readonly scores: Float32Array;
  readonly row: number;
}

interface Job {
  readonly features: Float32Array;
  readonly mask: Float32Array;
  readonly queuedAt: number;
  resolve(result: WindowScores): void;
  reject(error: Error): void;
}

export interface SchedulerOptions {
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  /** The model's band: the `band` label of its metrics (a batch of the narrowband model costs and waits differently). */
  readonly band?: Band;
}

export class InferenceScheduler {
  private queue: Job[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly labels: { band: Band };
  private readonly features: Float32Array;
  private readonly mask: Float32Array;
  /** Windows scored so far, and calls made. */
  windowsScored = 0;
  batches = 0;

  constructor(
    /** Only its window shape and `score` are used (a test may pass a fake). */
    private readonly model: Pick<InferenceModel, 'windowFrames' | 'dim' | 'score'>,
    private readonly options: SchedulerOptions,
    private readonly metrics?: ServerMetrics,
  ) {
    this.labels = { band: options.band ?? 'wideband' };
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${options.maxBatch}`);
    // One batch's input buffers, reused: only one call is in flight at a time.
    this.features = new Float32Array(options.maxBatch * model.windowFrames * model.dim);
    this.mask = new Float32Array(options.maxBatch * model.windowFrames);
  }

  /** Windows waiting for a batch. */
  get pending(): number {
    return this.queue.length;
  }

  /** Queues one window (frames x dim features and its mask) and resolves with its scores. The buffers are recycled (core/model/window.ts) once copied into the batch. */
  submit(features: Float32Array, mask: Float32Array): Promise<WindowScores> {
    const { windowFrames: T, dim } = this.model;
    if (features.length !== T * dim || mask.length !== T) {
      return Promise.reject(new RangeError(`window of ${features.length} values / ${mask.length} mask, expected ${T * dim} / ${T}`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ features, mask, queuedAt: performance.now(), resolve, reject });
      this.metrics?.queuedWindows.inc(this.labels);
      this.kick();
    });
  }

  /** Starts a batch now if one is due, else makes sure a timer will start it. */
  private kick(): void {
    if (this.running || this.queue.length === 0) return;
    const waited = performance.now() - this.queue[0].queuedAt;
    if (this.queue.length >= this.options.maxBatch || waited >= this.options.maxWaitMs) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      void this.runBatch();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.kick();
      }, Math.max(0, this.options.maxWaitMs - waited));
    }
  }

  private async runBatch(): Promise<void> {
    this.running = true;
    const batch = this.queue.splice(0, this.options.maxBatch);
    this.metrics?.queuedWindows.dec(this.labels, batch.length);
    // How long each window waited for its batch: the part of label latency spent queueing for
    // inference (windows of sessions whose seconds end together queue behind each other).
    const started = performance.now();
    if (this.metrics) for (const job of batch) this.metrics.inferenceQueueWait.observe(this.labels, (started - job.queuedAt) / 1000);
    const { windowFrames: T, dim } = this.model;
    try {
      batch.forEach((job, b) => {
        this.features.set(job.features, b * T * dim);
        this.mask.set(job.mask, b * T);
        // Copied: the window's buffers go back for the next window to be cut.
        recycleWindowBuffer(job.features);
        recycleWindowBuffer(job.mask);
      });
      const t0 = performance.now();
      const scores = await this.model.score(this.features, this.mask, batch.length);
      this.metrics?.inferenceDuration.observe(this.labels, (performance.now() - t0) / 1000);
      this.metrics?.batchSize.observe(this.labels, batch.length);
      this.windowsScored += batch.length;
      this.batches++;
      batch.forEach((job, row) => job.resolve({ scores, row }));
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      for (const job of batch) job.reject(error);
    } finally {
      this.running = false;
      this.kick();
    }
  }

  /** Rejects everything still queued (shutdown). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const error = new Error('inference scheduler closed');
    for (const job of this.queue.splice(0)) job.reject(error);
    this.metrics?.queuedWindows.set(this.labels, 0);
  }
}
