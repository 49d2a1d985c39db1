/** WebSocket close codes and `error.code`s of the protocol (docs/protocol.md), and which close code follows each error. */

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
  /**
   * Subscription: the subscriber did not read fast enough (its send buffer passed the limit) and was
   * dropped; reconnect to resume from history.
   */
  subscriber_too_slow: CLOSE_CODES.TRY_AGAIN_LATER,
  /**
   * The session (per process), or the process, has as many subscribers as it allows
   * (--max-subscribers-per-session, --max-subscribers); SSE gets HTTP 429. Retry later.
   */
  too_many_subscribers: CLOSE_CODES.TRY_AGAIN_LATER,
  /** The API key already holds as many live audio connections as the server allows it (--max-sessions-per-key). */
  key_session_limit: CLOSE_CODES.TRY_AGAIN_LATER,
  /**
   * Subscription or listing: the shared session bus (Redis) cannot be reached, or was lost while
   * subscribed (labels may have been missed); SSE and the listing get HTTP 503. Retry later: the
   * server reconnects by itself, and live sessions keep being labelled meanwhile.
   */
  bus_unavailable: CLOSE_CODES.TRY_AGAIN_LATER,
  /** A server bug; logged with the session id. */
  internal: CLOSE_CODES.INTERNAL_ERROR,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value);
}
