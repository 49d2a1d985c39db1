/**
 * Paces WebSocket upgrades: at most `perTurn` are handled per turn of the event loop, the rest
 * wait (in arrival order) for the next turns.
 *
 * Why: Node parses every HTTP request that arrived in one poll phase and emits its 'upgrade'
 * synchronously, so a burst of connection attempts (a contact center's shift start, clients all
 * retrying after an outage, `bench:overload`'s 3x offer) ran hundreds of handshakes back to back —
 * admission, the 101 or refusal write (whose loopback delivery the kernel charges to the writer),
 * ws setup, the refusal's error frame and close — while the admitted sessions' audio waited in
 * the same poll queue. The opening seconds of a 3x overload held the server's p99 label latency at
 * 200-400 ms (docs/reliability.md, "Overload at 3x"). Handling a few per turn and yielding with
 * setImmediate lets the poll phase between them read the live sessions' audio; a waiting client
 * only sees its handshake answered a little later (and a refused one is told when to come back).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

interface Waiting {
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
}

export class UpgradeQueue {
  private readonly waiting: Waiting[] = [];
  /** Index of the next to handle: shifting a long array per item would be quadratic. */
  private next = 0;
  private scheduled = false;

  /** `perTurn` 0: no pacing, each upgrade handled as it arrives (the behaviour before this queue). */
  constructor(
    private readonly handle: UpgradeHandler,
    readonly perTurn: number,
  ) {}

  get pending(): number {
    return this.waiting.length - this.next;
  }

  push(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.perTurn === 0) return this.handle(req, socket, head);
    // Detached from the HTTP parser: an error (a reset) while waiting must not be unhandled.
    socket.on('error', () => undefined);
    this.waiting.push({ req, socket, head });
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.pending === 0) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    let handled = 0;
    while (handled < this.perTurn && this.next < this.waiting.length) {
      const w = this.waiting[this.next++];
      // A client that gave up while waiting costs nothing more.
      if (w.socket.destroyed) continue;
      handled++;
      this.handle(w.req, w.socket, w.head);
    }
    if (this.next === this.waiting.length) {
      this.waiting.length = 0;
      this.next = 0;
    }
    this.schedule();
  }
}
