/**
 * Twilio's request signature (`X-Twilio-Signature`), per Twilio's documented algorithm
 * (https://www.twilio.com/docs/usage/security#validating-requests): the full URL Twilio requested
 * (scheme, host, path and query), followed by each POST parameter's name and value sorted by
 * name, HMAC-SHA1 with the account's auth token as the key, base64. A Media Stream's WebSocket
 * handshake is a GET, so it is signed over its URL alone (`wss://HOST/v1/twilio...`).
 *
 * Node's crypto does the HMAC and the constant-time comparison; no Twilio SDK is needed for one
 * function (and it would pull an HTTP client into the server).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const SIGNATURE_HEADER = 'x-twilio-signature';

/** base64(HMAC-SHA1(authToken, url + sorted name/value pairs)). */
export function twilioSignature(authToken: string, url: string, params: Readonly<Record<string, string>> = {}): string {
  const data = Object.keys(params)
    .sort()
    .reduce((text, name) => text + name + params[name], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/**
 * The URL as Twilio may have signed it: as given, and with the scheme's default port added or
 * removed (a proxy in front may show the one while Twilio signed the other; Twilio's own helper
 * libraries accept both).
 */
function urlVariants(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [url];
  }
  const defaultPort = parsed.protocol === 'https:' || parsed.protocol === 'wss:' ? '443' : '80';
  const hostAndPort = /^[a-z]+:\/\/([^/?#]*)/i.exec(url)?.[1] ?? parsed.host;
  const withPort = hostAndPort.includes(':') && !hostAndPort.endsWith(']') ? url : url.replace(hostAndPort, `${hostAndPort}:${defaultPort}`);
  const withoutPort = url.replace(`${parsed.hostname}:${defaultPort}`, parsed.hostname);
  return [...new Set([url, withPort, withoutPort])];
}

/** Whether `signature` is any of `authTokens`' signature of `url` (and `params`); compared in constant time. */
export function validTwilioSignature(authTokens: readonly string[], signature: string | undefined, url: string, params: Readonly<Record<string, string>> = {}): boolean {
  if (!signature) return false;
  const got = Buffer.from(signature);
  for (const token of authTokens) {
    for (const variant of urlVariants(url)) {
      const want = Buffer.from(twilioSignature(token, variant, params));
      if (want.length === got.length && timingSafeEqual(want, got)) return true;
    }
  }
  return false;
}

/**
 * The URL Twilio connected to, as the server can reconstruct it: `publicUrl` (the externally
 * visible `wss://host[:port]`, when a proxy terminates TLS or rewrites the host) + the request's
 * path and query; else the scheme from `X-Forwarded-Proto` (https -> wss) or the socket, and the
 * host from `X-Forwarded-Host` or `Host`.
 */
export function requestedUrl(req: IncomingMessage, publicUrl?: string): string {
  const path = req.url ?? '/';
  if (publicUrl) return publicUrl.replace(/\/+$/, '') + path;
  const first = (h: string | string[] | undefined): string | undefined => (Array.isArray(h) ? h[0] : h)?.split(',')[0].trim();
  const proto = first(req.headers['x-forwarded-proto']);
  const secure = proto ? proto === 'https' || proto === 'wss' : (req.socket as { encrypted?: boolean }).encrypted === true;
  const host = first(req.headers['x-forwarded-host']) ?? req.headers.host ?? 'localhost';
  return `${secure ? 'wss' : 'ws'}://${host}${path}`;
}
