/**
 * Server configuration: every setting has a flag and an environment variable (the flag wins),
 * checked at start so a typo fails loudly instead of running with a default.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/** Engines a server can run (server/pipeline/engine.ts); named here so reading the config loads no model code. */
export const ENGINE_NAMES = ['batched', 'naive'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly modelDir: string;
  /** The telephone-band model for 8 kHz / G.711 / Twilio streams; undefined = every stream uses modelDir. */
  readonly narrowbandModelDir?: string;
  /** Live sessions across the whole server (all workers). */
  readonly maxSessions: number;
  /** Session ends after this long without a message (ms). */
  readonly idleTimeoutMs: number;
  /** A connection must send `start` within this (ms). */
  readonly startTimeoutMs: number;
  /** Largest WebSocket message accepted (bytes). */
  readonly maxMessageBytes: number;
  /** Accepted API keys (--api-keys and --api-keys-file together); empty means no authentication. */
  readonly apiKeys: readonly string[];
  /** Browser origins allowed to open sessions (exact scheme://host[:port]); empty means any. */
  readonly allowedOrigins: readonly string[];
  /** Serve /metrics on this port instead of the main one (undefined: the main port). */
  readonly metricsPort?: number;
  /** Keys /metrics requires as `Authorization: Bearer`; empty means open. */
  readonly metricsKeys: readonly string[];
  /** Windows waiting for inference at or above which new sessions are refused (0: no limit). */
  readonly maxQueuedWindows: number;
  /** Event-loop lag (ms, worst of the last second) at or above which new sessions are refused (0: no limit). */
  readonly maxEventLoopLagMs: number;
  /** Seconds of audio a client may send ahead of real time before being held to maxSpeed. */
  readonly rateBurstSeconds: number;
  /** Sustained speed after the burst, x real time (0 = unlimited). */
  readonly maxSpeed: number;
  /** Received audio bytes a session may hold unhandled before its socket stops being read. */
  readonly maxBufferedBytes: number;
  /** Unsent outgoing bytes at which a session is closed as a slow consumer. */
  readonly maxSendBufferBytes: number;
  /** Base of the retryAfterMs hint sent with overloaded (ms; jittered up to 1.5x). */
  readonly retryAfterMs: number;
  /** Processes serving the port (node cluster); 1 runs everything in this process. */
  readonly workers: number;
  /** Run onnxruntime on a worker thread instead of the event-loop thread. */
  readonly inferenceThread: boolean;
  /** Largest number of windows per onnxruntime call. */
  readonly maxBatch: number;
  /** Longest a due window waits for others to join its batch (ms). */
  readonly batchWaitMs: number;
  /** On SIGTERM, how long live sessions get to finish before they are cut (ms). */
  readonly drainTimeoutMs: number;
  /** How sessions compute and score windows: batched (default) or the naive baseline (benchmarks). */
  readonly engine: EngineName;
  /** Labels (seconds of stream time) of each live session kept for subscribers that join late. */
  readonly historySeconds: number;
  /** Read-only keys for subscriptions and the session listing (see server/subscriptions/subscriber-keys.ts). */
  readonly subscriberKeys: readonly string[];
  /** A subscriber with more unsent bytes than this is dropped. */
  readonly subscriberBufferBytes: number;
  /** Redis for the session bus (subscribers on any replica); undefined = this process only. */
  readonly redisUrl?: string;
  readonly logLevel: string;
}

interface Setting {
  readonly flag: string;
  readonly env: string;
  readonly help: string;
  readonly default: string;
}

