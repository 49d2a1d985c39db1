/** What a subscription (`GET /v1/sessions/:id/events`) carries, and the subscriber's reader of it. */
import type { ErrorMessage } from './error.js';
import type { SessionEmotionMessage } from './session-emotion.js';
import type { SessionEndMessage } from './session-end.js';
import type { SubscribedMessage } from './subscribed.js';

/** Messages of a subscription (the subscriber sends nothing). */
export type SubscriptionMessage = SubscribedMessage | SessionEmotionMessage | SessionEndMessage | ErrorMessage;

/** Parses a subscription message (for subscribers): checks only the discriminant. */
export function parseSubscriptionMessage(text: string): SubscriptionMessage {
  const raw = JSON.parse(text) as { type?: unknown };
  if (!raw || typeof raw !== 'object' || !['subscribed', 'emotion', 'end', 'error'].includes(raw.type as string)) {
    throw new Error(`not a subscription message: ${text.slice(0, 80)}`);
  }
  return raw as SubscriptionMessage;
}
