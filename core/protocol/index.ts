/**
 * The live protocol of `GET /v1/stream` and the subscription protocol of
 * `GET /v1/sessions/:id/events` (docs/protocol.md): message types, close codes, error codes and
 * the validator of client messages. Shared by the server (server/) and the client SDK
 * (client-sdk/), so both sides agree on every field. Nothing here depends on onnxruntime or Node.
 */
import type { EmotionMessage } from './emotion.js';
import type { EndMessage } from './end.js';
import type { ErrorMessage } from './error.js';
import type { KeepaliveMessage } from './keepalive.js';
import type { ReadyMessage } from './ready.js';
import type { SessionEmotionMessage } from './session-emotion.js';
import type { SessionEndMessage } from './session-end.js';
import { type StartMessage, validateStart } from './start.js';
import type { StopMessage } from './stop.js';
import type { SubscribedMessage } from './subscribed.js';

export type { EmotionMessage, Scores } from './emotion.js';
export type { EndMessage, EndReason } from './end.js';
export type { ErrorMessage } from './error.js';
export type { KeepaliveMessage } from './keepalive.js';
export type { ReadyMessage } from './ready.js';
export type { StopMessage } from './stop.js';
export type { SessionEmotionMessage } from './session-emotion.js';
export type { SessionEndMessage, SessionEndReason } from './session-end.js';
export type { SessionInfo, SessionSource } from './session-info.js';
export type { SubscribedMessage } from './subscribed.js';
export {
  BANDS,
  type Band,
  ENCODINGS,
  type Encoding,
  G711_SAMPLE_RATE,
  MAX_KEY_LENGTH,
  MAX_PRE_SKIP,
  NARROWBAND_MAX_SAMPLE_RATE,
  OPUS_SAMPLE_RATES,
  PCM_MAX_SAMPLE_RATE,
  PCM_MIN_SAMPLE_RATE,
  type PcmStreamEncoding,
  type StartMessage,
  streamBand,
} from './start.js';

/** Path of the WebSocket endpoint. */
export const STREAM_PATH = '/v1/stream';
/** Path of the Twilio Media Streams endpoint (Twilio's message format, see server/twilio/). */
export const TWILIO_PATH = '/v1/twilio';
/** Path of the live-session listing (HTTP GET, JSON `{sessions: SessionInfo[]}`). */
export const SESSIONS_PATH = '/v1/sessions';
/** Path of a subscription: WebSocket, or Server-Sent Events for a plain GET. `:id` is a sessionId or a key. */
export function eventsPath(idOrKey: string): string {
  return `${SESSIONS_PATH}/${encodeURIComponent(idOrKey)}/events`;
}
/** The `:id` of a subscription path, or undefined when the path is not one. */
export function parseEventsPath(pathname: string): string | undefined {
  const match = /^\/v1\/sessions\/([^/]+)\/events$/.exec(pathname);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

/** Text messages a client sends (binary messages are audio). */
export type ClientMessage = StartMessage | StopMessage | KeepaliveMessage;
/** Text messages the server sends. */
export type ServerMessage = ReadyMessage | EmotionMessage | EndMessage | ErrorMessage;
/** Messages of a subscription (the subscriber sends nothing). */
export type SubscriptionMessage = SubscribedMessage | SessionEmotionMessage | SessionEndMessage | ErrorMessage;

/** WebSocket close codes the server uses (RFC 6455 section 7.4.1). */
export const CLOSE_CODES = {
  /** `end` was sent: stop, idle timeout. */
  NORMAL: 1000,
  /** The server is shutting down (after `end` when the session had started). */
  GOING_AWAY: 1001,
  /** Encoding, sample rate or channel count the server does not take. */
  UNSUPPORTED_DATA: 1003,
  /** A message that cannot be parsed or decoded. */
  INVALID_PAYLOAD: 1007,
  /** Messages out of order, no start in time, a missing/wrong API key or a refused Origin. */
  POLICY_VIOLATION: 1008,
  /** A message larger than the server's limit. */
  MESSAGE_TOO_BIG: 1009,
  /** A server bug; the session cannot continue. */
  INTERNAL_ERROR: 1011,
  /** Too many sessions, or the model is not loaded yet: retry later (with backoff). */
  TRY_AGAIN_LATER: 1013,
} as const;
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/** Every `error.code`, with the close code that follows it. */
export const ERROR_CODES = {
  /** Text that is not JSON, not an object, of an unknown type, or with a field of the wrong type. */
  invalid_message: CLOSE_CODES.INVALID_PAYLOAD,
  /** `start.encoding` is not one of ENCODINGS (pcm_s16le, pcm_f32le, pcm_mulaw, pcm_alaw, opus). */
  unsupported_encoding: CLOSE_CODES.UNSUPPORTED_DATA,
  /** `start.sampleRate` or `start.channels` outside what the encoding supports. */
  unsupported_format: CLOSE_CODES.UNSUPPORTED_DATA,
  /** Audio (or `stop`) before `start`. */
  start_required: CLOSE_CODES.POLICY_VIOLATION,
  /** A second `start`. */
  unexpected_message: CLOSE_CODES.POLICY_VIOLATION,
  /** No `start` within the start timeout. */
  start_timeout: CLOSE_CODES.POLICY_VIOLATION,
  /** The server requires an API key and the request had none or a wrong one. */
  unauthorized: CLOSE_CODES.POLICY_VIOLATION,
  /** The request's Origin header is not among the server's allowed browser origins. */
  origin_not_allowed: CLOSE_CODES.POLICY_VIOLATION,
  /** A binary message the decoder rejects (e.g. an invalid Opus packet). */
  invalid_audio: CLOSE_CODES.INVALID_PAYLOAD,
  /** A message larger than the server's maxMessageBytes. */
  message_too_big: CLOSE_CODES.MESSAGE_TOO_BIG,
  /** The server is at its session limit or saturated (inference queue, event-loop lag); `retryAfterMs` says when to retry. */
  overloaded: CLOSE_CODES.TRY_AGAIN_LATER,
  /** The model is not loaded yet (`/readyz` is 503). */
  not_ready: CLOSE_CODES.TRY_AGAIN_LATER,
  /** The client stopped reading: the server's unsent data for it passed its limit (the connection is then cut). */
  slow_consumer: CLOSE_CODES.POLICY_VIOLATION,
  /** The server is shutting down and the session had not started. */
  shutting_down: CLOSE_CODES.GOING_AWAY,
  /** Subscription: no live session has that sessionId or key. */
  session_not_found: CLOSE_CODES.POLICY_VIOLATION,
  /** Subscription: the subscriber did not read fast enough (its send buffer passed the limit) and was dropped; reconnect to resume from history. */
  subscriber_too_slow: CLOSE_CODES.TRY_AGAIN_LATER,
  /** A server bug; logged with the session id. */
  internal: CLOSE_CODES.INTERNAL_ERROR,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** A protocol-level failure of one session: becomes an `error` message and its close code. */
export class ProtocolError extends Error {
  readonly closeCode: CloseCode;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProtocolError';
    this.closeCode = ERROR_CODES[code];
  }

  toMessage(): ErrorMessage {
    return { type: 'error', code: this.code, message: this.message, ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}) };
  }
}