/** Flag, env var, default and meaning of each setting (what `undertone serve --help` prints). */
export const SETTINGS = {
  port: { flag: 'port', env: 'PORT', default: '8080', help: 'TCP port (0 picks a free one; the "listening" log line names it)' },
  host: { flag: 'host', env: 'HOST', default: '0.0.0.0', help: 'address to bind' },
  modelDir: { flag: 'model', env: 'UNDERTONE_MODEL', default: 'models/ of the installation', help: 'model directory (model.json + model.onnx)' },
  narrowbandModelDir: {
    flag: 'narrowband-model',
    env: 'UNDERTONE_NARROWBAND_MODEL',
    default: 'models/narrowband/ of the installation',
    help: 'model directory for telephone-band streams (pcm_mulaw, pcm_alaw, sampleRate <= 8000, Twilio; start.band overrides); "none" = every stream uses --model',
  },
  maxSessions: { flag: 'max-sessions', env: 'UNDERTONE_MAX_SESSIONS', default: '200', help: 'live sessions before new ones get 1013 overloaded' },
  idleTimeout: { flag: 'idle-timeout', env: 'UNDERTONE_IDLE_TIMEOUT', default: '30', help: 'seconds without any message before a session ends (end, close 1000)' },
  startTimeout: { flag: 'start-timeout', env: 'UNDERTONE_START_TIMEOUT', default: '10', help: 'seconds a new connection has to send start (else 1008)' },
  maxMessageBytes: { flag: 'max-message-bytes', env: 'UNDERTONE_MAX_MESSAGE_BYTES', default: '262144', help: 'largest WebSocket message in bytes (else 1009)' },
  apiKeys: {
    flag: 'api-keys',
    env: 'UNDERTONE_API_KEYS',
    default: '(none: no authentication)',
    help: 'comma-separated API keys; clients send "Authorization: Bearer KEY", the subprotocol undertone.bearer.<base64url KEY>, or ?token=KEY (docs/protocol.md)',
  },
  apiKeysFile: { flag: 'api-keys-file', env: 'UNDERTONE_API_KEYS_FILE', default: '(none)', help: 'file of API keys, one per line (# comments, blank lines ignored); adds to --api-keys' },
  allowedOrigins: { flag: 'allowed-origins', env: 'UNDERTONE_ALLOWED_ORIGINS', default: '(any)', help: 'comma-separated browser origins (https://app.example.com) allowed to connect; others get 1008 origin_not_allowed' },
  metricsPort: { flag: 'metrics-port', env: 'UNDERTONE_METRICS_PORT', default: '(the main port)', help: 'serve /metrics only on this port (bind it to a private network)' },
  metricsKeys: { flag: 'metrics-keys', env: 'UNDERTONE_METRICS_KEYS', default: '(none: open)', help: 'comma-separated keys /metrics requires as "Authorization: Bearer KEY" (else 401)' },
  maxQueuedWindows: { flag: 'max-queued-windows', env: 'UNDERTONE_MAX_QUEUED_WINDOWS', default: '256', help: 'windows waiting for inference at which new sessions get 1013 overloaded (0 = no limit)' },
  maxEventLoopLag: { flag: 'max-event-loop-lag-ms', env: 'UNDERTONE_MAX_EVENT_LOOP_LAG_MS', default: '1000', help: 'event-loop lag (worst of the last second, ms) at which new sessions get 1013 overloaded (0 = no limit)' },
  rateBurst: { flag: 'rate-burst', env: 'UNDERTONE_RATE_BURST', default: '60', help: 'seconds of audio a client may send ahead of real time before --max-speed applies' },
  maxSpeed: { flag: 'max-speed', env: 'UNDERTONE_MAX_SPEED', default: '10', help: 'sustained audio rate after the burst, x real time; faster clients are paused (TCP backpressure). 0 = unlimited' },
  maxBufferedBytes: { flag: 'max-buffered-bytes', env: 'UNDERTONE_MAX_BUFFERED_BYTES', default: '1048576', help: 'received bytes a session may hold unhandled before its socket stops being read' },
  maxSendBuffer: { flag: 'max-send-buffer', env: 'UNDERTONE_MAX_SEND_BUFFER', default: '1048576', help: 'unsent bytes for a client that does not read at which it is closed (slow_consumer, 1008)' },
  retryAfter: { flag: 'retry-after-ms', env: 'UNDERTONE_RETRY_AFTER_MS', default: '2000', help: 'retryAfterMs hint sent with overloaded/not_ready (jittered up to 1.5x)' },
  workers: { flag: 'workers', env: 'UNDERTONE_WORKERS', default: 'number of CPUs', help: 'server processes sharing the port (node cluster); 1 = single process' },
  inferenceThread: { flag: 'inference-thread', env: 'UNDERTONE_INFERENCE_THREAD', default: 'off', help: 'run inference on a worker thread (1/true to enable; see docs/decisions.md)' },
  maxBatch: { flag: 'max-batch', env: 'UNDERTONE_MAX_BATCH', default: '16', help: 'most windows per inference call (a full batch holds the event loop ~5 ms)' },
  batchWait: { flag: 'batch-wait-ms', env: 'UNDERTONE_BATCH_WAIT_MS', default: '5', help: 'longest a window waits for a fuller batch (ms)' },
  drainTimeout: { flag: 'drain-timeout', env: 'UNDERTONE_DRAIN_TIMEOUT', default: '15', help: 'seconds live sessions get to finish on SIGTERM' },
  engine: { flag: 'engine', env: 'UNDERTONE_ENGINE', default: 'batched', help: 'batched (incremental features, cross-session batched inference) or naive (baseline for bench:compare: whole-window features every second, batch-1 inference per session)' },
  historySeconds: { flag: 'history-seconds', env: 'UNDERTONE_HISTORY_SECONDS', default: '30', help: 'seconds of labels per live session replayed to a subscriber that joins late' },
  subscriberKeys: { flag: 'subscriber-keys', env: 'UNDERTONE_SUBSCRIBER_KEYS', default: '(none: open when --api-keys is unset, else subscriptions refused)', help: 'comma-separated read-only keys for GET /v1/sessions and /v1/sessions/:id/events (audio keys cannot subscribe)' },
  subscriberBufferBytes: { flag: 'subscriber-buffer-bytes', env: 'UNDERTONE_SUBSCRIBER_BUFFER_BYTES', default: '1048576', help: 'unsent bytes above which a slow subscriber is dropped' },
  redisUrl: { flag: 'redis-url', env: 'REDIS_URL', default: '(none: subscriptions see this process only)', help: 'redis://HOST:PORT: session bus shared by every replica (listing, history, live labels)' },
  logLevel: { flag: 'log-level', env: 'LOG_LEVEL', default: 'info', help: 'fatal, error, warn, info, debug, trace or silent' },
} as const satisfies Record<string, Setting>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function serveUsage(): string {
  const rows = Object.values(SETTINGS).map((s: Setting) => {
    const arg = s.flag === 'inference-thread' ? '' : s.flag === 'api-keys' || s.flag === 'subscriber-keys' ? ' K1,K2' : ' VALUE';
    const left = `  --${s.flag}${arg}`.padEnd(30);
    return `${left}${s.help}\n${''.padEnd(30)}env ${s.env}; default ${s.default}`;
  });
  return [
    'usage: undertone serve [options]',
    '',
    'Serves live speech-emotion labels over WebSockets: GET /v1/stream (see docs/protocol.md),',
    'plus /healthz, /readyz and /metrics (Prometheus) on the same port. Logs are JSON lines on',
    'stdout. SIGTERM (or SIGINT) drains: no new sessions, live ones get their last labels, `end`',
    'and close 1001, then the process exits.',
    '',
    'options (a flag overrides its environment variable):',
    ...rows,
    '  -h, --help                  this help',
  ].join('\n');
}

