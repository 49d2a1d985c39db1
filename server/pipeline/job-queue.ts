/**
 * One serial job queue: jobs run one after another in the order they were added, each waiting for
 * the one before it (a job may be async). A job that throws or rejects hands its error to
 * `onError` and the queue goes on with the next one. A connection's inbound messages and a
 * session's outgoing labels both need exactly this: order kept even when one step awaits
 * (an Opus decoder created asynchronously, an inference result, a speed-allowance hold).
 * The same idea as ws's lib/limiter.js with a concurrency of one.
 */
export class JobQueue {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Runs `job` after every job added before it. */
  add(job: () => void | Promise<void>): void {
    this.tail = this.tail.then(job).catch((e: unknown) => this.onError(e));
  }

  /** Resolves once every job added so far has run (or failed). */
  idle(): Promise<void> {
    return this.tail;
  }
}
