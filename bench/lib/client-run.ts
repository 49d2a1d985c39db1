/**
 * The part of a load run the generators share (load.ts for /v1/stream, twilio-load.ts for
 * /v1/twilio): open the clients with their starts spread over the ramp-up, wait until every one
 * has closed or the deadline has passed, and end the ones still open.
 */
import type { WebSocket } from 'ws';

/** What a generator keeps per client to end its run. */
export interface RunClient {
  readonly ws: WebSocket;
  /** Closed (or refused) already. */
  done: boolean;
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>;
}

/**
 * Calls `open(i)` for i < n, one every rampUpMs / n, waits for every open to resolve, then until
 * every client of `clients` has closed or `deadlineMs` (from then) has passed.
 */
export async function openAndAwaitClose(n: number, rampUpMs: number, open: (i: number) => Promise<void>, clients: readonly RunClient[], deadlineMs: number): Promise<void> {
  const opened: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    opened.push(open(i));
    if (i < n - 1) await new Promise((r) => setTimeout(r, rampUpMs / n));
  }
  await Promise.all(opened);
  await Promise.race([Promise.all(clients.map((c) => c.closed)), new Promise((r) => setTimeout(r, deadlineMs))]);
}

/** Terminates every client that has not closed, counting each under 'no close (terminated)'. */
export function terminateUnclosed(clients: readonly RunClient[], bump: (key: string) => void): void {
  for (const c of clients) {
    if (c.done) continue;
    bump('no close (terminated)');
    c.ws.terminate();
  }
}
