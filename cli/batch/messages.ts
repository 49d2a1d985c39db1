/** Messages between the batch pool (cli/batch/pool.ts) and its workers (cli/batch/worker.ts). */
import type { FileAnalysis } from '../analyse-file.js';
import type { ModelChoice } from '../models.js';

/** What a worker is started with (workerData). */
export interface WorkerSetup {
  readonly models: ModelChoice;
  readonly splitChannels: boolean;
  /** Each timeline's call summary too (--summary). */
  readonly summary: boolean;
}

/** Pool -> worker: analyse one file. */
export interface AnalyseRequest {
  readonly id: number;
  readonly file: string;
}

/**
 * Pool -> worker: release the model and end (once its current work, model loading included, is
 * done). The pool does not terminate() a worker that may be inside onnxruntime: tearing a thread
 * down under a native call aborted the whole process (Napi::Error, exit 134).
 */
export interface CloseRequest {
  readonly close: true;
}

/** Worker -> pool: one file's result, or the one-line message naming the file and the problem. */
export type AnalyseReply =
  | { readonly id: number; readonly ok: true; readonly analysis: FileAnalysis }
  | { readonly id: number; readonly ok: false; readonly message: string };

/** Worker -> pool: the worker cannot work at all (e.g. the model does not load). */
export interface WorkerFatal {
  readonly fatal: string;
}
