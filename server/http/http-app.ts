/**
 * The HTTP side of the port: liveness, readiness, Prometheus metrics and the demo page at / (express). The WebSocket
 * endpoint (/v1/stream) is served by the same http.Server's upgrade handler (server.ts).
 */
import express, { type Express, type RequestHandler } from 'express';
import { WEB_DIR } from '../process/paths.js';
import { STREAM_PATH } from '../../core/protocol/index.js';

export interface HttpAppHooks {
  /** Why the server is not ready (model not loaded, draining), or undefined when ready. */
  notReadyReason(): string | undefined;
  /** Prometheus exposition text of this server (all workers in cluster mode); undefined when /metrics is served elsewhere (--metrics-port). */
  metrics?: RequestHandler;
  /** A small status object for /healthz. */
  status(): Record<string, unknown>;
  /** More routes (the subscription endpoints), mounted before the demo page and the 404. */
  mount?(app: Express): void;
}

export function createHttpApp(hooks: HttpAppHooks): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // Liveness: the process answers. Never depends on the model, so a slow load is not a restart.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', ...hooks.status() });
  });

  // Readiness: 503 until the model is loaded and warmed, and again while draining.
  app.get('/readyz', (_req, res) => {
    const reason = hooks.notReadyReason();
    if (reason) res.status(503).json({ status: 'not ready', reason });
    else res.json({ status: 'ready' });
  });

  if (hooks.metrics) app.get('/metrics', hooks.metrics);

  app.get(STREAM_PATH, (_req, res) => {
    res.status(426).set('Upgrade', 'websocket').json({ error: `${STREAM_PATH} is a WebSocket endpoint (see docs/protocol.md)` });
  });

  hooks.mount?.(app);

  // The demo page and the browser SDK bundle (index.html, app.js, undertone-sdk.js).
  app.use(express.static(WEB_DIR, { index: 'index.html', maxAge: 0 }));

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  return app;
}

export interface MetricsEndpoint {
  /** Prometheus exposition text of this server (all workers in cluster mode). */
  read(): Promise<{ contentType: string; body: string }>;
  /** Whether a request's Authorization header may read the metrics (always true when unprotected). */
  allowed(authorization: string | undefined): boolean;
}

/** GET /metrics: 401 without an accepted key when protected, else the exposition text. */
export function metricsHandler(endpoint: MetricsEndpoint): RequestHandler {
  return async (req, res) => {
    if (!endpoint.allowed(req.headers.authorization)) {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="metrics"').type('text/plain').send('metrics require Authorization: Bearer KEY\n');
      return;
    }
    try {
      const { contentType, body } = await endpoint.read();
      res.set('Content-Type', contentType).send(body);
    } catch (e) {
      res.status(500).type('text/plain').send(`metrics unavailable: ${(e as Error).message}\n`);
    }
  };
}

/** The app of --metrics-port: only /metrics (404 elsewhere). */
export function createMetricsApp(endpoint: MetricsEndpoint): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsHandler(endpoint));
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  return app;
}
