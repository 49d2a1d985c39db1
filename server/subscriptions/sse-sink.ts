/**
 * A subscription over Server-Sent Events (text/event-stream): one `data:` line of JSON per
 * message, the same JSON as on the WebSocket, so `EventSource.onmessage` sees every message.
 * Backpressure is the response's `writableLength` (bytes queued, not yet taken by the kernel).
 * A comment line every 15 s keeps proxies from timing the stream out.
 */
import type { ServerResponse } from 'node:http';
import type { ProtocolError, SubscriptionMessage } from '../../core/protocol/index.js';
import type { SubscriberSink } from './subscriber.js';

const HEARTBEAT_MS = 15_000;

export class SseSink implements SubscriberSink {
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    private readonly maxBufferedBytes: number,
  ) {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // nginx: do not buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    this.heartbeat = setInterval(() => this.res.write(': keepalive\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
    res.on('close', () => clearInterval(this.heartbeat));
  }

  send(message: SubscriptionMessage): boolean {
    if (this.res.writableEnded || this.res.destroyed) return true;
    if (this.res.writableLength > this.maxBufferedBytes) return false;
    this.res.write(`data: ${JSON.stringify(message)}\n\n`);
    return true;
  }

  close(error?: ProtocolError): void {
    clearInterval(this.heartbeat);
    if (this.res.writableEnded || this.res.destroyed) return;
    if (error?.code === 'subscriber_too_slow') {
      this.res.destroy();
      return;
    }
    if (error) this.res.write(`data: ${JSON.stringify(error.toMessage())}\n\n`);
    this.res.end();
  }
}
