/** What a subscription (`GET /v1/sessions/:id/events`) carries, and the subscriber's reader of it. */
import { parseByType } from './by-type.js';
import type { SessionAlertMessage } from './alert.js';
import type { ErrorMessage } from './error.js';
import type { SessionEmotionMessage } from './session-emotion.js';
import type { SessionEndMessage } from './session-end.js';
import type { SubscribedMessage } from './subscribed.js';

/** Messages of a subscription (the subscriber sends nothing). */
export type SubscriptionMessage = SubscribedMessage | SessionEmotionMessage | SessionAlertMessage | SessionEndMessage | ErrorMessage;

/** Parses a subscription message (for subscribers): checks only the discriminant. */
export function parseSubscriptionMessage(text: string): SubscriptionMessage {
  return parseByType<SubscriptionMessage>(text, ['subscribed', 'emotion', 'alert', 'end', 'error'], 'subscription message');
}
