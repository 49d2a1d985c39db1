import { describe, expect, it } from 'vitest';
import {
  type Band,
  CLOSE_CODES,
  ERROR_CODES,
  type Encoding,
  ProtocolError,
  parseClientMessage,
  parseServerMessage,
  streamBand,
} from './index.js';

function errorOf(text: string): ProtocolError {
  try {
    parseClientMessage(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    return e as ProtocolError;
  }
  throw new Error(`accepted ${text}`);
}

describe('parseClientMessage', () => {
  it('accepts the five encodings with their options', () => {
    expect(parseClientMessage('{"type":"start","encoding":"pcm_s16le","sampleRate":48000,"channels":2}')).toEqual({
      type: 'start',
      encoding: 'pcm_s16le',
      sampleRate: 48000,
      channels: 2,
    });
    expect(parseClientMessage('{"type":"start","encoding":"pcm_f32le","sampleRate":16000,"channels":1,"key":"call-7"}')).toMatchObject({
      key: 'call-7',
    });
    expect(parseClientMessage('{"type":"start","encoding":"opus","sampleRate":48000,"channels":1,"preSkip":312}')).toMatchObject({
      preSkip: 312,
    });
    expect(parseClientMessage('{"type":"start","encoding":"pcm_mulaw","sampleRate":8000,"channels":1,"key":"CA123"}')).toEqual({
      type: 'start',
      encoding: 'pcm_mulaw',
      sampleRate: 8000,
      channels: 1,
      key: 'CA123',
    });
    expect(parseClientMessage('{"type":"start","encoding":"pcm_alaw","sampleRate":8000,"channels":2}')).toMatchObject({
      encoding: 'pcm_alaw',
      channels: 2,
    });
    // G.711 takes the PCM rate range (μ-law WAV files exist at 16 kHz), refuses what the resampler cannot take.
    expect(parseClientMessage('{"type":"start","encoding":"pcm_mulaw","sampleRate":16000,"channels":1}')).toMatchObject({
      sampleRate: 16000,
    });
    expect(parseClientMessage('{"type":"stop"}')).toEqual({ type: 'stop' });
    expect(parseClientMessage('{"type":"keepalive"}')).toEqual({ type: 'keepalive' });
  });

  it('start.band: optional, wideband or narrowband; streamBand routes G.711 and <= 8 kHz to narrowband unless band says otherwise', () => {
    expect(parseClientMessage('{"type":"start","encoding":"pcm_s16le","sampleRate":16000,"channels":1,"band":"narrowband"}')).toMatchObject(
      { band: 'narrowband' },
    );
    expect(parseClientMessage('{"type":"start","encoding":"pcm_mulaw","sampleRate":8000,"channels":1}')).not.toHaveProperty('band');
    for (const band of ['"telephone"', '"Narrowband"', '1', 'null', '""']) {
      const e = errorOf(`{"type":"start","encoding":"pcm_mulaw","sampleRate":8000,"channels":1,"band":${band}}`);
      expect([e.code, e.closeCode, e.message]).toEqual([
        'invalid_message',
        CLOSE_CODES.INVALID_PAYLOAD,
        'start: "band" must be one of wideband, narrowband',
      ]);
    }
    const start = (encoding: Encoding, sampleRate: number, band?: Band): Band =>
      streamBand({ encoding, sampleRate, ...(band ? { band } : {}) });
    expect(start('pcm_mulaw', 8000)).toBe('narrowband');
    expect(start('pcm_alaw', 16000)).toBe('narrowband');
    expect(start('pcm_s16le', 8000)).toBe('narrowband');
    expect(start('pcm_f32le', 4000)).toBe('narrowband');
    expect(start('opus', 8000)).toBe('narrowband');
    expect(start('opus', 12000)).toBe('wideband');
    expect(start('pcm_s16le', 11025)).toBe('wideband');
    expect(start('pcm_s16le', 16000)).toBe('wideband');
    expect(start('pcm_s16le', 16000, 'narrowband')).toBe('narrowband');
    expect(start('pcm_mulaw', 8000, 'wideband')).toBe('wideband');
  });

  it('names unsupported encodings and formats with close 1003', () => {
    const enc = errorOf('{"type":"start","encoding":"mp3","sampleRate":44100,"channels":2}');
    expect([enc.code, enc.closeCode]).toEqual(['unsupported_encoding', CLOSE_CODES.UNSUPPORTED_DATA]);
    for (const text of [
      '{"type":"start","encoding":"pcm_s16le","sampleRate":1000,"channels":1}',
      '{"type":"start","encoding":"pcm_s16le","sampleRate":16000,"channels":6}',
      '{"type":"start","encoding":"opus","sampleRate":44100,"channels":1}',
      '{"type":"start","encoding":"pcm_mulaw","sampleRate":2000,"channels":1}',
      '{"type":"start","encoding":"pcm_alaw","sampleRate":8000,"channels":3}',
    ]) {
      expect(errorOf(text).code).toBe('unsupported_format');
    }
  });

  it('refuses malformed messages with invalid_message (1007)', () => {
    for (const text of [
      'not json',
      '[1,2]',
      'null',
      '{"encoding":"opus"}',
      '{"type":"begin"}',
      '{"type":"start","encoding":"pcm_s16le","sampleRate":"16000","channels":1}',
      '{"type":"start","encoding":"pcm_s16le","sampleRate":16000.5,"channels":1}',
      '{"type":"start","encoding":"pcm_s16le","sampleRate":16000}',
      '{"type":"start","encoding":"pcm_s16le","sampleRate":16000,"channels":1,"samplerate":8000}',
      '{"type":"start","encoding":"pcm_s16le","sampleRate":16000,"channels":1,"preSkip":312}',
      '{"type":"start","encoding":"opus","sampleRate":48000,"channels":1,"preSkip":-1}',
      '{"type":"start","encoding":"opus","sampleRate":48000,"channels":1,"key":""}',
      '{"type":"stop","now":true}',
    ]) {
      const e = errorOf(text);
      expect([text, e.code, e.closeCode]).toEqual([text, 'invalid_message', CLOSE_CODES.INVALID_PAYLOAD]);
    }
  });

  it('maps every error code to a close code the issue names', () => {
    const allowed = new Set<number>(Object.values(CLOSE_CODES));
    for (const [code, close] of Object.entries(ERROR_CODES)) expect([code, allowed.has(close)]).toEqual([code, true]);
    expect(new ProtocolError('overloaded', 'full').toMessage()).toEqual({ type: 'error', code: 'overloaded', message: 'full' });
  });

  it('parses server messages by their type', () => {
    expect(parseServerMessage('{"type":"end","seconds":0}').type).toBe('end');
    expect(() => parseServerMessage('{"type":"hello"}')).toThrow();
  });
});
