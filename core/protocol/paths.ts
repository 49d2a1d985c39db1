/** The server's endpoint paths: the live stream, Twilio Media Streams, the session listing and subscriptions. */

/** Path of the WebSocket endpoint. */
export const STREAM_PATH = '/v1/stream';
/** Path of the Twilio Media Streams endpoint (Twilio's message format, see server/twilio/). */
export const TWILIO_PATH = '/v1/twilio';
/** Path of the live-session listing (HTTP GET, JSON `{sessions: SessionInfo[]}`). */
export const SESSIONS_PATH = '/v1/sessions';
/** Path of a subscription: WebSocket, or Server-Sent Events for a plain GET. `:id` is a sessionId or a key. */
export function eventsPath(idOrKey: string): string {
  return `${SESSIONS_PATH}/${encodeURIComponent(idOrKey)}/events`;
}
/** The `:id` of a subscription path, or undefined when the path is not one. */
export function parseEventsPath(pathname: string): string | undefined {
  const match = /^\/v1\/sessions\/([^/]+)\/events$/.exec(pathname);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}
