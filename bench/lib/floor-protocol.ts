/**
 * What a transport floor server answers on one connection, whatever carries the messages (`ws` in
 * floor-server.ts, uWebSockets.js in floor-server-uws.ts): `ready` on `start`, one JSON label of
 * the shipped models' shape and size per second of PCM received, the partial last one and `end`
 * on `stop`, then close 1000. Nothing else: no decoding, features, inference, supervision,
 * metrics or logging.
 */

/** A voiced label of the shipped models' shape and size (scores, smoothed, settled), its second filled in per message. */
export function floorLabel(second: number): string {
  const scores = '{"neutral":0.0512,"calm":0.0123,"happy":0.1034,"sad":0.0221,"angry":0.6905,"fearful":0.0441,"disgust":0.0534,"surprised":0.023}';
  const view = `{"label":"angry","scores":${scores},"arousal":0.4712,"valence":-0.3921}`;
  return `{"type":"emotion","second":${second},"startMs":${Math.max(0, second - 3) * 1000},"endMs":${second * 1000},"voiced":true,"label":"angry","scores":${scores},"arousal":0.4712,"valence":-0.3921,"smoothed":${view},"settled":{"second":${second - 2},"startMs":0,"endMs":0,${view.slice(1)}}`;
}

/** The transport's two actions on its socket. */
export interface FloorSocket {
  send(text: string): void;
  close(code: number): void;
}

export class FloorConnection {
  private bytesPerSecond = 32000;
  private received = 0;
  private seconds = 0;

  constructor(private readonly socket: FloorSocket) {}

  /** A binary message of `byteLength` bytes of PCM s16: a label for each second it completes. */
  binary(byteLength: number): void {
    this.received += byteLength;
    while (this.received >= (this.seconds + 1) * this.bytesPerSecond) this.socket.send(floorLabel(++this.seconds));
  }

  /** A text message: `start` or `stop`. */
  text(message: string): void {
    const m = JSON.parse(message) as { type: string; sampleRate?: number };
    if (m.type === 'start') {
      this.bytesPerSecond = 2 * (m.sampleRate ?? 16000);
      this.socket.send('{"type":"ready","sessionId":"floor"}');
    } else if (m.type === 'stop') {
      if (this.received > this.seconds * this.bytesPerSecond) this.socket.send(floorLabel(++this.seconds));
      this.socket.send(`{"type":"end","seconds":${this.seconds},"reason":"stop"}`);
      this.socket.close(1000);
    }
  }
}

/** /metrics of a floor process: its own CPU and RSS in the exposition format (what the generator's scrape reads). */
export function floorMetrics(): string {
  const u = process.cpuUsage();
  return `process_cpu_seconds_total ${(u.user + u.system) / 1e6}\nprocess_resident_memory_bytes ${process.memoryUsage().rss}\n`;
}
