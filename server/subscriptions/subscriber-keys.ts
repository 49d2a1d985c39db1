/**
 * The read-only key scope of subscriptions and the session listing. Subscriber keys are separate
 * from audio keys: an audio key (e.g. in a browser that sends a microphone) must not be able to
 * read every caller's emotions, and a subscriber key cannot send audio. So:
 * - subscriber keys configured: only they may subscribe/list;
 * - none configured but audio keys are: subscriptions are refused (no silent open read access);
 * - no keys at all (development): open, like /v1/stream.
 * Keys are presented like audio keys (Authorization: Bearer, the undertone.bearer subprotocol, or
 * ?token= for browsers; see auth.ts).
 */
import type { IncomingMessage } from 'node:http';
import { KeyList, presentedKey } from '../admission/access.js';

export class SubscriberKeys {
  private readonly keys: KeyList;
  private readonly closed: boolean;

  constructor(subscriberKeys: readonly string[], audioKeys: readonly string[]) {
    this.keys = new KeyList(subscriberKeys);
    this.closed = subscriberKeys.length === 0 && audioKeys.length > 0;
  }

  allows(req: IncomingMessage): boolean {
    if (this.closed) return false;
    if (this.keys.size === 0) return true;
    const presented = presentedKey(req);
    return presented !== undefined && this.keys.has(presented.key);
  }
}
