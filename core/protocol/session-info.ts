/** A live session as `GET /v1/sessions` lists it and `subscribed` names it. */

/** Where a session's audio comes from: our `/v1/stream` protocol or a Twilio Media Stream (`/v1/twilio`). */
export type SessionSource = 'stream' | 'twilio';

export interface SessionInfo {
  readonly sessionId: string;
  /** The caller-chosen key (`start.key`; Twilio: `customParameters.key`, else the callSid). */
  readonly key?: string;
  /** Further keys the session answers to (Twilio: the callSid when `customParameters.key` is also given). */
  readonly aliases?: readonly string[];
  readonly source: SessionSource;
  /** Twilio: `inbound` (the caller) or `outbound` (the agent). Absent for /v1/stream. */
  readonly track?: string;
  /** Encoding of the audio as received (`pcm_s16le`, `opus`, Twilio: `audio/x-mulaw`). */
  readonly encoding: string;
  /** ISO 8601 time the session started. */
  readonly startedAt: string;
}
