/**
 * Twilio Media Streams WebSocket messages (Twilio -> us), as Twilio documents them at
 * https://www.twilio.com/docs/voice/media-streams/websocket-messages for protocol "Call",
 * version "1.0.0" (the `connected` message names both). Only what Undertone reads is typed;
 * unknown extra fields are ignored, as Twilio may add some. `parseTwilioMessage` checks every
 * field we use, so a malformed message is a clear error rather than an undefined deep inside.
 */

export const TWILIO_PROTOCOL = 'Call';
export const TWILIO_VERSION = '1.0.0';

export interface TwilioConnected {
  readonly event: 'connected';
  readonly protocol: string;
  readonly version: string;
}

export interface TwilioStart {
  readonly event: 'start';
  readonly sequenceNumber: string;
  readonly streamSid: string;
  readonly start: {
    readonly streamSid: string;
    readonly accountSid: string;
    readonly callSid: string;
    /** Tracks that media will follow for: `inbound` (the caller's audio), `outbound` (what Twilio plays/the agent). */
    readonly tracks: readonly string[];
    readonly customParameters: Readonly<Record<string, string>>;
    readonly mediaFormat: { readonly encoding: string; readonly sampleRate: number; readonly channels: number };
  };
}

export interface TwilioMedia {
  readonly event: 'media';
  readonly sequenceNumber: string;
  readonly streamSid: string;
  readonly media: {
    readonly track: string;
    /** Chunk number of this track, from "1". */
    readonly chunk: string;
    /** ms from the start of the stream. */
    readonly timestamp: string;
    /** Base64 of the raw audio (mu-law 8 kHz mono, no header). */
    readonly payload: string;
  };
}

export interface TwilioMark {
  readonly event: 'mark';
  readonly sequenceNumber: string;
  readonly streamSid: string;
  readonly mark: { readonly name: string };
}

export interface TwilioDtmf {
  readonly event: 'dtmf';
  readonly sequenceNumber: string;
  readonly streamSid: string;
  readonly dtmf: { readonly track: string; readonly digit: string };
}

export interface TwilioStop {
  readonly event: 'stop';
  readonly sequenceNumber: string;
  readonly streamSid: string;
  readonly stop: { readonly accountSid: string; readonly callSid: string };
}

export type TwilioMessage = TwilioConnected | TwilioStart | TwilioMedia | TwilioMark | TwilioDtmf | TwilioStop;

/** A Twilio message we cannot use: the call's streams end with `invalid_message` (1007). */
export class TwilioMessageError extends Error {}

function object(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TwilioMessageError(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function string(obj: Record<string, unknown>, field: string, what: string): string {
  const v = obj[field];
  if (typeof v !== 'string') throw new TwilioMessageError(`${what}.${field} must be a string`);
  return v;
}

export function parseTwilioMessage(text: string): TwilioMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new TwilioMessageError('message is not valid JSON');
  }
  const msg = object(raw, 'message');
  const event = string(msg, 'event', 'message');
  switch (event) {
    case 'connected':
      return { event, protocol: string(msg, 'protocol', event), version: string(msg, 'version', event) };
    case 'start': {
      const start = object(msg.start, 'start.start');
      const format = object(start.mediaFormat, 'start.mediaFormat');
      const tracks = start.tracks;
      if (!Array.isArray(tracks) || tracks.length === 0 || !tracks.every((t) => typeof t === 'string')) throw new TwilioMessageError('start.tracks must be a non-empty array of strings');
      const params = start.customParameters === undefined ? {} : object(start.customParameters, 'start.customParameters');
      const customParameters: Record<string, string> = {};
      for (const [k, v] of Object.entries(params)) customParameters[k] = String(v);
      if (typeof format.sampleRate !== 'number' || typeof format.channels !== 'number') throw new TwilioMessageError('start.mediaFormat.sampleRate and channels must be numbers');
      return {
        event,
        sequenceNumber: string(msg, 'sequenceNumber', event),
        streamSid: string(msg, 'streamSid', event),
        start: {
          streamSid: string(start, 'streamSid', 'start.start'),
          accountSid: string(start, 'accountSid', 'start.start'),
          callSid: string(start, 'callSid', 'start.start'),
          tracks: tracks as string[],
          customParameters,
          mediaFormat: { encoding: string(format, 'encoding', 'start.mediaFormat'), sampleRate: format.sampleRate, channels: format.channels },
        },
      };
    }
    case 'media': {
      const media = object(msg.media, 'media.media');
      return {
        event,
        sequenceNumber: string(msg, 'sequenceNumber', event),
        streamSid: string(msg, 'streamSid', event),
        media: {
          track: string(media, 'track', 'media.media'),
          chunk: string(media, 'chunk', 'media.media'),
          timestamp: string(media, 'timestamp', 'media.media'),
          payload: string(media, 'payload', 'media.media'),
        },
      };
    }
    case 'mark':
      return { event, sequenceNumber: string(msg, 'sequenceNumber', event), streamSid: string(msg, 'streamSid', event), mark: { name: string(object(msg.mark, 'mark.mark'), 'name', 'mark.mark') } };
    case 'dtmf': {
      const dtmf = object(msg.dtmf, 'dtmf.dtmf');
      return { event, sequenceNumber: string(msg, 'sequenceNumber', event), streamSid: string(msg, 'streamSid', event), dtmf: { track: string(dtmf, 'track', 'dtmf.dtmf'), digit: string(dtmf, 'digit', 'dtmf.dtmf') } };
    }
    case 'stop': {
      const stop = object(msg.stop, 'stop.stop');
      return { event, sequenceNumber: string(msg, 'sequenceNumber', event), streamSid: string(msg, 'streamSid', event), stop: { accountSid: string(stop, 'accountSid', 'stop.stop'), callSid: string(stop, 'callSid', 'stop.stop') } };
    }
    default:
      throw new TwilioMessageError(`unknown event ${JSON.stringify(event.slice(0, 32))}`);
  }
}
