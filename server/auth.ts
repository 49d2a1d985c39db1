/**
 * API-key check of a WebSocket upgrade request. Keys come as `Authorization: Bearer KEY` or, for
 * browsers (which cannot set headers on a WebSocket), as the `api_key` query parameter. Keys are
 * compared by their SHA-256 in constant time and never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export class ApiKeys {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  get required(): boolean {
    return this.digests.length > 0;
  }

  /** The key a request presents, if any. */
  static presented(req: IncomingMessage): string | undefined {
    const header = req.headers.authorization;
    if (header) {
      const match = /^Bearer\s+(.+)$/i.exec(header.trim());
      if (match) return match[1].trim();
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    return url.searchParams.get('api_key') ?? undefined;
  }

  /** Whether the request may open a session (always, when no keys are configured). */
  allows(req: IncomingMessage): boolean {
    if (!this.required) return true;
    const key = ApiKeys.presented(req);
    return key !== undefined && this.matches(key);
  }

  /** Whether `key` is one of the keys (a key presented elsewhere than the request, e.g. Twilio's customParameters). */
  matches(key: string): boolean {
    if (!key) return false;
    const d = digest(key);
    let ok = false;
    for (const known of this.digests) ok = timingSafeEqual(d, known) || ok;
    return ok;
  }
}
