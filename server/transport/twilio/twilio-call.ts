/**
 * One Twilio Media Stream (`<Stream url="wss://HOST/v1/twilio">` in TwiML): Twilio's `connected`,
 * `start`, `media`, `mark`, `dtmf` and `stop` messages (messages.ts) in, nothing out. Each track
 * named in `start.tracks` becomes its own Session (inbound = the caller, outbound = the agent),
 * listed in the session directory with source `twilio`, its track, key `customParameters.key` (or
 * the callSid) and the callSid as an alias, so subscribers can follow the caller by call.
 *
 * Twilio cannot send our Bearer header and `<Stream url>` takes no query string, so when the server
 * has API keys the `start` message must carry one as the custom parameter `token`
 * (`<Parameter name="token" value="KEY"/>`). Failures close the socket with the protocol's close
 * codes (Twilio ignores messages we would send, and shows the close in its debugger).
 */
import { randomUUID } from 'node:crypto';
import { type EndReason, ProtocolError, streamBand } from '../../../core/protocol/index.js';
import { type AudioSocket, AudioConnection, type ConnectionContext, type ConnectionOutcome } from '../audio-connection.js';
import type { KeyList } from '../../admission/access.js';
import { keySessionLimit } from '../../admission/admission.js';
import { type KeyQuota, keyId } from '../../admission/key-quota.js';
import { Session } from '../../pipeline/session.js';
import { ServedModels, type TransportContext, sessionContext } from '../../inference/served-models.js';
import { PcmInput } from '../../pipeline/audio-input.js';
import { TWILIO_PROTOCOL, TWILIO_VERSION, TwilioMessageError, type TwilioMedia, type TwilioStart, parseTwilioMessage } from './messages.js';

/**
 * Twilio sends media at real time, but anything can connect to /v1/twilio: the speed allowance,
 * inference backpressure and inbound buffer bound of /v1/stream apply here too (AudioConnection;
 * docs/protocol.md, "Flow control"), so what a connection makes the server hold stays bounded.
 */
export interface TwilioContext extends TransportContext, ConnectionContext {
  /** Audio keys; when any are configured, `start.customParameters.token` must be one. */
  readonly keys: KeyList;
  /** Live connections per key (--max-sessions-per-key): the call's token is counted once it is checked. */
  readonly keyQuota?: KeyQuota;
  /** The retry hint's base for key_session_limit (ms). */
  readonly retryAfterMs?: number;
}

/** The parameter of `start.customParameters` that carries the API key. */
export const TWILIO_TOKEN_PARAMETER = 'token';
/** The parameter of `start.customParameters` that sets the session key (default: the callSid). */
export const TWILIO_KEY_PARAMETER = 'key';

/** Twilio's <Stream track> attribute says inbound_track/outbound_track; media messages say inbound/outbound. */
function trackName(track: string): string {
  return track.replace(/_track$/, '');
}

export class TwilioCall extends AudioConnection {
  private readonly sessions = new Map<string, Session>();
  private callSid?: string;

  constructor(ws: AudioSocket, protected override readonly ctx: TwilioContext, remote: { address?: string }) {
    super(ws, ctx, { logKey: 'twilioConnection', opened: 'twilio stream opened', remote });
  }

  /** Counts the call against its API key's limit (a call is one connection, whatever its tracks); released when the call closes. */
  private async claimKey(token: string | undefined): Promise<void> {
    const quota = this.ctx.keyQuota;
    if (!quota || quota.max === 0 || this.ctx.keys.size === 0 || !token) return;
    const id = keyId(token);
    if (!(await quota.claim(id))) {
      this.ctx.metrics.shed.inc({ limit: 'key' });
      throw keySessionLimit(quota.max, Math.round((this.ctx.retryAfterMs ?? 2000) * (1 + Math.random() * 0.5)));
    }
    void this.closed.then(() => quota.release(id));
  }

  protected override toProtocolError(e: unknown): unknown {
    return e instanceof TwilioMessageError ? new ProtocolError('invalid_message', e.message) : e;
  }

