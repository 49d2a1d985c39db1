/**
 * Server configuration: one table (SETTINGS) declares every setting once: its flag, its
 * environment variable (the flag wins), its typed default, its parser and its help line.
 * loadConfig and `undertone serve --help` are derived from it. Values are checked at start so a
 * typo fails loudly instead of running with a default.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type AlertRulesDoc, loadAlertRulesDoc } from '../../core/supervision/alert-rules.js';
import { parseSmoothingSettings, type SmoothingSettings } from '../../core/supervision/smoothing.js';
import { ConfigError, type Parser, decimal, integer, list, oneOf, secondsAsMs, text } from './parsers.js';
import { PACE_FLOOR } from '../admission/headroom.js';

export { ConfigError } from './parsers.js';

/** Engines a server can run (server/pipeline/engine.ts); named here so reading the config loads no model code. */
export const ENGINE_NAMES = ['batched', 'naive'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** The two ways a retryable refusal can be sent (ServerConfig.overloadRefusal). */
export const OVERLOAD_REFUSALS = ['close', 'http'] as const;
export type OverloadRefusal = (typeof OVERLOAD_REFUSALS)[number];

export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly modelDir: string;
  /** The telephone-band model for 8 kHz / G.711 / Twilio streams; undefined = every stream uses modelDir. */
  readonly narrowbandModelDir?: string;
  /** Optional ceiling on live sessions across the whole server (all workers); 0 = none (admission follows latencyTargetMs). */
  readonly maxSessions: number;
  /** Label delay (ms: p95 label latency of real-time sessions + median event-loop lag, last second) above which new sessions are refused; 0 = off. */
  readonly latencyTargetMs: number;
  /** Admission's ceiling on the predicted busy share of a process with one more session (0 = no prediction). */
  readonly maxUtilization: number;
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
  /** Longest pause of reading a real-time client's socket between labels (ms; server/transport/read-coalescer.ts); 0 = read every message as it comes. */
  readonly readCoalesceMs: number;
  /** Base of the retryAfterMs hint sent with overloaded (ms; jittered up to 1.5x). */
  readonly retryAfterMs: number;
  /** WebSocket upgrades handled per event-loop turn (the rest wait their turn); 0 = no pacing. */
  readonly handshakesPerTurn: number;
  /** How an overloaded or not_ready refusal reaches an audio client: after the WebSocket handshake as an error message and close 1013 ('close'), or instead of it as HTTP 503 with Retry-After ('http'). */
  readonly overloadRefusal: OverloadRefusal;
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
  /** Subscribers (WS + SSE) one session may have at once; more get too_many_subscribers. */
  readonly maxSubscribersPerSession: number;
  /** Subscribers one process may hold at once; more get too_many_subscribers. */
  readonly maxSubscribers: number;
  /** Live audio connections one API key may hold across the server (0: no per-key limit). */
  readonly maxSessionsPerKey: number;
  /** Twilio auth tokens (primary, secondary): when set, /v1/twilio handshakes must carry a valid X-Twilio-Signature. */
  readonly twilioAuthTokens: readonly string[];
  /** The externally visible ws(s)://host[:port] Twilio connects to (for the signature), when a proxy changes scheme or host. */
  readonly publicUrl?: string;
  /**
   * Alert rules: --alert-rules FILE (validated at start); absent = each model's built-in set (the
   * built-in rules as tuned for that model, model.json supervision.rules).
   */
  readonly alertRules?: AlertRulesDoc;
  /**
   * Smoothing fields the server sets over each model's own setting (model.json, else
   * DEFAULT_SMOOTHING); a session's start.smoothing overrides fields again. Absent = the model's.
   */
  readonly smoothing?: Partial<SmoothingSettings>;
  /** Where alerts and end summaries are POSTed (empty: no webhooks). */
  readonly webhookUrls: readonly string[];
  /** HMAC-SHA256 key of the webhook signature (required with webhookUrls). */
  readonly webhookSecret?: string;
  readonly logLevel: string;
}

/** What a default may depend on: the installation's model directory (`models/`, or UNDERTONE_MODEL's default). */
interface Installation {
  readonly modelDir: string;
}

