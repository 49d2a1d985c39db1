/**
 * What a live session publishes on the session bus: one `emotion` per second of stream time and
 * one `end`, each stamped with the session id and a per-session sequence number. They are the
 * subscription protocol's messages (core/protocol), so a subscriber forwards them unchanged. The
 * sequence number is what lets a subscriber join history and live events without a gap or a
 * duplicate (and, across replicas, drop anything it has already seen).
 */
import type { SessionAlertMessage } from '../../core/protocol/alert.js';
import type { SessionEmotionMessage } from '../../core/protocol/session-emotion.js';
import type { SessionEndMessage } from '../../core/protocol/session-end.js';

export type { SessionInfo, SessionSource } from '../../core/protocol/session-info.js';
export type { SessionEndReason } from '../../core/protocol/session-end.js';

export type SessionEmotionEvent = SessionEmotionMessage;
export type SessionEndEvent = SessionEndMessage;
export type SessionAlertEvent = SessionAlertMessage;
export type SessionEvent = SessionEmotionEvent | SessionAlertEvent | SessionEndEvent;
