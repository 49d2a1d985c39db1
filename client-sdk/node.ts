/**
 * Undertone client SDK, Node entry: everything of the browser entry, with `connect` defaulting to
 * the `ws` package (the token goes in an `Authorization: Bearer` header), plus file streaming.
 */
import { type ConnectOptions, Session } from './session.js';
import { wsFactory } from './ws-socket.js';
import { type StreamFileOptions, type StreamFileResult, streamFileWith } from './file-stream.js';
import { type SubscribeOptions, Subscription } from './subscribe.js';

export * from './index.js';
export {
  streamFileWith,
  loadFileAudio,
  opusPacketMs,
  type FileAudio,
  type StreamFileOptions,
  type StreamFileResult,
} from './file-stream.js';

export { wsFactory } from './ws-socket.js';

/** Opens a session with `ws`: resolves after the server's `ready`; rejects with UndertoneError. */
export function connect(options: ConnectOptions): Promise<Session> {
  return Session.connect({ ...options, webSocket: options.webSocket ?? wsFactory, tokenIn: options.tokenIn ?? 'header' });
}

/**
 * Streams a WAV or Ogg Opus file (see file-stream.ts) through a new session and resolves with the
 * `end` message: `speed` 1 is real time, 0 (default) as fast as backpressure allows.
 */
export function streamFile(file: string, options: StreamFileOptions): Promise<StreamFileResult> {
  return streamFileWith(connect, file, options);
}

/** Follows a live session's emotion with `ws` (token as an Authorization header): resolves after `subscribed`. */
export function subscribe(options: SubscribeOptions): Promise<Subscription> {
  return Subscription.open({ ...options, webSocket: options.webSocket ?? wsFactory, tokenIn: options.tokenIn ?? 'header' });
}
