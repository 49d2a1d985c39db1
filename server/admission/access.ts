/**
 * Access control of a WebSocket upgrade request: the API key it presents and the browser Origin
 * it comes from. Checked in server.ts before the upgrade is answered, so a refused client never
 * gets to send audio.
 *
 * Where a key may be (first found wins):
 *  - `Authorization: Bearer KEY` (servers, the Node SDK, curl);
 *  - the WebSocket subprotocol `undertone.bearer.<base64url(KEY)>`, offered beside `undertone.v1`
 *    (browsers cannot set headers; the server echoes `undertone.v1`, never the key);
 *  - the `token` query parameter (browsers; the key ends up in URLs and proxy logs, so the
 *    subprotocol is preferred);
 *  - the `api_key` query parameter: deprecated spelling of `token`, still accepted.
 * Keys are compared by their SHA-256 in constant time and never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The subprotocol the server selects (echoes) when the client offers it. */
export const PROTOCOL_NAME = 'undertone.v1';
/** Prefix of the subprotocol that carries a key: `undertone.bearer.` + base64url(key), no padding. */
export const BEARER_PROTOCOL_PREFIX = 'undertone.bearer.';

/** How a request presented its key (for logs and the deprecation warning; never the key itself). */
export type KeySource = 'header' | 'subprotocol' | 'token' | 'api_key';

export interface PresentedKey {
  readonly key: string;
  readonly source: KeySource;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * One list of keys (one scope). Kept separate from the request parsing so a second list (e.g.
 * read-only subscriber keys) is one more KeyList, not a second copy of the comparison.
 */
export class KeyList {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  get size(): number {
    return this.digests.length;
  }

  /** Constant time in the key's content: every known digest is compared, whatever matched. */
  has(key: string): boolean {
    const d = digest(key);
    let ok = false;
    for (const known of this.digests) ok = timingSafeEqual(d, known) || ok;
    return ok;
  }
}

/** The subprotocols the client offered (Sec-WebSocket-Protocol, comma-separated). */
export function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  if (!header) return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/** The subprotocol a client offers to carry `key` (what browser clients pass to `new WebSocket`). */
export function bearerProtocol(key: string): string {
  return BEARER_PROTOCOL_PREFIX + Buffer.from(key, 'utf8').toString('base64url');
}

/** The key a request presents, if any, and where. */
export function presentedKey(req: IncomingMessage): PresentedKey | undefined {
  const header = req.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match) return { key: match[1].trim(), source: 'header' };
  }
  const carrier = offeredProtocols(req).find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
  if (carrier) return { key: Buffer.from(carrier.slice(BEARER_PROTOCOL_PREFIX.length), 'base64url').toString('utf8'), source: 'subprotocol' };
  const url = new URL(req.url ?? '/', 'http://localhost');
  const token = url.searchParams.get('token');
  if (token) return { key: token, source: 'token' };
  const legacy = url.searchParams.get('api_key');
  if (legacy) return { key: legacy, source: 'api_key' };
  return undefined;
}

/** The result of checking a request: allowed (with where its key came from) or why not. */
export type AccessDecision =
  | { readonly ok: true; readonly source?: KeySource }
  | { readonly ok: false; readonly code: 'unauthorized' | 'origin_not_allowed'; readonly reason: string };

export interface AccessPolicy {
  /** Keys that may stream; empty means no authentication. */
  readonly apiKeys: readonly string[];
  /** Browser origins allowed (exact `scheme://host[:port]`); empty means any. */
  readonly allowedOrigins: readonly string[];
}

export class AccessControl {
  /** The audio keys (Twilio checks its start message's token against them). */
  readonly keys: KeyList;
  private readonly origins: Set<string>;

  constructor(policy: AccessPolicy) {
    this.keys = new KeyList(policy.apiKeys);
    this.origins = new Set(policy.allowedOrigins.map((o) => o.toLowerCase().replace(/\/+$/, '')));
  }

  get keyRequired(): boolean {
    return this.keys.size > 0;
  }

  /**
   * Origin first: a browser page of another site is refused even with a valid key (it may have
   * stolen it). Requests without an Origin header (non-browser clients) pass this check.
   * `requireKey: false` is for Twilio, which cannot send our header: its key comes in its start
   * message (customParameters.token) and is checked there.
   */
  check(req: IncomingMessage, { requireKey = true }: { requireKey?: boolean } = {}): AccessDecision {
    const origin = req.headers.origin;
    if (this.origins.size > 0 && origin !== undefined && !this.origins.has(origin.toLowerCase())) {
      return { ok: false, code: 'origin_not_allowed', reason: `origin ${JSON.stringify(origin.slice(0, 100))} is not allowed` };
    }
    if (!this.keyRequired || !requireKey) return { ok: true };
    const presented = presentedKey(req);
    if (!presented) return { ok: false, code: 'unauthorized', reason: 'missing API key' };
    if (!this.keys.has(presented.key)) return { ok: false, code: 'unauthorized', reason: 'unknown API key' };
    return { ok: true, source: presented.source };
  }
}

/**
 * The subprotocol the server answers with: `undertone.v1` if offered, else none. A browser
 * fails the connection if the server names a protocol the client did not offer, and a key-bearing
 * protocol must never be echoed (responses end up in logs), so nothing else is ever selected.
 */
export function selectProtocol(protocols: Set<string>): string | false {
  return protocols.has(PROTOCOL_NAME) ? PROTOCOL_NAME : false;
}

/** `Authorization: Bearer KEY` check for HTTP endpoints (/metrics). */
export function bearerAllowed(header: string | undefined, keys: KeyList): boolean {
  if (!header) return false;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match !== null && keys.has(match[1].trim());
}
