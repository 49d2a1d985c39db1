/** What a client may send as text on `/v1/stream` (binary messages are audio), and the server's validator of it. */
import { ProtocolError } from './protocol-error.js';
import type { KeepaliveMessage } from './keepalive.js';
import { type StartMessage, validateStart } from './start.js';
import type { StopMessage } from './stop.js';

/** Text messages a client sends (binary messages are audio). */
export type ClientMessage = StartMessage | StopMessage | KeepaliveMessage;

const CLIENT_TYPES = ['start', 'stop', 'keepalive'] as const;

/**
 * Parses and checks one client text message. Throws ProtocolError (invalid_message,
 * unsupported_encoding or unsupported_format) naming what is wrong.
 */
export function parseClientMessage(text: string): ClientMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProtocolError('invalid_message', 'message is not valid JSON');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ProtocolError('invalid_message', 'message must be a JSON object');
  }
  const obj = raw as Record<string, unknown>;
  const type = obj.type;
  if (typeof type !== 'string') throw new ProtocolError('invalid_message', 'message has no string "type"');
  switch (type) {
    case 'start': {
      const result = validateStart(obj);
      if (!result.ok) throw new ProtocolError(result.code, result.reason);
      return result.message;
    }
    case 'stop':
    case 'keepalive': {
      const extra = Object.keys(obj).find((k) => k !== 'type');
      if (extra !== undefined) throw new ProtocolError('invalid_message', `${type}: unknown field ${JSON.stringify(extra)}`);
      return { type };
    }
    default:
      throw new ProtocolError(
        'invalid_message',
        `unknown message type ${JSON.stringify(type.slice(0, 32))} (expected ${CLIENT_TYPES.join(', ')})`,
      );
  }
}
