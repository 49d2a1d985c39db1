/**
 * One serial job queue: jobs run one after another in the order they were added, each waiting for
 * the one before it (a job may be async). A job that throws or rejects hands its error to
 * `onError` and the queue goes on with the next one. A connection's inbound messages and a
 * session's outgoing labels both need exactly this: order kept even when one step awaits
 * (an Opus decoder created asynchronously, an inference result, a speed-allowance hold).
 * The same idea as ws's lib/limiter.js with a concurrency of one.
 *
 * A job added to an idle queue runs at once, inside `add`: an audio message (tens a second per
 * stream) is then handled without a promise chain or a microtask hop; only jobs behind an
 * unfinished async one are chained on promises. A job added by a job running inside `add` waits
 * for it (and for its async part, if it returns a promise).
 */
type Job = () => void | Promise<void>;

export class JobQueue {
  /** The last of the jobs still running asynchronously or waiting; undefined when none is. */
  private tail: Promise<void> | undefined;
  /** A job is running inside add(). */
  private inline = false;
  /** Jobs added while one ran inside add(), to run after it. */
  private readonly waiting: Job[] = [];

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Runs `job` after every job added before it (at once if there is none). */
  add(job: Job): void {
    if (this.tail) this.tail = this.settle(this.tail.then(job));
    else if (this.inline) this.waiting.push(job);
    else this.runInline(job);
  }

  /** Resolves once every job added so far has run (or failed). */
  idle(): Promise<void> {
    return this.tail ?? Promise.resolve();
  }

  private runInline(first: Job): void {
    this.inline = true;
    try {
      for (let job: Job | undefined = first; job; job = this.waiting.shift()) {
        let result: void | Promise<void>;
        try {
          result = job();
        } catch (e) {
          this.onError(e);
          continue;
        }
        if (result instanceof Promise) {
          let tail = this.settle(result);
          for (const next of this.waiting.splice(0)) tail = this.settle(tail.then(next));
          this.tail = tail;
          return;
        }
      }
    } finally {
      this.inline = false;
    }
  }

  /** `p` with its failure handed to onError; the queue is idle again when it settles as the last job. */
  private settle(p: Promise<void>): Promise<void> {
    const settled: Promise<void> = p
      .catch((e: unknown) => this.onError(e))
      .then(() => {
        if (this.tail === settled) this.tail = undefined;
      });
    return settled;
  }
}
