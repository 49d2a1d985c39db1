/**
 * One server process: express (health, readiness, metrics) and the WebSocket endpoint on one
 * http.Server, the model loaded once, the cross-session inference scheduler, the live sessions,
 * and the SIGTERM drain. In cluster mode (cluster.ts) every worker runs one of these and the
 * primary keeps the session count and the metrics of all of them.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { EmotionModel } from '../../core/model/emotion-model.js';
import { type Band, ProtocolError, SESSIONS_PATH, STREAM_PATH, TWILIO_PATH, parseEventsPath } from '../../core/protocol/index.js';
import type { AudioConnection } from '../transport/audio-connection.js';
import { AccessControl, KeyList, bearerAllowed, selectProtocol } from '../admission/access.js';
import { Admission, AdmissionTicket, LocalSlots, type SessionSlots, shuttingDown } from '../admission/admission.js';
import { KeyCounts, type KeyQuota } from '../admission/key-quota.js';
import { HeadroomGate } from '../admission/headroom.js';
import type { ServerConfig } from './config.js';
import { InProcessBus } from '../events/in-process-bus.js';
import { RedisBus } from '../events/redis-bus.js';
import type { SessionBus } from '../events/session-bus.js';
import { type MetricsEndpoint, createHttpApp, createMetricsApp, metricsHandler } from '../http/http-app.js';
import { type Logger, silentLogger } from './logger.js';
import { ServerMetrics } from './metrics.js';
import { ModelThread } from '../inference/inference-thread.js';
import type { InferenceModel } from '../inference/inference-model.js';
import { createEngine } from '../pipeline/engine.js';
import { type ServedModel, ServedModels } from '../inference/served-models.js';
import { InferenceScheduler } from '../inference/scheduler.js';
import { COALESCE_GUARD_MS, COALESCE_SOCKET_HIGH_WATER_MARK } from '../transport/read-coalescer.js';
import { StreamConnection } from '../transport/stream-connection.js';
import { Subscriptions } from '../subscriptions/endpoint.js';
import { TwilioCall } from '../transport/twilio/twilio-call.js';
import { UpgradeQueue } from '../transport/upgrade-queue.js';
import { refuseHandshake } from '../transport/handshake-refusal.js';
import { SIGNATURE_HEADER, requestedUrl, validTwilioSignature } from '../transport/twilio/signature.js';
import { SubscriberKeys } from '../subscriptions/subscriber-keys.js';
import { DEFAULT_SUMMARY_OPTIONS } from '../../core/supervision/summary.js';
import { DEFAULT_WEBHOOK_SETTINGS, WebhookDispatcher } from '../../core/supervision/webhook.js';
import type { Supervision } from '../pipeline/session.js';


/** What a cluster worker adds: readiness of the whole cluster and metrics aggregated over it. */
export interface ClusterHooks {
  clusterReady(): boolean;
  metrics(): Promise<{ contentType: string; body: string }>;
}

export interface ServerOptions {
  readonly config: ServerConfig;
  readonly logger?: Logger;
  readonly slots?: SessionSlots;
  /** Live connections per API key; default: counted in this process (KeyCounts). */
  readonly keyQuota?: KeyQuota;
  readonly cluster?: ClusterHooks;
  /** Where sessions publish their labels for subscribers; default: this process only (InProcessBus). */
  readonly bus?: SessionBus;
}

/** Messages above the limit but below this are read and answered with message_too_big + 1009; ws itself closes 1009 (without the error message) above it. */
export function hardPayloadLimit(maxMessageBytes: number): number {
  return Math.max(2 * maxMessageBytes, maxMessageBytes + 65536);
}

export class UndertoneServer {
  readonly metrics = new ServerMetrics();
  readonly logger: Logger;
  /** The live sessions' publish point and directory (subscriptions read it). */
  readonly bus: SessionBus;
  /** Resolves when every model is loaded and warmed (rejects if one cannot be). */
  readonly ready: Promise<void>;
  /** The wideband model and, unless disabled, the narrowband one; set once all are loaded. */
  private models?: ServedModels;
  private readonly loaded: ServedModel[] = [];
  private readonly http: Server;
  /** The --metrics-port listener, when /metrics is served apart from the main port. */
  private readonly metricsHttp?: Server;
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<AudioConnection>();
  private readonly access: AccessControl;
  private readonly subscriptions: Subscriptions;
  private readonly admission: Admission;
  private readonly keyQuota: KeyQuota;
  private draining?: Promise<void>;
  private readonly startedAt = Date.now();
  /** Smoothing settings, alert rules and the webhook dispatcher every session shares. */
  private readonly supervision: Supervision;

