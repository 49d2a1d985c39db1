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

/**
 * Follows one session's published events, so that the bus can end it on its behalf when the
 * process serving it is gone: the `end` with reason `lost` counts what was published.
 */
export class SessionTrace {
  private seq = 0;
  private seconds = 0;
  private voicedSeconds = 0;
  private durationMs = 0;

  constructor(readonly sessionId: string) {}

  saw(event: SessionEvent): void {
    this.seq = Math.max(this.seq, event.seq);
    if (event.type !== 'emotion') return;
    this.seconds++;
    if (event.voiced) this.voicedSeconds++;
    this.durationMs = Math.max(this.durationMs, event.endMs);
  }

  /** The `end` (reason `lost`) that follows everything seen. */
  lost(): SessionEndEvent {
    return lostEnd(this.sessionId, { seq: this.seq, seconds: this.seconds, voicedSeconds: this.voicedSeconds, durationMs: this.durationMs });
  }
}

/** What a bus knows of a session it ends on the session's behalf. */
export interface SessionCounts {
  /** The last published event's seq. */
  readonly seq: number;
  /** Emotions published, voiced ones, and the stream time they reach (ms). */
  readonly seconds: number;
  readonly voicedSeconds: number;
  readonly durationMs: number;
}

/** The `end` (reason `lost`) of a session whose process died: it follows the last event published. */
export function lostEnd(sessionId: string, counts: SessionCounts): SessionEndEvent {
  return {
    type: 'end',
    reason: 'lost',
    seconds: counts.seconds,
    // The call summary died with the process: what the bus knows is the counts, nothing of the timeline.
    summary: { label: null, scores: null, voicedSeconds: counts.voicedSeconds, durationMs: counts.durationMs, segments: [], voicedShare: {}, peakArousal: null, alerts: [], alertCounts: {} },
    sessionId,
    seq: counts.seq + 1,
  };
}
