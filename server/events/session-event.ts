/**
 * What a live session publishes on the session bus: one `emotion` per second of stream time and
 * one `end`, each stamped with the session id and a per-session sequence number. The sequence
 * number is what lets a subscriber join history and live events without a gap or a duplicate
 * (and, across replicas, lets it drop anything it has already seen).
 */
import type { EmotionMessage } from '../../core/protocol/emotion.js';
import type { EndMessage, EndReason } from '../../core/protocol/end.js';

/** Where a session's audio comes from: our `/v1/stream` protocol or a Twilio Media Stream. */
export type SessionSource = 'stream' | 'twilio';

/** A live session as the directory lists it. */
export interface SessionInfo {
  readonly sessionId: string;
  /** The caller-chosen key (`start.key`; for Twilio the callSid or `customParameters.key`). */
  readonly key?: string;
  /** Further keys the session answers to (Twilio: the callSid when a custom key is also given). */
  readonly aliases?: readonly string[];
  readonly source: SessionSource;
  /** Twilio: `inbound` (the caller) or `outbound` (the agent). Absent for /v1/stream. */
  readonly track?: string;
  readonly encoding: string;
  /** ISO 8601 time the session started. */
  readonly startedAt: string;
}

/**
 * How a session ended, as subscribers see it: the three reasons of the stream protocol's `end`,
 * plus a client that went away without `stop` and a session that failed.
 */
export type SessionEndReason = EndReason | 'client_closed' | 'error';

export interface SessionEmotionEvent extends EmotionMessage {
  readonly sessionId: string;
  /** 1, 2, 3, ... per session, in publication order. */
  readonly seq: number;
}

export interface SessionEndEvent extends Omit<EndMessage, 'reason'> {
  readonly reason: SessionEndReason;
  readonly sessionId: string;
  readonly seq: number;
}

export type SessionEvent = SessionEmotionEvent | SessionEndEvent;
