/**
 * The transport floor of floor-server.ts on uWebSockets.js instead of node's http + `ws`: the
 * same messages (floor-protocol.ts) and process layout (floor-layout.ts; each worker listens on
 * the port itself, uWS sets SO_REUSEPORT on Linux). It answers what a native WebSocket server
 * would save per stream-second. uWebSockets.js is not on the npm registry (its authors publish
 * it on GitHub, which installs cannot reach here); `uws-pack` (uws-ecosystem, MIT) repackages its
 * binaries there. It is not a dependency of Undertone (docs/decisions.md): install it to measure,
 *
 *   npm install --no-save uws-pack@20.0.8 && npm run bench:floor -- --floor ws,uws
 */
import { floorArgs, floorLayout, type Readiness } from './floor-layout.js';
import { FloorConnection, floorMetrics } from './floor-protocol.js';

/** What this server uses of uWebSockets.js's API. */
interface UwsResponse {
  writeStatus(status: string): UwsResponse;
  writeHeader(key: string, value: string): UwsResponse;
  end(body?: string): UwsResponse;
}
interface UwsSocket {
  getUserData(): { connection?: FloorConnection };
  send(message: string, isBinary: boolean): number;
  end(code: number): void;
}
interface UwsApp {
  ws(pattern: string, behavior: Record<string, unknown>): UwsApp;
  get(pattern: string, handler: (res: UwsResponse) => void): UwsApp;
  listen(host: string, port: number, cb: (token: unknown) => void): UwsApp;
}

/** The package's name in a variable: TypeScript does not resolve it at build time, where it is absent. */
const UWS_PACKAGE = 'uws-pack';
const args = floorArgs();
const { App } = (await import(UWS_PACKAGE)) as { App: () => UwsApp };

function listen(listening: () => void): void {
  App()
    .ws('/*', {
      compression: 0,
      maxPayloadLength: 1 << 20,
      idleTimeout: 0,
      open: (ws: UwsSocket) => {
        ws.getUserData().connection = new FloorConnection({ send: (text) => ws.send(text, false), close: (code) => ws.end(code) });
      },
      message: (ws: UwsSocket, message: ArrayBuffer, isBinary: boolean) => {
        const connection = ws.getUserData().connection as FloorConnection;
        if (isBinary) connection.binary(message.byteLength);
        else connection.text(Buffer.from(message).toString());
      },
    })
    .get('/readyz', (res) => void res.writeStatus(readiness?.ready ? '200 OK' : '503 Service Unavailable').end())
    .get('/metrics', (res) => void res.writeHeader('Content-Type', 'text/plain; version=0.0.4').end(floorMetrics()))
    .listen(args.host, args.port, (token) => {
      if (!token) throw new Error(`uWebSockets.js cannot listen on ${args.host}:${args.port}`);
      listening();
    });
}

const readiness: Readiness | undefined = floorLayout(args.workers, listen);
