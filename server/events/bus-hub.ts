/**
 * The cluster primary's half of the IPC session bus (cluster-bus.ts is the workers' half): one
 * InProcessBus holds every worker's sessions, their history and their subscribers, so the
 * semantics are the in-process bus's by construction. Each worker subscription is one listener
 * here that forwards events to that worker. When a worker dies, the sessions it served are ended
 * on its behalf with reason `lost` (their subscribers on other workers learn it at once) and its
 * subscriptions are dropped.
 */
import type { BusQuery, BusToPrimary, BusToWorker } from './cluster-bus.js';
import { InProcessBus } from './in-process-bus.js';
import type { Subscription } from './session-bus.js';
import { SessionTrace } from './session-event.js';

export class BusHub {
  private readonly bus: InProcessBus;
  /** sessionId -> the worker serving it and what it published. */
  private readonly owners = new Map<string, { worker: number; trace: SessionTrace }>();
  /** worker id -> its subscriptions by their worker-side number. */
  private readonly subscriptions = new Map<number, Map<number, Subscription>>();

  /** @param send delivers a message to a worker (by cluster worker id), if it is still connected. */
  constructor(
    historySize: number,
    private readonly send: (worker: number, message: BusToWorker) => void,
  ) {
    this.bus = new InProcessBus(historySize);
  }

  /** Handles one of a worker's bus messages. */
  async handle(worker: number, message: BusToPrimary): Promise<void> {
    switch (message.t) {
      case 'undertone:bus-open':
        this.owners.set(message.info.sessionId, { worker, trace: new SessionTrace(message.info.sessionId) });
        this.bus.open(message.info);
        return;
      case 'undertone:bus-publish':
        for (const event of message.events) {
          const owner = this.owners.get(event.sessionId);
          owner?.trace.saw(event);
          if (event.type === 'end') this.owners.delete(event.sessionId);
          this.bus.publish(event);
        }
        return;
      case 'undertone:bus-unsubscribe':
        this.subscriptions.get(worker)?.get(message.sub)?.unsubscribe();
        this.subscriptions.get(worker)?.delete(message.sub);
        return;
      case 'undertone:bus-query':
        this.send(worker, { t: 'undertone:bus-answer', id: message.id, result: await this.answer(worker, message.query) });
        return;
    }
  }

  /** A worker exited: its sessions end as `lost`, its subscriptions go. */
  workerGone(worker: number): void {
    for (const s of this.subscriptions.get(worker)?.values() ?? []) s.unsubscribe();
    this.subscriptions.delete(worker);
    for (const [sessionId, owner] of [...this.owners]) {
      if (owner.worker !== worker) continue;
      this.owners.delete(sessionId);
      this.bus.publish(owner.trace.lost());
    }
  }

  /** Sessions served by each worker (for tests and logs). */
  get liveSessions(): number {
    return this.owners.size;
  }

  // Every answer is computed synchronously by the in-process bus (its promises resolve at once), so
  // a subscribe's answer is sent before any event published after it.
  private async answer(worker: number, query: BusQuery): Promise<unknown> {
    switch (query.q) {
      case 'sessions':
        return this.bus.sessions();
      case 'find':
        return this.bus.find(query.idOrKey);
      case 'history':
        return this.bus.history(query.sessionId);
      case 'subscribe': {
        const subscription = await this.bus.subscribe(query.sessionId, (event) => {
          this.send(worker, { t: 'undertone:bus-event', sub: query.sub, event });
          if (event.type === 'end') this.subscriptions.get(worker)?.delete(query.sub);
        });
        if (!subscription) return false;
        let mine = this.subscriptions.get(worker);
        if (!mine) this.subscriptions.set(worker, (mine = new Map()));
        mine.set(query.sub, subscription);
        return true;
      }
    }
  }
}
