/**
 * One Twilio Media Stream (`<Stream url="wss://HOST/v1/twilio">` in TwiML): Twilio's `connected`,
 * `start`, `media`, `mark`, `dtmf` and `stop` messages (messages.ts) in, nothing out. Each track
 * named in `start.tracks` becomes its own LiveStream (inbound = the caller, outbound = the agent),
 * listed in the session directory with source `twilio`, its track, key `customParameters.key` (or
 * the callSid) and the callSid as an alias, so subscribers can follow the caller by call.
 *
 * Twilio cannot send our Bearer header and `<Stream url>` takes no query string, so when the server
 * has API keys the `start` message must carry one as the custom parameter `token`
 * (`<Parameter name="token" value="KEY"/>`). Failures close the socket with the protocol's close
 * codes (Twilio ignores messages we would send, and shows the close in its debugger).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { WebSocket, type RawData } from 'ws';
import { CLOSE_CODES, type CloseCode, type EndReason, ProtocolError, streamBand } from '../../core/protocol/index.js';
import type { KeyList } from '../auth.js';
import { type FlowLimits, type ReadGate, SpeedHold, socketReadGate } from '../flow-limits.js';
import { LiveStream } from '../live-stream.js';
import { ServedModels, type TransportContext, streamContext } from '../served-models.js';
import { PcmInput } from '../audio-input.js';
import type { Logger } from '../logger.js';
import type { SessionOutcome } from '../session.js';
import { closeSocket, protocolErrorOf } from '../connection-end.js';
import { TWILIO_PROTOCOL, TWILIO_VERSION, TwilioMessageError, type TwilioMedia, type TwilioStart, parseTwilioMessage } from './messages.js';

export interface TwilioContext extends TransportContext {
  readonly logger: Logger;
  /** Audio keys; when any are configured, `start.customParameters.token` must be one. */
  readonly keys: KeyList;
  /** The speed allowance of /v1/stream applies to a Twilio connection too (docs/protocol.md, "Flow control"). */
  readonly flow: FlowLimits;
  readonly idleTimeoutMs: number;
  readonly startTimeoutMs: number;
  readonly maxMessageBytes: number;
}

/** The parameter of `start.customParameters` that carries the API key. */
export const TWILIO_TOKEN_PARAMETER = 'token';
/** The parameter of `start.customParameters` that sets the session key (default: the callSid). */
export const TWILIO_KEY_PARAMETER = 'key';

type State = 'awaiting_start' | 'streaming' | 'ending' | 'closed';

/** Twilio's <Stream track> attribute says inbound_track/outbound_track; media messages say inbound/outbound. */
function trackName(track: string): string {
  return track.replace(/_track$/, '');
}

