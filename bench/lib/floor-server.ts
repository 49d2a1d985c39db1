/**
 * The transport floor: a WebSocket server that does only what every stream costs before any
 * audio work — the same `ws` server settings and cluster layout as `undertone serve`, one JSON
 * label a second of audio received, `ready` and `end` — and nothing else: no decoding, features,
 * inference, supervision, metrics or logging. `bench:floor` runs the load generator against it
 * and against the real server in the same run, so the real server's CPU per stream-second splits
 * into this floor (kernel, node, ws, one label a second) and what the audio path adds.
 *
 *   node dist-bench/bench/lib/floor-server.js serve --port P [--host H] [--workers N]
 *
 * The arguments of `undertone serve` it needs, so test/server-process.ts `startServer` (the one
 * spawner of tests and benches) starts it like the real server: /readyz answers 200 once every
 * worker listens. /metrics answers with the process's own CPU and RSS in the exposition format
 * (what the generator's scrape reads; the bench takes the process tree's CPU from /proc).
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

/** A voiced label of the shipped models' shape and size (scores, smoothed, settled), its second filled in per message. */
function label(second: number): string {
  const scores = '{"neutral":0.0512,"calm":0.0123,"happy":0.1034,"sad":0.0221,"angry":0.6905,"fearful":0.0441,"disgust":0.0534,"surprised":0.023}';
  const view = `{"label":"angry","scores":${scores},"arousal":0.4712,"valence":-0.3921}`;
  return `{"type":"emotion","second":${second},"startMs":${Math.max(0, second - 3) * 1000},"endMs":${second * 1000},"voiced":true,"label":"angry","scores":${scores},"arousal":0.4712,"valence":-0.3921,"smoothed":${view},"settled":{"second":${second - 2},"startMs":0,"endMs":0,${view.slice(1)}}`;
}

const { values } = parseArgs({
  args: process.argv.slice(3), // after "serve"
  options: { port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, workers: { type: 'string', default: '1' } },
});
const port = Number(values.port);
const workers = Number(values.workers);
/** Whether every worker listens (/readyz). */
let ready = false;

if (cluster.isPrimary && workers > 1) {
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on('message', (m: unknown) => {
      if (m === 'listening' && ++listening === workers) for (const w of Object.values(cluster.workers ?? {})) w?.send('ready');
    });
  }
} else {
  process.on('message', (m) => {
    if (m === 'ready') ready = true;
  });
  const http = createServer((req, res) => {
    if (req.url === '/readyz') res.writeHead(ready ? 200 : 503).end();
    else if (req.url === '/metrics') {
      const u = process.cpuUsage();
      res.setHeader('Content-Type', 'text/plain; version=0.0.4');
      res.end(`process_cpu_seconds_total ${(u.user + u.system) / 1e6}\nprocess_resident_memory_bytes ${process.memoryUsage().rss}\n`);
    } else res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1 << 20 });
  http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
  wss.on('connection', (ws) => {
    let bytesPerSecond = 32000;
    let received = 0;
    let seconds = 0;
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        received += (data as Buffer).length;
        while (received >= (seconds + 1) * bytesPerSecond) ws.send(label(++seconds));
        return;
      }
      const m = JSON.parse(String(data)) as { type: string; sampleRate?: number };
      if (m.type === 'start') {
        bytesPerSecond = 2 * (m.sampleRate ?? 16000);
        ws.send('{"type":"ready","sessionId":"floor"}');
      } else if (m.type === 'stop') {
        if (received > seconds * bytesPerSecond) ws.send(label(++seconds));
        ws.send(`{"type":"end","seconds":${seconds},"reason":"stop"}`);
        ws.close(1000);
      }
    });
  });
  http.listen(port, values.host, () => {
    if (cluster.isWorker) process.send?.('listening');
    else ready = true;
  });
}
