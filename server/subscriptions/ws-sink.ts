/**
 * A subscription over WebSocket. Backpressure is `ws.bufferedAmount` (bytes queued in this
 * process, not yet taken by the kernel): above the limit the subscriber is too slow.
 */
import { WebSocket } from 'ws';
import type { ProtocolError, SubscriptionMessage } from '../../core/protocol/index.js';
import type { SubscriberSink } from './subscriber.js';

/** A dropped subscriber that does not read its close frame either is cut after this long. */
const CLOSE_GRACE_MS = 1000;

export class WebSocketSink implements SubscriberSink {
  constructor(
    private readonly ws: WebSocket,
    private readonly maxBufferedBytes: number,
  ) {}

  send(message: SubscriptionMessage): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return true;
    if (this.ws.bufferedAmount > this.maxBufferedBytes) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  close(error?: ProtocolError): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (!error) {
      this.ws.close(1000, 'sessions ended');
      return;
    }
    // A slow subscriber's queue is full already: the error message would wait behind it.
    if (error.code !== 'subscriber_too_slow') this.ws.send(JSON.stringify(error.toMessage()));
    this.ws.close(error.closeCode, error.code);
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }
}