function number(name: string, text: string, { min, max, integer }: { min: number; max: number; integer: boolean }): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    throw new ConfigError(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** The keys of an API-key file: one per line; blank lines and lines starting with # are skipped. */
export function keysFile(file: string): string[] {
  if (file === '') return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read the API key file ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const keys = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
  if (keys.length === 0) throw new ConfigError(`the API key file ${file} holds no keys (one per line)`);
  return keys;
}

/** The narrowband model's directory: given, "none" (disabled: absent), or the installation's models/narrowband. */
function narrowband(text: string | undefined, defaultModelDir: string): { narrowbandModelDir?: string } {
  if (text === 'none') return {};
  if (text === '') throw new ConfigError(`--${SETTINGS.narrowbandModelDir.flag} must be a directory or "none"`);
  return { narrowbandModelDir: text ?? join(defaultModelDir, 'narrowband') };
}

/** Resolves the configuration from argv (flags) over env over defaults. `defaultModelDir` is the shipped model. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv, defaultModelDir: string): ServerConfig & { help: boolean } {
  const options = Object.fromEntries(
    Object.values(SETTINGS).map((s: Setting) => [s.flag, { type: s.flag === 'inference-thread' ? ('boolean' as const) : ('string' as const) }]),
  );
  const parsed = parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: false });
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const raw = (s: Setting): string | undefined => (values[s.flag] as string | undefined) ?? env[s.env];
  const get = (s: Setting, fallback: string): { name: string; text: string } => {
    const fromFlag = values[s.flag] as string | undefined;
    return { name: fromFlag !== undefined ? `--${s.flag}` : env[s.env] !== undefined ? s.env : `--${s.flag}`, text: raw(s) ?? fallback };
  };
  const num = (s: Setting, fallback: string, range: { min: number; max: number; integer: boolean }): number => {
    const { name, text } = get(s, fallback);
    return number(name, text, range);
  };
  const seconds = (s: Setting, fallback: string): number => Math.round(num(s, fallback, { min: 0.05, max: 86400, integer: false }) * 1000);
  const logLevel = raw(SETTINGS.logLevel) ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) throw new ConfigError(`unknown log level ${JSON.stringify(logLevel)}`);
  const threadFlag = values[SETTINGS.inferenceThread.flag] as boolean | undefined;
  const threadEnv = env[SETTINGS.inferenceThread.env];
  if (threadEnv !== undefined && !['', '0', '1', 'true', 'false'].includes(threadEnv)) throw new ConfigError(`${SETTINGS.inferenceThread.env} must be 0, 1, true or false`);
  const inferenceThread = threadFlag ?? (threadEnv === '1' || threadEnv === 'true');
  const engine = raw(SETTINGS.engine) ?? 'batched';
  if (!(ENGINE_NAMES as readonly string[]).includes(engine)) throw new ConfigError(`${get(SETTINGS.engine, '').name} must be one of ${ENGINE_NAMES.join(', ')}, got ${JSON.stringify(engine)}`);
  const list = (s: Setting): string[] => (raw(s) ?? '').split(',').map((k) => k.trim()).filter((k) => k.length > 0);
  const apiKeys = [...list(SETTINGS.apiKeys), ...keysFile(get(SETTINGS.apiKeysFile, '').text)];
  const metricsPortText = raw(SETTINGS.metricsPort);
  return {
    help: values.help === true,
    port: num(SETTINGS.port, '8080', { min: 0, max: 65535, integer: true }),
    host: raw(SETTINGS.host) ?? '0.0.0.0',
    modelDir: raw(SETTINGS.modelDir) ?? defaultModelDir,
    ...narrowband(raw(SETTINGS.narrowbandModelDir), defaultModelDir),
    maxSessions: num(SETTINGS.maxSessions, '200', { min: 1, max: 100000, integer: true }),
    idleTimeoutMs: seconds(SETTINGS.idleTimeout, '30'),
    startTimeoutMs: seconds(SETTINGS.startTimeout, '10'),
    maxMessageBytes: num(SETTINGS.maxMessageBytes, '262144', { min: 1024, max: 64 * 1024 * 1024, integer: true }),
    apiKeys,
    allowedOrigins: list(SETTINGS.allowedOrigins),
    ...(metricsPortText !== undefined && metricsPortText !== '' ? { metricsPort: num(SETTINGS.metricsPort, '', { min: 0, max: 65535, integer: true }) } : {}),
    metricsKeys: list(SETTINGS.metricsKeys),
    maxQueuedWindows: num(SETTINGS.maxQueuedWindows, '256', { min: 0, max: 1_000_000, integer: true }),
    maxEventLoopLagMs: num(SETTINGS.maxEventLoopLag, '1000', { min: 0, max: 60_000, integer: false }),
    rateBurstSeconds: num(SETTINGS.rateBurst, '60', { min: 0, max: 86400, integer: false }),
    maxSpeed: num(SETTINGS.maxSpeed, '10', { min: 0, max: 100000, integer: false }),
    maxBufferedBytes: num(SETTINGS.maxBufferedBytes, '1048576', { min: 1024, max: 1 << 30, integer: true }),
    maxSendBufferBytes: num(SETTINGS.maxSendBuffer, '1048576', { min: 1024, max: 1 << 30, integer: true }),
    retryAfterMs: num(SETTINGS.retryAfter, '2000', { min: 0, max: 3_600_000, integer: true }),
    workers: num(SETTINGS.workers, String(availableParallelism()), { min: 1, max: 256, integer: true }),
    inferenceThread,
    maxBatch: num(SETTINGS.maxBatch, '16', { min: 1, max: 4096, integer: true }),
    batchWaitMs: num(SETTINGS.batchWait, '5', { min: 0, max: 1000, integer: false }),
    drainTimeoutMs: seconds(SETTINGS.drainTimeout, '15'),
    engine: engine as EngineName,
    historySeconds: num(SETTINGS.historySeconds, '30', { min: 0, max: 86400, integer: true }),
    subscriberKeys: list(SETTINGS.subscriberKeys),
    ...(raw(SETTINGS.redisUrl) ? { redisUrl: raw(SETTINGS.redisUrl) } : {}),
    subscriberBufferBytes: num(SETTINGS.subscriberBufferBytes, '1048576', { min: 1024, max: 1024 * 1024 * 1024, integer: true }),
    logLevel,
  };
}

/** Defaults for embedding the server (tests, tools): everything but the model directory. */
export function defaultConfig(modelDir: string, overrides: Partial<ServerConfig> = {}): ServerConfig {
  const { help: _help, ...config } = loadConfig([], {}, modelDir);
  return { ...config, workers: 1, ...overrides };
}