  protected async handle(data: Buffer, isBinary: boolean, arrival: number): Promise<void> {
    // ws still emits the messages of a socket read after pause(): while the call is held to its
    // speed allowance they wait, in order, instead of being decoded.
    if (!(await this.withinAllowance())) return;
    if (isBinary) throw new ProtocolError('invalid_message', 'Twilio Media Streams send JSON text messages, got a binary one');
    const message = parseTwilioMessage(data.toString('utf8'));
    switch (message.event) {
      case 'connected':
        if (message.protocol !== TWILIO_PROTOCOL || message.version.split('.')[0] !== TWILIO_VERSION.split('.')[0]) {
          this.log.warn({ protocol: message.protocol, version: message.version }, `twilio protocol is not ${TWILIO_PROTOCOL} ${TWILIO_VERSION}; reading it as such`);
        }
        return;
      case 'start':
        return await this.begin(message);
      case 'media':
        this.requireStarted('media');
        return this.media(message, arrival);
      case 'mark':
      case 'dtmf':
        return;
      case 'stop':
        return this.stop(arrival);
    }
  }

  private async begin(message: TwilioStart): Promise<void> {
    this.startReceived();
    const { start } = message;
    const { encoding, sampleRate, channels } = start.mediaFormat;
    if (encoding !== 'audio/x-mulaw' || channels !== 1 || sampleRate < 4000 || sampleRate > 48000) {
      throw new ProtocolError('unsupported_format', `unsupported Twilio media format ${encoding} ${sampleRate} Hz ${channels} channel(s) (expected audio/x-mulaw, 8000 Hz, mono)`);
    }
    if (this.ctx.keys.size > 0 && !this.ctx.keys.has(start.customParameters[TWILIO_TOKEN_PARAMETER] ?? '')) {
      throw new ProtocolError('unauthorized', `missing or unknown API key in customParameters.${TWILIO_TOKEN_PARAMETER}`);
    }
    await this.claimKey(start.customParameters[TWILIO_TOKEN_PARAMETER]);
    this.callSid = start.callSid;
    const key = start.customParameters[TWILIO_KEY_PARAMETER] || start.callSid;
    const startedAt = new Date().toISOString();
    // Twilio media is mu-law, i.e. telephone band: the narrowband model (when loaded).
    const model = this.ctx.models.choose(streamBand({ encoding: 'pcm_mulaw', sampleRate }));
    for (const track of new Set(start.tracks.map(trackName))) {
      const sessionId = randomUUID();
      const log = this.log.child({ sessionId, track });
      const session = new Session(
        sessionContext(this.ctx, model),
        { sessionId, key, ...(key !== start.callSid ? { aliases: [start.callSid] } : {}), source: 'twilio', track, encoding, model: ServedModels.describe(model), startedAt },
        // Twilio's media is our pcm_mulaw: the same decoder and resampler as /v1/stream.
        new PcmInput({ type: 'start', encoding: 'pcm_mulaw', sampleRate, channels: 1 }),
        { emotion: () => undefined, fail: (e) => this.fail(e), flow: this.inferenceFlow(track) },
        log,
      );
      this.sessions.set(track, session);
    }
    this.startStreaming();
    this.log.info({ callSid: start.callSid, streamSid: start.streamSid, tracks: [...this.sessions.keys()], key, sessions: [...this.sessions.values()].map((s) => s.sessionId), model: ServedModels.describe(model) }, 'twilio stream started');
  }

  private media(message: TwilioMedia, arrival: number): void {
    const session = this.sessions.get(trackName(message.media.track));
    if (!session) {
      this.log.debug({ track: message.media.track }, 'media for a track not announced in start; ignored');
      return;
    }
    session.push(Buffer.from(message.media.payload, 'base64'), arrival);
    this.audioReceived(session.audioMs);
  }

  /** Every track's last labels and `end` (published to subscribers; Twilio reads nothing we send). */
  protected async endSessions(reason: EndReason, arrival: number): Promise<boolean> {
    await Promise.all([...this.sessions.values()].map((s) => s.finish(reason, arrival)));
    return true;
  }

  protected closeSessions(outcome: ConnectionOutcome): void {
    for (const s of this.sessions.values()) s.close(outcome);
  }

  protected closeLog(): [Record<string, unknown>, string] {
    return [
      {
        callSid: this.callSid,
        tracks: Object.fromEntries([...this.sessions].map(([t, s]) => [t, { sessionId: s.sessionId, labels: s.labels, audioMs: Math.round(s.audioMs) }])),
      },
      'twilio stream closed',
    ];
  }
}
