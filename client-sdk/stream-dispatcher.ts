/**
 * What each message and the close of one `/v1/stream` connection mean (docs/protocol.md): `ready`
 * answers the connection attempt, `emotion` and `end` go to the session, `error` is a refusal
 * before `ready` and the cause of the loss after it; a close before `ready` fails the attempt, a
 * close after it is a lost session whose cause the session acts on (end, fail, or reconnect).
 * One dispatcher per connection: it holds what that connection has said so far.
 */
import {
  type AlertMessage,
  ERROR_CODES,
  type EmotionMessage,
  type EndMessage,
  type ReadyMessage,
  type ServerMessage,
  isErrorCode,
} from '../core/protocol/index.js';
import type { Attempt } from './attempt.js';
import { type MessageHandlers, dispatch } from './dispatch.js';
import { UndertoneError } from './errors.js';
import { type CloseInfo, type SocketEnd, closeText, connectionFailed } from './socket.js';

/** The session behind a connection: what the dispatcher reports to it. */
export interface StreamHost {
  /** Whether an `end` with reason `shutdown` is followed by a reconnection (reconnect on, stop() not called): then the session goes on. */
  reconnectsAfterShutdown(): boolean;
  ready(message: ReadyMessage): void;
  emotion(message: EmotionMessage): void;
  alert(message: AlertMessage): void;
  /** `final`: the session is over (stop, idle timeout, or a shutdown with no reconnection to follow). */
  end(message: EndMessage, final: boolean): void;
  /** The connection closed after `ready`; `cause` says why the session was lost if it had not ended. */
  closed(info: CloseInfo, cause: UndertoneError): void;
}

export class StreamDispatcher {
  private gotReady = false;
  private serverError: UndertoneError | undefined;
  private shutdownEnd: EndMessage | undefined;
  private readonly handlers: MessageHandlers<ServerMessage> = {
    ready: (message) => {
      if (this.attempt.settled) return; // too late: this attempt already timed out and is closing
      this.gotReady = true;
      this.attempt.succeed(message);
      this.host.ready(message);
    },
    emotion: (message) => this.host.emotion(message),
    alert: (message) => this.host.alert(message),
    end: (message) => {
      // A server going away mid-stream: report this session's end, then reconnect on close.
      const goesOn = message.reason === 'shutdown' && this.host.reconnectsAfterShutdown();
      if (goesOn) this.shutdownEnd = message;
      this.host.end(message, !goesOn);
    },
    error: (message) => {
      const code = isErrorCode(message.code) ? message.code : 'internal';
      const what = this.attempt.settled ? 'server ended the session' : 'server refused the session';
      const retryAfterMs = typeof message.retryAfterMs === 'number' ? message.retryAfterMs : undefined;
      this.serverError = new UndertoneError(code, `${what}: ${code}: ${message.message}`, ERROR_CODES[code], retryAfterMs);
      this.attempt.fail(this.serverError);
    },
  };

  /** `url`: the server as errors name it; `attempt`: the connection attempt `ready` answers. */
  constructor(
    private readonly url: string,
    private readonly attempt: Attempt<ReadyMessage>,
    private readonly host: StreamHost,
  ) {}

  message(message: ServerMessage): void {
    dispatch(message, this.handlers);
  }

  close(end: SocketEnd): void {
    const info: CloseInfo = { code: end.code, reason: end.reason };
    if (!this.gotReady) {
      // This socket never carried a session: its failure is the connection attempt's (settled once).
      const beforeReady = new UndertoneError(
        'connection_lost',
        `connection to ${this.url} closed (${closeText(info)}) before ready`,
        info.code,
      );
      this.attempt.fail(this.serverError ?? (end.opened ? beforeReady : connectionFailed(this.url, end)));
      return;
    }
    const shutdown = this.shutdownEnd
      ? new UndertoneError(
          'shutting_down',
          `the server shut the session down after ${this.shutdownEnd.seconds} labels (end reason shutdown)`,
          info.code,
        )
      : undefined;
    const lost = new UndertoneError('connection_lost', `connection to ${this.url} lost (${closeText(info)}) without end`, info.code);
    this.host.closed(info, this.serverError ?? shutdown ?? lost);
  }
}