  private constructor(private readonly options: ServerOptions) {
    const { config } = options;
    this.logger = options.logger ?? silentLogger();
    this.access = new AccessControl({ apiKeys: config.apiKeys, allowedOrigins: config.allowedOrigins });
    this.keyQuota = options.keyQuota ?? new KeyCounts(config.maxSessionsPerKey);
    this.admission = new Admission({
      config,
      access: this.access,
      slots: options.slots ?? new LocalSlots(config.maxSessions),
      keyQuota: this.keyQuota,
      headroom: new HeadroomGate(
        { labels: this.metrics.recentLabelLatency, loopLag: this.metrics.recentLoopLag, utilization: this.metrics.recentUtilization },
        { targetMs: config.latencyTargetMs, maxUtilization: config.maxUtilization },
      ),
      liveConnections: () => this.sessions.size,
      metrics: this.metrics,
      logger: this.logger,
      draining: () => this.draining !== undefined,
      ready: () => this.models !== undefined,
      queuedWindows: () => this.loaded.reduce((sum, l) => sum + l.scheduler.pending, 0),
    });
    this.bus = options.bus ?? new InProcessBus(config.historySeconds);
    this.supervision = {
      settings: { summary: DEFAULT_SUMMARY_OPTIONS },
      ...(config.smoothing ? { smoothing: config.smoothing } : {}),
      ...(config.alertRules ? { alertRules: config.alertRules } : {}),
      ...(config.webhookUrls.length > 0 && config.webhookSecret
        ? {
            webhooks: new WebhookDispatcher(
              { ...DEFAULT_WEBHOOK_SETTINGS, urls: config.webhookUrls, secret: config.webhookSecret },
              { logger: this.logger.child({ component: 'webhooks' }), onOutcome: (o) => this.metrics.webhooks.inc({ outcome: o.outcome, reason: o.reason ?? '' }) },
            ),
          }
        : {}),
    };
    this.subscriptions = new Subscriptions({
      bus: this.bus,
      keys: new SubscriberKeys(config.subscriberKeys, config.apiKeys),
      historySeconds: config.historySeconds,
      maxBufferedBytes: config.subscriberBufferBytes,
      maxPerSession: config.maxSubscribersPerSession,
      maxSubscribers: config.maxSubscribers,
      retryAfterMs: config.retryAfterMs,
      metrics: this.metrics,
      logger: this.logger,
      draining: () => this.draining !== undefined,
    });
    const metricsKeys = new KeyList(config.metricsKeys);
    const metrics: MetricsEndpoint = {
      read: async () =>
        options.cluster ? options.cluster.metrics() : { contentType: this.metrics.registry.contentType, body: await this.metrics.registry.metrics() },
      allowed: (authorization) => metricsKeys.size === 0 || bearerAllowed(authorization, metricsKeys),
    };
    const app = createHttpApp({
      ...(config.metricsPort === undefined ? { metrics: metricsHandler(metrics) } : {}),
      notReadyReason: () => this.notReadyReason(),
      status: () => ({ sessions: this.sessions.size, subscribers: this.subscriptions.count, uptimeS: Math.round((Date.now() - this.startedAt) / 1000) }),
      mount: (app) => {
        app.get(SESSIONS_PATH, (req, res) => void this.subscriptions.list(req, res));
        app.get(`${SESSIONS_PATH}/:id/events`, (req, res) => void this.subscriptions.sse(req, res, req.params.id));
        app.get(TWILIO_PATH, (_req, res) => {
          res.status(426).set('Upgrade', 'websocket').json({ error: `${TWILIO_PATH} is a WebSocket endpoint for Twilio Media Streams (see docs/protocol.md)` });
        });
      },
    });
    // Read coalescing needs a paused socket to stop reading: node's net.Socket keeps reading into
    // its buffer while paused until the buffer holds highWaterMark bytes (16 KiB: half a second of
    // 16 kHz PCM), so reading stops only at a tiny mark. The option sets every socket's marks (a
    // public API since node 20.1); nothing here waits on a write's return value, so the writable
    // mark changes nothing we do.
    this.http = config.readCoalesceMs > 0 ? createServer({ highWaterMark: COALESCE_SOCKET_HIGH_WATER_MARK }, app) : createServer(app);
    if (config.metricsPort !== undefined) this.metricsHttp = createServer(createMetricsApp(metrics));
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: hardPayloadLimit(config.maxMessageBytes),
      perMessageDeflate: false,
      handleProtocols: (protocols) => selectProtocol(protocols),
    });
    const upgrades = new UpgradeQueue((req, socket, head) => {
      this.upgrade(req, socket, head).catch((e: unknown) => {
        this.logger.error({ err: (e as Error).message }, 'upgrade failed');
        socket.destroy();
      });
    }, config.handshakesPerTurn);
    this.http.on('upgrade', (req, socket, head) => upgrades.push(req, socket, head));
    this.metrics.sessionLimit.set(config.maxSessions);
    this.metrics.startLagSampler(() => this.sessions.size > 0);
    this.ready = this.loadModels();
    this.ready.catch(() => undefined);
  }

  /** Starts listening (the model loads in the background: see `ready`). */
  static async listen(options: ServerOptions): Promise<UndertoneServer> {
    const { config } = options;
    let server: UndertoneServer | undefined;
    const bus =
      options.bus ??
      (config.redisUrl
        ? await RedisBus.connect(
            config.redisUrl,
            {
              historySize: config.historySeconds,
              onDropped: () => server?.metrics.busEventsDropped.inc(),
              onUp: (up) => server?.metrics.busUp.set(up ? 1 : 0),
            },
            options.logger ?? silentLogger(),
          )
        : undefined);
    server = new UndertoneServer({ ...options, ...(bus ? { bus } : {}) });
    const listen = (http: Server, port: number): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, config.host, () => {
          http.off('error', reject);
          resolve();
        });
      });
    await listen(server.http, options.config.port);
    if (server.metricsHttp) await listen(server.metricsHttp, options.config.metricsPort!);
    return server;
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** The --metrics-port listener's port, when there is one. */
  get metricsPort(): number | undefined {
    return this.metricsHttp ? (this.metricsHttp.address() as AddressInfo).port : undefined;
  }

  get liveConnections(): number {
    return this.sessions.size;
  }

  /** Loads both models; if either cannot be loaded the server does not become ready (serve exits). */
  private async loadModels(): Promise<void> {
    const { config } = this.options;
    const bands: [Band, string][] = [['wideband', config.modelDir]];
    if (config.narrowbandModelDir !== undefined) bands.push(['narrowband', config.narrowbandModelDir]);
    const results = await Promise.allSettled(
      bands.map(([band, dir]) =>
        this.loadBand(band, dir).catch((e: unknown) => {
          if (band === 'wideband') throw e;
          // Say which model failed (the wideband message stays as it was) and how to run without it.
          throw new Error(`narrowband ${(e as Error).message} (--narrowband-model none runs every stream on the wideband model)`);
        }),
      ),
    );
    for (const r of results) if (r.status === 'fulfilled') this.loaded.push(r.value);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    this.models = new ServedModels(this.loaded[0], this.loaded[1]);
    if (config.narrowbandModelDir === undefined) this.logger.info('no narrowband model (--narrowband-model none): telephone-band streams use the wideband model');
  }

  private async loadBand(band: Band, dir: string): Promise<ServedModel> {
    const { config } = this.options;
    const t0 = Date.now();
    const model: InferenceModel = config.inferenceThread ? await ModelThread.start(dir) : await EmotionModel.load(dir, { threads: 1 });
    const scheduler = new InferenceScheduler(model, { maxBatch: config.maxBatch, maxWaitMs: config.batchWaitMs, band }, this.metrics);
    const engine = createEngine(config.engine, { metadata: model.metadata, model, scheduler, metrics: this.metrics, band });
    const { name, version, labels } = model.metadata;
    this.logger.info({ band, model: { name, version, labels, dir }, inferenceThread: config.inferenceThread, engine: config.engine, loadMs: Date.now() - t0 }, 'model loaded');
    return { band, dir, metadata: model.metadata, model, scheduler, engine };
  }

  private notReadyReason(): string | undefined {
    if (this.draining) return 'shutting down';
    if (!this.models) return 'model not loaded';
    if (this.options.cluster && !this.options.cluster.clusterReady()) return 'cluster workers still loading the model';
    return undefined;
  }

  /**
   * The WebSocket upgrade: subscriptions go to their endpoint; an audio connection is opened only
   * past every guard (path, admission, still not draining), else it gets the one refusal: an
   * error message and its close code.
   */
  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    const subscribeTo = parseEventsPath(pathname);
    if (subscribeTo !== undefined) return this.subscriptions.upgrade(req, socket, head, this.wss, subscribeTo);
    if (pathname !== STREAM_PATH && pathname !== TWILIO_PATH) {
      refuseHandshake(socket, 404);
      return;
    }
    this.metrics.wake();
    // Twilio cannot send our Authorization header: its key is checked in its start message.
    const twilio = pathname === TWILIO_PATH;
    if (twilio && !this.twilioSigned(req)) {
      const error = new ProtocolError('unauthorized', `missing or invalid ${SIGNATURE_HEADER} (the server has a Twilio auth token)`);
      this.metrics.errors.inc({ code: error.code });
      this.logger.info({ code: error.code, url: requestedUrl(req, this.options.config.publicUrl) }, 'twilio handshake refused: bad signature');
      refuseHandshake(socket, 403, error);
      return;
    }
    const admitted = await this.admission.admit(req, { requireKey: !twilio });
    if (socket.destroyed) {
      if (admitted instanceof AdmissionTicket) admitted.release();
      return;
    }
    if (admitted instanceof ProtocolError && this.options.config.overloadRefusal === 'http' && (admitted.code === 'overloaded' || admitted.code === 'not_ready')) {
      // --overload-refusal http: a refusal the client should retry costs one HTTP response, not a handshake, a frame and a close.
      this.metrics.errors.inc({ code: admitted.code });
      this.logger.info({ code: admitted.code }, 'connection refused before the handshake (HTTP 503)');
      refuseHandshake(socket, 503, admitted);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (admitted instanceof ProtocolError) return this.refuse(ws, admitted);
      if (this.draining) {
        admitted.release();
        return this.refuse(ws, shuttingDown());
      }
      this.open(ws, req, twilio, admitted);
    });
  }

  /** With Twilio auth tokens configured, whether the handshake carries Twilio's signature of the URL it requested. */
  private twilioSigned(req: IncomingMessage): boolean {
    const { twilioAuthTokens, publicUrl } = this.options.config;
    if (twilioAuthTokens.length === 0) return true;
    const header = req.headers[SIGNATURE_HEADER];
    return validTwilioSignature(twilioAuthTokens, Array.isArray(header) ? header[0] : header, requestedUrl(req, publicUrl));
  }

  private refuse(ws: WebSocket, error: ProtocolError): void {
    this.metrics.errors.inc({ code: error.code });
    this.logger.info({ code: error.code }, 'connection refused');
    ws.on('error', () => undefined);
    ws.send(JSON.stringify(error.toMessage()));
    ws.close(error.closeCode, error.code);
  }

  private open(ws: WebSocket, req: IncomingMessage, twilio: boolean, ticket: AdmissionTicket): void {
    const { config } = this.options;
    const ctx = {
      models: this.models!,
      metrics: this.metrics,
      logger: this.logger,
      bus: this.bus,
      supervision: this.supervision,
      idleTimeoutMs: config.idleTimeoutMs,
      startTimeoutMs: config.startTimeoutMs,
      maxMessageBytes: config.maxMessageBytes,
      flow: {
        burstSeconds: config.rateBurstSeconds,
        maxSpeed: config.maxSpeed,
        maxBufferedBytes: config.maxBufferedBytes,
        maxSendBufferBytes: config.maxSendBufferBytes,
      },
      readCoalescing: { maxPauseMs: config.readCoalesceMs, guardMs: COALESCE_GUARD_MS },
    };
    const remote = { address: req.socket.remoteAddress };
    const session: AudioConnection = twilio
      ? new TwilioCall(ws, { ...ctx, keys: this.access.keys, keyQuota: this.keyQuota, retryAfterMs: config.retryAfterMs }, remote)
      : new StreamConnection(ws, ctx, remote);
    this.sessions.add(session);
    void session.closed.then(() => {
      this.sessions.delete(session);
      ticket.release();
    });
  }

  /**
   * Graceful shutdown: stop accepting, let every live session finish (last labels, `end`, close
   * 1001), cut those still open after drainTimeoutMs, then release the model. Idempotent.
   */
  drain(): Promise<void> {
    this.draining ??= this.doDrain();
    return this.draining;
  }

  private async doDrain(): Promise<void> {
    const { drainTimeoutMs } = this.options.config;
    const live = [...this.sessions];
    this.logger.info({ sessions: live.length, drainTimeoutMs }, 'draining');
    const closedListener = new Promise<void>((resolve) => this.http.close(() => resolve()));
    const metricsClosed = this.metricsHttp ? new Promise<void>((resolve) => this.metricsHttp!.close(() => resolve())) : Promise.resolve();
    for (const s of live) s.shutdown();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.all(live.map((s) => s.closed)).then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), drainTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      const left = [...this.sessions];
      this.logger.warn({ sessions: left.length }, 'drain timeout: terminating sessions');
      for (const s of left) s.terminate();
      await Promise.all(left.map((s) => s.closed));
    }
    // Subscribers of sessions that ended got their `end`; any left (e.g. of another replica's sessions) get shutting_down.
    this.subscriptions.closeAll();
    // Every session has ended and queued its summary: give the webhooks their chance to go out.
    await this.supervision.webhooks?.close(Math.min(5000, drainTimeoutMs));
    // Sessions that slipped in while draining (refused) and idle keep-alive HTTP connections.
    for (const client of this.wss.clients) client.terminate();
    this.http.closeAllConnections();
    this.metricsHttp?.closeAllConnections();
    await closedListener;
    await metricsClosed;
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await this.ready.catch(() => undefined);
    for (const l of this.loaded) l.scheduler.close();
    await Promise.all(this.loaded.map((l) => l.model.release()));
    await this.bus.close();
    this.metrics.stop();
    this.logger.info('drained');
  }
}