export class TwilioCall {
  readonly id = randomUUID();
  private readonly log: Logger;
  private state: State = 'awaiting_start';
  private readonly streams = new Map<string, LiveStream>();
  private startTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private messages = 0;
  private callSid?: string;
  private outcome: SessionOutcome = 'client_closed';
  /**
   * Twilio sends media at real time, but anything can connect to /v1/twilio: a client ahead of
   * its speed allowance, or whose windows wait for inference, is not read (TCP backpressure),
   * so what a connection makes the server hold stays bounded.
   */
  private readonly gate: ReadGate;
  private readonly inferencePaused = new Set<string>();
  private streamingSince = 0;
  private readonly speed: SpeedHold;
  private readonly backlog: { data: RawData; isBinary: boolean; arrival: number }[] = [];
  private resolveClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: TwilioContext,
    remote: { address?: string },
  ) {
    this.log = ctx.logger.child({ twilioConnection: this.id });
    this.gate = socketReadGate(ws);
    this.speed = new SpeedHold(ctx.flow, this.gate, () => {
      this.touch();
      this.drainBacklog();
    });
    this.log.info({ remote: remote.address }, 'twilio stream opened');
    ctx.metrics.liveSessions.inc();
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', (code) => this.onClose(code));
    ws.on('error', (e) => this.log.warn({ err: e.message }, 'socket error'));
    this.startTimer = setTimeout(() => this.fail(new ProtocolError('start_timeout', `no start message within ${ctx.startTimeoutMs / 1000} s`)), ctx.startTimeoutMs);
  }

  /** Server shutdown: every track gets its last labels and `end` (shutdown), then close 1001. */
  shutdown(): void {
    if (this.state === 'awaiting_start') this.fail(new ProtocolError('shutting_down', 'server is shutting down'));
    else void this.finish('shutdown', CLOSE_CODES.GOING_AWAY);
  }

  terminate(): void {
    this.ws.terminate();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.state === 'closed' || this.state === 'ending') return;
    const arrival = performance.now();
    // ws still emits the messages of a socket read after pause(): while the call is held to its
    // speed allowance they wait here, in order (at most one read's worth), instead of being decoded.
    if (this.speed.held || this.backlog.length > 0) {
      this.backlog.push({ data, isBinary, arrival });
      return;
    }
    this.handleMessage(data, isBinary, arrival);
  }

  /** Handles the held messages in order until the allowance holds the call again. */
  private drainBacklog(): void {
    while (this.backlog.length > 0 && !this.speed.held && this.state !== 'closed' && this.state !== 'ending') {
      const m = this.backlog.shift()!;
      this.handleMessage(m.data, m.isBinary, m.arrival);
    }
  }

  private handleMessage(data: RawData, isBinary: boolean, arrival: number): void {
    this.messages++;
    try {
      const text = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      if (text.length > this.ctx.maxMessageBytes) throw new ProtocolError('message_too_big', `message of ${text.length} bytes exceeds the limit of ${this.ctx.maxMessageBytes}`);
      if (isBinary) throw new ProtocolError('invalid_message', 'Twilio Media Streams send JSON text messages, got a binary one');
      const message = parseTwilioMessage(text.toString('utf8'));
      this.touch();
      switch (message.event) {
        case 'connected':
          if (message.protocol !== TWILIO_PROTOCOL || message.version.split('.')[0] !== TWILIO_VERSION.split('.')[0]) {
            this.log.warn({ protocol: message.protocol, version: message.version }, `twilio protocol is not ${TWILIO_PROTOCOL} ${TWILIO_VERSION}; reading it as such`);
          }
          return;
        case 'start':
          if (this.state !== 'awaiting_start') throw new ProtocolError('unexpected_message', 'start was already received');
          return this.begin(message);
        case 'media':
          if (this.state !== 'streaming') throw new ProtocolError('start_required', 'media before the start message');
          return this.media(message, arrival);
        case 'mark':
        case 'dtmf':
          return;
        case 'stop':
          if (this.state !== 'streaming') throw new ProtocolError('start_required', 'stop before the start message');
          void this.finish('stop', CLOSE_CODES.NORMAL);
          return;
      }
    } catch (e) {
      this.fail(e);
    }
  }

  private begin(message: TwilioStart): void {
    clearTimeout(this.startTimer);
    const { start } = message;
    const { encoding, sampleRate, channels } = start.mediaFormat;
    if (encoding !== 'audio/x-mulaw' || channels !== 1 || sampleRate < 4000 || sampleRate > 48000) {
      throw new ProtocolError('unsupported_format', `unsupported Twilio media format ${encoding} ${sampleRate} Hz ${channels} channel(s) (expected audio/x-mulaw, 8000 Hz, mono)`);
    }
    if (this.ctx.keys.size > 0 && !this.ctx.keys.has(start.customParameters[TWILIO_TOKEN_PARAMETER] ?? '')) {
      throw new ProtocolError('unauthorized', `missing or unknown API key in customParameters.${TWILIO_TOKEN_PARAMETER}`);
    }
    this.callSid = start.callSid;
    const key = start.customParameters[TWILIO_KEY_PARAMETER] || start.callSid;
    const startedAt = new Date().toISOString();
    // Twilio media is mu-law, i.e. telephone band: the narrowband model (when loaded).
    const model = this.ctx.models.choose(streamBand({ encoding: 'pcm_mulaw', sampleRate }));
    for (const track of new Set(start.tracks.map(trackName))) {
      const sessionId = randomUUID();
      const log = this.log.child({ sessionId, track });
      const stream = new LiveStream(
        streamContext(this.ctx, model),
        { sessionId, key, ...(key !== start.callSid ? { aliases: [start.callSid] } : {}), source: 'twilio', track, encoding, model: ServedModels.describe(model), startedAt },
        // Twilio's media is our pcm_mulaw: the same decoder and resampler as /v1/stream.
        new PcmInput({ type: 'start', encoding: 'pcm_mulaw', sampleRate, channels: 1 }),
        {
          emotion: () => undefined,
          fail: (e) => this.fail(e),
          flow: (paused) => {
            if (paused) this.inferencePaused.add(track);
            else this.inferencePaused.delete(track);
            this.gate.set('inference', this.inferencePaused.size > 0);
          },
        },
        log,
      );
      this.streams.set(track, stream);
    }
    this.state = 'streaming';
    this.streamingSince = performance.now();
    this.touch();
    this.log.info({ callSid: start.callSid, streamSid: start.streamSid, tracks: [...this.streams.keys()], key, sessions: [...this.streams.values()].map((s) => s.sessionId), model: ServedModels.describe(model) }, 'twilio stream started');
  }

  private media(message: TwilioMedia, arrival: number): void {
    const stream = this.streams.get(trackName(message.media.track));
    if (!stream) {
      this.log.debug({ track: message.media.track }, 'media for a track not announced in start; ignored');
      return;
    }
    stream.push(Buffer.from(message.media.payload, 'base64'), arrival);
    if (this.state === 'streaming') this.speed.check(stream.audioMs, performance.now() - this.streamingSince);
  }

  /** Every track's last labels and `end`, then close. */
  private async finish(reason: EndReason, code: CloseCode): Promise<void> {
    if (this.state !== 'streaming') return;
    this.state = 'ending';
    clearTimeout(this.idleTimer);
    const now = performance.now();
    await Promise.all([...this.streams.values()].map((s) => s.finish(reason, now)));
    if (this.state !== 'ending') return;
    this.outcome = reason;
    this.close(code, reason === 'idle_timeout' ? 'idle timeout' : reason === 'shutdown' ? 'server shutting down' : 'end of stream');
  }

  private fail(e: unknown): void {
    if (this.state === 'closed') return;
    const error = protocolErrorOf(e instanceof TwilioMessageError ? new ProtocolError('invalid_message', e.message) : e, this.log);
    this.ctx.metrics.errors.inc({ code: error.code });
    this.outcome = 'error';
    this.close(error.closeCode, error.code);
  }

  private touch(): void {
    if (this.state !== 'streaming') return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      // Not reading the socket is our doing, not the client's silence.
      if (this.gate.paused) return this.touch();
      this.log.info({ idleTimeoutMs: this.ctx.idleTimeoutMs }, 'idle timeout');
      void this.finish('idle_timeout', CLOSE_CODES.NORMAL);
    }, this.ctx.idleTimeoutMs);
  }

  private close(code: CloseCode, reason: string): void {
    this.release();
    closeSocket(this.ws, code, reason);
  }

  private release(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.startTimer);
    clearTimeout(this.idleTimer);
    this.backlog.length = 0;
    this.speed.release();
    // Read again, so the client's close frame is read and the close handshake can finish.
    if (this.gate.paused && (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CLOSING)) this.ws.resume();
    for (const s of this.streams.values()) s.close(this.outcome);
  }

  private onClose(code: number): void {
    this.release();
    this.ctx.metrics.liveSessions.dec();
    this.ctx.metrics.sessionEnds.inc({ reason: this.outcome });
    this.log.info(
      {
        outcome: this.outcome,
        closeCode: code,
        callSid: this.callSid,
        tracks: Object.fromEntries([...this.streams].map(([t, s]) => [t, { sessionId: s.sessionId, labels: s.labels, audioMs: Math.round(s.audioMs) }])),
        messages: this.messages,
      },
      'twilio stream closed',
    );
    this.resolveClosed();
  }
}
