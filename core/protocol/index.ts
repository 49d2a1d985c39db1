/**
 * The live protocol of `GET /v1/stream` and the subscription protocol of
 * `GET /v1/sessions/:id/events` (docs/protocol.md), shared by the server (server/) and the client
 * SDK (client-sdk/) so both sides agree on every field. Nothing here depends on onnxruntime or Node.
 *
 * This file only re-exports: one file per wire message (start.ts, ready.ts, ...), the unions of
 * each direction with their parsers (client-message.ts, server-message.ts,
 * subscription-message.ts), close and error codes (codes.ts), ProtocolError, and endpoint paths.
 */
export type { AlertMessage, SessionAlertMessage } from './alert.js';
export type { Affect, EmotionMessage, Scores, SettledEmotion, SmoothedEmotion } from './emotion.js';
export type { CallSummary, EndMessage, EndReason, SummarySegment } from './end.js';
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
  type StartOptions,
  startMessage,
  streamBand,
} from './start.js';
export { type ClientMessage, parseClientMessage } from './client-message.js';
export { type ServerMessage, parseServerMessage } from './server-message.js';
export { type SubscriptionMessage, parseSubscriptionMessage } from './subscription-message.js';
export { CLOSE_CODES, type CloseCode, ERROR_CODES, type ErrorCode, isErrorCode } from './codes.js';
export { ProtocolError } from './protocol-error.js';
export { SESSIONS_PATH, STREAM_PATH, TWILIO_PATH, eventsPath, parseEventsPath } from './paths.js';
