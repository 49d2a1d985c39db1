/**
 * One connection attempt's outcome (a stream's `ready`, a subscription's `subscribed`): settles
 * once, with the server's answer or the first failure (a refusal, the socket closing, the
 * timeout), whichever comes first; later outcomes are ignored. On timeout it also abandons the
 * attempt (closes its socket), since the server may still answer.
 */
import type { UndertoneError } from './errors.js';

export class Attempt<T> {
  readonly result: Promise<T>;
  private done = false;
  private resolve!: (value: T) => void;
  private reject!: (error: UndertoneError) => void;
  private readonly timer: ReturnType<typeof setTimeout>;

  constructor(timeoutMs: number, timeoutError: () => UndertoneError, abandon: () => void) {
    this.result = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.timer = setTimeout(() => {
      this.fail(timeoutError());
      abandon();
    }, timeoutMs);
  }

  /** The attempt has its outcome (the answer, a failure or the timeout). */
  get settled(): boolean {
    return this.done;
  }

  succeed(value: T): void {
    if (this.finish()) this.resolve(value);
  }

  fail(error: UndertoneError): void {
    if (this.finish()) this.reject(error);
  }

  private finish(): boolean {
    if (this.done) return false;
    this.done = true;
    clearTimeout(this.timer);
    return true;
  }
}