/** One server setting, declared once. */
export interface Setting<T> {
  readonly flag: string;
  readonly env: string;
  readonly help: string;
  /** The value when neither the flag nor the variable is given (undefined: the setting is absent). */
  readonly default: T | ((installation: Installation) => T);
  /** How --help shows the default, when not the value itself. */
  readonly shown?: string;
  readonly parse: Parser<T>;
  /** --help's placeholder for the value ('' for a switch). */
  readonly arg?: string;
  /** A flag without a value (present = on); its variable takes 0, 1, true or false. */
  readonly switch?: true;
  /** A flag that may be given several times: its values are parsed as one comma-separated list. */
  readonly repeatable?: true;
}

function setting<T>(s: Setting<T>): Setting<T> {
  return s;
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

/** An optional value: empty text means absent. */
function optional<T>(parse: Parser<T>): Parser<T | undefined> {
  return (value, name) => (value === '' ? undefined : parse(value, name));
}

/** An alert rules file, read and validated now (the error names the file and the problem). */
const alertRulesFile: Parser<AlertRulesDoc> = (file) => {
  try {
    return loadAlertRulesDoc(file);
  } catch (e) {
    throw new ConfigError(`alert rules: ${(e as Error).message}`);
  }
};

/** Smoothing fields as a JSON object, checked now (the fields are laid over each model's own setting later). */
const smoothingJson: Parser<Partial<SmoothingSettings>> = (value, name) => {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    throw new ConfigError(`${name} must be a JSON object, got ${JSON.stringify(value.slice(0, 80))}`);
  }
  try {
    parseSmoothingSettings(raw, name);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  return raw as Partial<SmoothingSettings>;
};

/** http(s) URLs, comma-separated. */
const urls: Parser<string[]> = (value, name) =>
  list(value, name).map((u) => {
    let protocol: string;
    try {
      protocol = new URL(u).protocol;
    } catch {
      throw new ConfigError(`${name}: not a URL: ${JSON.stringify(u)}`);
    }
    if (protocol !== 'http:' && protocol !== 'https:') throw new ConfigError(`${name}: only http and https URLs, got ${JSON.stringify(u)}`);
    return u;
  });

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Flag, env var, typed default, parser and meaning of each setting (what `undertone serve --help` prints). */
export const SETTINGS = {
  port: setting({ flag: 'port', env: 'PORT', default: 8080, parse: integer(0, 65535), help: 'TCP port (0 picks a free one; the "listening" log line names it)' }),
  host: setting({ flag: 'host', env: 'HOST', default: '0.0.0.0', parse: text, help: 'address to bind' }),
  modelDir: setting({ flag: 'model', env: 'UNDERTONE_MODEL', default: (i) => i.modelDir, shown: 'models/ of the installation', parse: text, help: 'model directory (model.json + model.onnx)' }),
  narrowbandModelDir: setting<string | undefined>({
    flag: 'narrowband-model',
    env: 'UNDERTONE_NARROWBAND_MODEL',
    default: (i) => join(i.modelDir, 'narrowband'),
    shown: 'models/narrowband/ of the installation',
    parse: (value) => {
      if (value === 'none') return undefined;
      if (value === '') throw new ConfigError('--narrowband-model must be a directory or "none"');
      return value;
    },
    help: 'model directory for telephone-band streams (pcm_mulaw, pcm_alaw, sampleRate <= 8000, Twilio; start.band overrides); "none" = every stream uses --model',
  }),
  maxSessions: setting({
    flag: 'max-sessions',
    env: 'UNDERTONE_MAX_SESSIONS',
    default: 0,
    shown: '0 (no ceiling: admission follows --latency-target-ms)',
    parse: integer(0, 100000),
    help: 'optional ceiling on live sessions across all workers; more get 1013 overloaded. 0 = none',
  }),
  latencyTargetMs: setting({
    flag: 'latency-target-ms',
    env: 'UNDERTONE_LATENCY_TARGET_MS',
    default: 50,
    parse: decimal(0, 60_000),
    help: 'admission by measured headroom: while p95 label latency (real-time sessions) + median event-loop lag over the last second is above this (ms), new sessions get 1013 overloaded (0 = off)',
  }),
  maxUtilization: setting({
    flag: 'max-utilization',
    env: 'UNDERTONE_MAX_UTILIZATION',
    default: 0.8,
    parse: decimal(0, 4),
    help: `admission by predicted load: a new session is refused (1013 overloaded) when the busy share (the larger of its worker's event loop or CPU and the machine's CPU, last second) plus the estimated cost of the sessions just admitted and of one more would exceed this; while too little audio flows to estimate that cost, at most ${PACE_FLOOR} sessions not yet streaming are admitted (0 = off, the ${PACE_FLOOR}-session pace included: only --latency-target-ms gates)`,
  }),
  idleTimeoutMs: setting({ flag: 'idle-timeout', env: 'UNDERTONE_IDLE_TIMEOUT', default: 30_000, shown: '30', parse: secondsAsMs(0.05, 86400), help: 'seconds without any message before a session ends (end, close 1000)' }),
  startTimeoutMs: setting({ flag: 'start-timeout', env: 'UNDERTONE_START_TIMEOUT', default: 10_000, shown: '10', parse: secondsAsMs(0.05, 86400), help: 'seconds a new connection has to send start (else 1008)' }),
  maxMessageBytes: setting({ flag: 'max-message-bytes', env: 'UNDERTONE_MAX_MESSAGE_BYTES', default: 262144, parse: integer(1024, 64 * 1024 * 1024), help: 'largest WebSocket message in bytes (else 1009)' }),
  apiKeys: setting({
    flag: 'api-keys',
    env: 'UNDERTONE_API_KEYS',
    default: [] as string[],
    shown: '(none: no authentication)',
    parse: list,
    arg: ' K1,K2',
    help: 'comma-separated API keys; clients send "Authorization: Bearer KEY", the subprotocol undertone.bearer.<base64url KEY>, or ?token=KEY (docs/protocol.md)',
  }),
  apiKeysFile: setting({ flag: 'api-keys-file', env: 'UNDERTONE_API_KEYS_FILE', default: [] as string[], shown: '(none)', parse: keysFile, help: 'file of API keys, one per line (# comments, blank lines ignored); adds to --api-keys' }),
  allowedOrigins: setting({ flag: 'allowed-origins', env: 'UNDERTONE_ALLOWED_ORIGINS', default: [] as string[], shown: '(any)', parse: list, help: 'comma-separated browser origins (https://app.example.com) allowed to connect; others get 1008 origin_not_allowed' }),
  metricsPort: setting<number | undefined>({ flag: 'metrics-port', env: 'UNDERTONE_METRICS_PORT', default: undefined, shown: '(the main port)', parse: optional(integer(0, 65535)), help: 'serve /metrics only on this port (bind it to a private network)' }),
  metricsKeys: setting({ flag: 'metrics-keys', env: 'UNDERTONE_METRICS_KEYS', default: [] as string[], shown: '(none: open)', parse: list, help: 'comma-separated keys /metrics requires as "Authorization: Bearer KEY" (else 401)' }),
  maxQueuedWindows: setting({ flag: 'max-queued-windows', env: 'UNDERTONE_MAX_QUEUED_WINDOWS', default: 256, parse: integer(0, 1_000_000), help: 'windows waiting for inference at which new sessions get 1013 overloaded (0 = no limit)' }),
  maxEventLoopLagMs: setting({ flag: 'max-event-loop-lag-ms', env: 'UNDERTONE_MAX_EVENT_LOOP_LAG_MS', default: 1000, parse: decimal(0, 60_000), help: 'event-loop lag (worst of the last second, ms) at which new sessions get 1013 overloaded (0 = no limit)' }),
  rateBurstSeconds: setting({ flag: 'rate-burst', env: 'UNDERTONE_RATE_BURST', default: 60, parse: decimal(0, 86400), help: 'seconds of audio a client may send ahead of real time before --max-speed applies' }),
  maxSpeed: setting({ flag: 'max-speed', env: 'UNDERTONE_MAX_SPEED', default: 10, parse: decimal(0, 100000), help: 'sustained audio rate after the burst, x real time; faster clients are paused (TCP backpressure). 0 = unlimited' }),
  maxBufferedBytes: setting({ flag: 'max-buffered-bytes', env: 'UNDERTONE_MAX_BUFFERED_BYTES', default: 1048576, parse: integer(1024, 1 << 30), help: 'received bytes a session may hold unhandled before its socket stops being read' }),
  maxSendBufferBytes: setting({ flag: 'max-send-buffer', env: 'UNDERTONE_MAX_SEND_BUFFER', default: 1048576, parse: integer(1024, 1 << 30), help: 'unsent bytes for a client that does not read at which it is closed (slow_consumer, 1008)' }),
  readCoalesceMs: setting({
    flag: 'read-coalesce-ms',
    env: 'UNDERTONE_READ_COALESCE_MS',
    // Off: 6.7x fewer read() calls measured no CPU gain at 200 loopback streams (docs/benchmarks.md).
    default: 0,
    parse: integer(0, 1000),
    arg: ' MS',
    help: 'a client streaming at about real time is read a few times a second: between its labels its socket rests up to MS ms and the kernel keeps its messages for one read, resuming 40 ms before the next label\'s audio is due (server/transport/read-coalescer.ts); 0 = every message read as it comes',
  }),
  retryAfterMs: setting({ flag: 'retry-after-ms', env: 'UNDERTONE_RETRY_AFTER_MS', default: 2000, parse: integer(0, 3_600_000), help: 'retryAfterMs hint sent with overloaded/not_ready (jittered up to 1.5x)' }),
  handshakesPerTurn: setting({
    flag: 'handshakes-per-turn',
    env: 'UNDERTONE_HANDSHAKES_PER_TURN',
    default: 8,
    parse: integer(0, 100_000),
    arg: ' N',
    help: 'WebSocket upgrades handled per turn of the event loop; the rest wait for the next turns, so a burst of connection attempts does not hold up the live sessions\' audio (server/transport/upgrade-queue.ts); 0 = each as it arrives',
  }),
  overloadRefusal: setting({
    flag: 'overload-refusal',
    env: 'UNDERTONE_OVERLOAD_REFUSAL',
    default: 'close' as OverloadRefusal,
    parse: oneOf(OVERLOAD_REFUSALS),
    arg: ' close|http',
    help: 'how overloaded and not_ready refusals of audio connections are sent: "close" = after the handshake, an error message with retryAfterMs and close 1013 (browsers can read it); "http" = HTTP 503 + Retry-After + the same JSON body instead of the handshake (cheaper per refusal; browsers see only a failed connection)',
  }),
  workers: setting({ flag: 'workers', env: 'UNDERTONE_WORKERS', default: () => availableParallelism(), shown: 'number of CPUs', parse: integer(1, 256), help: 'server processes sharing the port (node cluster); 1 = single process' }),
  inferenceThread: setting({
    flag: 'inference-thread',
    env: 'UNDERTONE_INFERENCE_THREAD',
    default: false,
    shown: 'off',
    switch: true,
    parse: (value, name) => {
      if (!['', '0', '1', 'true', 'false'].includes(value)) throw new ConfigError(`${name} must be 0, 1, true or false`);
      return value === '1' || value === 'true';
    },
    help: 'run inference on a worker thread (1/true to enable; see docs/decisions.md)',
  }),
  maxBatch: setting({ flag: 'max-batch', env: 'UNDERTONE_MAX_BATCH', default: 16, parse: integer(1, 4096), help: 'most windows per inference call (a full batch holds the event loop ~5 ms)' }),
  batchWaitMs: setting({ flag: 'batch-wait-ms', env: 'UNDERTONE_BATCH_WAIT_MS', default: 5, parse: decimal(0, 1000), help: 'longest a window waits for a fuller batch (ms)' }),
  drainTimeoutMs: setting({ flag: 'drain-timeout', env: 'UNDERTONE_DRAIN_TIMEOUT', default: 15_000, shown: '15', parse: secondsAsMs(0.05, 86400), help: 'seconds live sessions get to finish on SIGTERM' }),
  engine: setting<EngineName>({
    flag: 'engine',
    env: 'UNDERTONE_ENGINE',
    default: 'batched',
    parse: oneOf(ENGINE_NAMES),
    help: 'batched (incremental features, cross-session batched inference) or naive (baseline for bench:compare: whole-window features every second, batch-1 inference per session)',
  }),
  historySeconds: setting({ flag: 'history-seconds', env: 'UNDERTONE_HISTORY_SECONDS', default: 30, parse: integer(0, 86400), help: 'seconds of labels per live session replayed to a subscriber that joins late' }),
  subscriberKeys: setting({
    flag: 'subscriber-keys',
    env: 'UNDERTONE_SUBSCRIBER_KEYS',
    default: [] as string[],
    shown: '(none: open when --api-keys is unset, else subscriptions refused)',
    parse: list,
    arg: ' K1,K2',
    help: 'comma-separated read-only keys for GET /v1/sessions and /v1/sessions/:id/events (audio keys cannot subscribe)',
  }),
  subscriberBufferBytes: setting({ flag: 'subscriber-buffer-bytes', env: 'UNDERTONE_SUBSCRIBER_BUFFER_BYTES', default: 1048576, parse: integer(1024, 1024 * 1024 * 1024), help: 'unsent bytes above which a slow subscriber is dropped' }),
  maxSubscribersPerSession: setting({
    flag: 'max-subscribers-per-session',
    env: 'UNDERTONE_MAX_SUBSCRIBERS_PER_SESSION',
    default: 32,
    parse: integer(1, 100_000),
    help: 'subscribers one session may have (per process); more are refused with too_many_subscribers (1013 / HTTP 429)',
  }),
  maxSubscribers: setting({ flag: 'max-subscribers', env: 'UNDERTONE_MAX_SUBSCRIBERS', default: 2000, parse: integer(1, 1_000_000), help: 'subscribers one process may hold; more are refused with too_many_subscribers (1013 / HTTP 429)' }),
  maxSessionsPerKey: setting({
    flag: 'max-sessions-per-key',
    env: 'UNDERTONE_MAX_SESSIONS_PER_KEY',
    default: 0,
    shown: '0 (no per-key limit)',
    parse: integer(0, 1_000_000),
    help: 'live audio connections one API key may hold across the server; more get key_session_limit (1013). 0 = no limit',
  }),
  twilioAuthTokens: setting({
    flag: 'twilio-auth-token',
    env: 'TWILIO_AUTH_TOKEN',
    default: [] as string[],
    shown: '(none: /v1/twilio handshakes are not signature-checked)',
    parse: list,
    arg: ' T1,T2',
    help: 'Twilio auth token(s), comma-separated during rotation: /v1/twilio handshakes without a valid X-Twilio-Signature get HTTP 403',
  }),
  publicUrl: setting<string | undefined>({
    flag: 'public-url',
    env: 'UNDERTONE_PUBLIC_URL',
    default: undefined,
    shown: '(from X-Forwarded-Proto/-Host or Host)',
    parse: optional((value, name) => {
      if (!/^wss?:\/\/[^/]+\/?$/.test(value)) throw new ConfigError(`${name} must be ws://HOST[:PORT] or wss://HOST[:PORT], got ${JSON.stringify(value)}`);
      return value;
    }),
    help: 'the ws(s)://host[:port] clients (Twilio) connect to, when a proxy changes the scheme or host: the URL X-Twilio-Signature is checked against',
  }),
  redisUrl: setting<string | undefined>({ flag: 'redis-url', env: 'REDIS_URL', default: undefined, shown: '(none: subscriptions see this process only)', parse: optional(text), help: 'redis://HOST:PORT: session bus shared by every replica (listing, history, live labels)' }),
  alertRules: setting<AlertRulesDoc | undefined>({
    flag: 'alert-rules',
    env: 'UNDERTONE_ALERT_RULES',
    default: undefined,
    shown: "(built-in: sustained-negative, rising-arousal, as tuned for each model)",
    parse: optional(alertRulesFile),
    arg: ' FILE',
    help: 'JSON file of alert rules (schema: docs/insight.md); replaces the built-in set unless it says "includeDefaults": true',
  }),
  smoothing: setting<Partial<SmoothingSettings> | undefined>({
    flag: 'smoothing',
    env: 'UNDERTONE_SMOOTHING',
    default: undefined,
    shown: "(each model's own, chosen on its validation speakers; docs/insight.md)",
    parse: optional(smoothingJson),
    arg: ' JSON',
    help: 'smoothing fields as a JSON object over each model\'s own setting, e.g. {"method":"ema","alpha":0.3}; a session\'s start.smoothing overrides fields',
  }),
  webhookUrls: setting<string[]>({
    flag: 'webhook-url',
    env: 'UNDERTONE_WEBHOOK_URLS',
    default: [] as string[],
    shown: '(none)',
    parse: urls,
    arg: ' URL',
    repeatable: true,
    help: 'http(s) URL alerts and end summaries are POSTed to, signed (repeat the flag for several; the variable takes a comma-separated list)',
  }),
  webhookSecret: setting<string | undefined>({
    flag: 'webhook-secret',
    env: 'UNDERTONE_WEBHOOK_SECRET',
    default: undefined,
    shown: '(none; required with --webhook-url)',
    parse: optional(text),
    arg: ' KEY',
    help: 'key of the Undertone-Signature HMAC-SHA256 of webhook requests (docs/insight.md)',
  }),
  logLevel: setting({
    flag: 'log-level',
    env: 'LOG_LEVEL',
    default: 'info',
    parse: (value) => {
      if (!LOG_LEVELS.includes(value)) throw new ConfigError(`unknown log level ${JSON.stringify(value)}`);
      return value;
    },
    help: 'fatal, error, warn, info, debug, trace or silent',
  }),
};

type Settings = typeof SETTINGS;
/** Every setting's value, by its key in SETTINGS. */
type Values = { -readonly [K in keyof Settings]: Settings[K] extends Setting<infer T> ? T : never };

// Every ServerConfig field is a setting of the same type (apiKeysFile is folded into apiKeys).
type Missing = Exclude<keyof ServerConfig, keyof Values>;
const _everyFieldHasASetting: [Missing] extends [never] ? true : Missing = true;
void _everyFieldHasASetting;

const ANY_SETTINGS = Object.values(SETTINGS) as Setting<unknown>[];

export function serveUsage(): string {
  const rows = ANY_SETTINGS.map((s) => {
    const arg = s.arg ?? (s.switch ? '' : ' VALUE');
    const flag = `  --${s.flag}${arg}`;
    // A flag too long for the column gets its help on the next line.
    const left = flag.length < 30 ? flag.padEnd(30) : `${flag}\n${''.padEnd(30)}`;
    const shown = s.shown ?? String(s.default);
    return `${left}${s.help}\n${''.padEnd(30)}env ${s.env}; default ${shown}`;
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

/** Resolves the configuration from argv (flags) over env over defaults. `defaultModelDir` is the shipped model. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv, defaultModelDir: string): ServerConfig & { help: boolean } {
  const options = Object.fromEntries(ANY_SETTINGS.map((s) => [s.flag, { type: s.switch ? ('boolean' as const) : ('string' as const), ...(s.repeatable ? { multiple: true } : {}) }]));
  const parsed = parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: false });
  const flags = parsed.values as Record<string, string | string[] | boolean | undefined>;
  const installation: Installation = { modelDir: defaultModelDir };
  const value = (s: Setting<unknown>): unknown => {
    const flag = flags[s.flag];
    if (typeof flag === 'boolean') return flag;
    if (Array.isArray(flag)) return s.parse(flag.join(','), `--${s.flag}`);
    if (flag !== undefined) return s.parse(flag, `--${s.flag}`);
    const fromEnv = env[s.env];
    if (fromEnv !== undefined) return s.parse(fromEnv, s.env);
    return typeof s.default === 'function' ? (s.default as (i: Installation) => unknown)(installation) : s.default;
  };
  const values = Object.fromEntries(Object.entries(SETTINGS).map(([key, s]) => [key, value(s as Setting<unknown>)])) as Values;
  const { apiKeysFile, ...config } = values;
  // Absent optional settings are left out, not set to undefined.
  for (const key of Object.keys(config) as (keyof typeof config)[]) if (config[key] === undefined) delete config[key];
  if (config.webhookUrls.length > 0 && !config.webhookSecret) {
    throw new ConfigError(`--${SETTINGS.webhookUrls.flag} needs --${SETTINGS.webhookSecret.flag} (or ${SETTINGS.webhookSecret.env}) to sign the requests`);
  }
  return { help: flags.help === true, ...config, apiKeys: [...config.apiKeys, ...apiKeysFile] };
}

/** Defaults for embedding the server (tests, tools): everything but the model directory. */
export function defaultConfig(modelDir: string, overrides: Partial<ServerConfig> = {}): ServerConfig {
  const { help: _help, ...config } = loadConfig([], {}, modelDir);
  return { ...config, workers: 1, ...overrides };
}
