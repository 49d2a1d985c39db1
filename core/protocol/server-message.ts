/** What the server sends as text on `/v1/stream`, and the client's reader of it. */
import { parseByType } from './by-type.js';
import type { AlertMessage } from './alert.js';
import type { EmotionMessage } from './emotion.js';
import type { EndMessage } from './end.js';
import type { ErrorMessage } from './error.js';
import type { ReadyMessage } from './ready.js';

/** Text messages the server sends. */
export type ServerMessage = ReadyMessage | EmotionMessage | AlertMessage | EndMessage | ErrorMessage;

/** Parses a server text message (for clients): checks only the discriminant. */
export function parseServerMessage(text: string): ServerMessage {
  return parseByType<ServerMessage>(text, ['ready', 'emotion', 'alert', 'end', 'error'], 'server message');
}