const CLIENT_TYPES = ['start', 'stop', 'keepalive'] as const;

/**
 * Parses and checks one client text message. Throws ProtocolError (invalid_message,
 * unsupported_encoding or unsupported_format) naming what is wrong.
 */
export function parseClientMessage(text: string): ClientMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProtocolError('invalid_message', 'message is not valid JSON');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ProtocolError('invalid_message', 'message must be a JSON object');
  const obj = raw as Record<string, unknown>;
  const type = obj.type;
  if (typeof type !== 'string') throw new ProtocolError('invalid_message', 'message has no string "type"');
  switch (type) {
    case 'start': {
      const result = validateStart(obj);
      if (!result.ok) throw new ProtocolError(result.code, result.reason);
      return result.message;
    }
    case 'stop':
    case 'keepalive': {
      const extra = Object.keys(obj).find((k) => k !== 'type');
      if (extra !== undefined) throw new ProtocolError('invalid_message', `${type}: unknown field ${JSON.stringify(extra)}`);
      return { type };
    }
    default:
      throw new ProtocolError('invalid_message', `unknown message type ${JSON.stringify(type.slice(0, 32))} (expected ${CLIENT_TYPES.join(', ')})`);
  }
}

/** Parses a server text message (for clients): checks only the discriminant. */
export function parseServerMessage(text: string): ServerMessage {
  const raw = JSON.parse(text) as { type?: unknown };
  if (!raw || typeof raw !== 'object' || !['ready', 'emotion', 'end', 'error'].includes(raw.type as string)) {
    throw new Error(`not a server message: ${text.slice(0, 80)}`);
  }
  return raw as ServerMessage;
}

/** Parses a subscription message (for subscribers): checks only the discriminant. */
export function parseSubscriptionMessage(text: string): SubscriptionMessage {
  const raw = JSON.parse(text) as { type?: unknown };
  if (!raw || typeof raw !== 'object' || !['subscribed', 'emotion', 'end', 'error'].includes(raw.type as string)) {
    throw new Error(`not a subscription message: ${text.slice(0, 80)}`);
  }
  return raw as SubscriptionMessage;
}
