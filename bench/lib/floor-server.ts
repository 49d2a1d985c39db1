/**
 * The transport floor: a WebSocket server that does only what every stream costs before any
 * audio work — the same `ws` server settings and cluster layout as `undertone serve`, one JSON
 * label a second of audio received, `ready` and `end` (floor-protocol.ts) — and nothing else.
 * `bench:floor` runs the load generator against it and against the real server in the same run,
 * so the real server's CPU per stream-second splits into this floor (kernel, node, ws, one label
 * a second) and what the audio path adds.
 *
 *   node dist-bench/bench/lib/floor-server.js serve --port P [--host H] [--workers N]
 *
 * The arguments of `undertone serve` it needs (floor-layout.ts), so test/server-process.ts
 * `startServer` (the one spawner of tests and benches) starts it like the real server.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { floorArgs, floorLayout, type Readiness } from './floor-layout.js';
import { FloorConnection, floorMetrics } from './floor-protocol.js';

const args = floorArgs();

function listen(listening: () => void): void {
  const http = createServer((req, res) => {
    if (req.url === '/readyz') res.writeHead(readiness?.ready ? 200 : 503).end();
    else if (req.url === '/metrics') res.setHeader('Content-Type', 'text/plain; version=0.0.4').end(floorMetrics());
    else res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1 << 20 });
  http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
  wss.on('connection', (ws) => {
    const connection = new FloorConnection({ send: (text) => ws.send(text), close: (code) => ws.close(code) });
    ws.on('message', (data, isBinary) => {
      if (isBinary) connection.binary((data as Buffer).length);
      else connection.text(String(data));
    });
  });
  http.listen(args.port, args.host, listening);
}

const readiness: Readiness | undefined = floorLayout(args.workers, listen);
