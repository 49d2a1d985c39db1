/**
 * A small typed event emitter (no Node `events`, so it runs in browsers): `on(event, handler)`
 * returns an unsubscribe function; a throwing handler does not stop the others.
 */
/** Event name -> handler signature. `never[]` accepts every handler signature (a handler's parameters are checked per event). */
export type EventMap = Record<string, (...args: never[]) => void>;

export class TypedEmitter<E extends EventMap> {
  private handlers: { [K in keyof E]?: E[K][] } = {};

  /** Adds a handler; returns a function that removes it. */
  on<K extends keyof E>(event: K, handler: E[K]): () => void {
    this.handlers[event] ??= [];
    this.handlers[event].push(handler);
    return () => this.off(event, handler);
  }

  /** Adds a handler that runs at most once. */
  once<K extends keyof E>(event: K, handler: E[K]): () => void {
    const wrapped = ((...args: Parameters<E[K]>) => {
      off();
      handler(...args);
    }) as E[K];
    const off = this.on(event, wrapped);
    return off;
  }

  off<K extends keyof E>(event: K, handler: E[K]): void {
    const list = this.handlers[event];
    if (!list) return;
    const i = list.indexOf(handler);
    if (i >= 0) list.splice(i, 1);
  }

  listenerCount<K extends keyof E>(event: K): number {
    return this.handlers[event]?.length ?? 0;
  }

  protected emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): void {
    for (const h of [...(this.handlers[event] ?? [])]) {
      try {
        h(...args);
      } catch (e) {
        // A handler's bug must not break the session; surface it asynchronously.
        setTimeout(() => {
          throw e;
        }, 0);
      }
    }
  }
}
