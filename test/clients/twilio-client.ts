/**
 * A simulated Twilio Media Streams client for tests: speaks the documented message format
 * (protocol "Call" 1.0.0): `connected`, `start`, then 20 ms `media` messages of base64 mu-law at
 * 8 kHz per track (interleaved, like Twilio's), a `mark`, and `stop`. Audio is made the way a
 * phone call would carry it: 16 kHz -> 8 kHz with core's resampler, mu-law encoded.
 */
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { g711Encode } from '../../core/audio/g711.js';
import { resampleAll } from '../../core/audio/resample.js';

/** 20 ms of 8 kHz mu-law. */
export const TWILIO_CHUNK_BYTES = 160;

/** 16 kHz samples as the 8 kHz mu-law bytes a phone call carries. */
export function toMulaw8k(samples16k: Float32Array): Uint8Array {
  return g711Encode('mulaw', resampleAll(samples16k, 16000, 8000));
}

export function sid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

export interface TwilioCallOptions {
  /** Mu-law bytes per track (`inbound`, `outbound`). */
  readonly tracks: Readonly<Record<string, Uint8Array>>;
  readonly callSid?: string;
  readonly customParameters?: Record<string, string>;
  /** 1 = real time (20 ms per chunk), 0 = as fast as possible. */
  readonly pace?: number;
  /** Called after `start` is sent, before any media (e.g. to subscribe). */
  readonly afterStart?: () => Promise<void>;
  /** Send `stop` at the end (default true). */
  readonly stop?: boolean;
  /** Handshake headers (e.g. X-Twilio-Signature). */
  readonly headers?: Record<string, string>;
}

export interface TwilioCallRun {
  readonly callSid: string;
  readonly streamSid: string;
  readonly close: { code: number; reason: string };
}

/** Opens `url`, plays a call, resolves when the server closes the socket. */
export async function playTwilioCall(url: string, options: TwilioCallOptions): Promise<TwilioCallRun> {
  const callSid = options.callSid ?? sid('CA');
  const streamSid = sid('MZ');
  const accountSid = sid('AC');
  const ws = new WebSocket(url, { perMessageDeflate: false, headers: options.headers ?? {} });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let seq = 0;
  const send = (message: object): Promise<void> =>
    new Promise((resolve) => {
      if (ws.readyState !== WebSocket.OPEN) return resolve();
      ws.send(JSON.stringify(message), () => resolve());
    });
  await send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
  const tracks = Object.keys(options.tracks);
  await send({
    event: 'start',
    sequenceNumber: String(++seq),
    start: {
      accountSid,
      streamSid,
      callSid,
      tracks,
      customParameters: options.customParameters ?? {},
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    },
    streamSid,
  });
  await options.afterStart?.();
  const longest = Math.max(...tracks.map((t) => options.tracks[t].length));
  const t0 = performance.now();
  for (let chunk = 0; chunk * TWILIO_CHUNK_BYTES < longest; chunk++) {
    if (options.pace) {
      const wait = t0 + (chunk * 20) / options.pace - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    }
    for (const track of tracks) {
      const bytes = options.tracks[track].subarray(chunk * TWILIO_CHUNK_BYTES, (chunk + 1) * TWILIO_CHUNK_BYTES);
      if (bytes.length === 0) continue;
      await send({
        event: 'media',
        sequenceNumber: String(++seq),
        media: { track, chunk: String(chunk + 1), timestamp: String(chunk * 20), payload: Buffer.from(bytes).toString('base64') },
        streamSid,
      });
    }
  }
  await send({ event: 'mark', sequenceNumber: String(++seq), streamSid, mark: { name: 'end-of-audio' } });
  if (options.stop !== false) await send({ event: 'stop', sequenceNumber: String(++seq), streamSid, stop: { accountSid, callSid } });
  return { callSid, streamSid, close: await closed };
}
