/**
 * X-Twilio-Signature: Twilio's worked example from its security docs (auth token 12345, a POST
 * to https://mycompany.com/myapp.php?foo=1&bar=2 with five parameters -> 0/KCTR6DLpKmkAf8muzZqo1nDgQ=),
 * what must not validate, and the URL a handshake is checked against.
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { requestedUrl, twilioSignature, validTwilioSignature } from './signature.js';

const URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const PARAMS = { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' };
const DOCUMENTED = '0/KCTR6DLpKmkAf8muzZqo1nDgQ=';

describe('Twilio request signature', () => {
  it("matches Twilio's documented example", () => {
    expect(twilioSignature('12345', URL, PARAMS)).toBe(DOCUMENTED);
    expect(validTwilioSignature(['12345'], DOCUMENTED, URL, PARAMS)).toBe(true);
  });

  it('refuses a changed parameter, URL or token, a truncated or missing signature', () => {
    expect(validTwilioSignature(['12345'], DOCUMENTED, URL, { ...PARAMS, Digits: '9999' })).toBe(false);
    expect(validTwilioSignature(['12345'], DOCUMENTED, 'https://mycompany.com/myapp.php?foo=1&bar=3', PARAMS)).toBe(false);
    expect(validTwilioSignature(['54321'], DOCUMENTED, URL, PARAMS)).toBe(false);
    expect(validTwilioSignature(['12345'], DOCUMENTED.slice(0, -1), URL, PARAMS)).toBe(false);
    expect(validTwilioSignature(['12345'], undefined, URL, PARAMS)).toBe(false);
    expect(validTwilioSignature(['12345'], '', URL, PARAMS)).toBe(false);
  });

  it('accepts any configured token (primary and secondary during rotation) and the default port either way', () => {
    expect(validTwilioSignature(['old', '12345'], DOCUMENTED, URL, PARAMS)).toBe(true);
    const sig = twilioSignature('12345', 'wss://undertone.example.com/v1/twilio');
    expect(validTwilioSignature(['12345'], sig, 'wss://undertone.example.com:443/v1/twilio')).toBe(true);
    expect(validTwilioSignature(['12345'], twilioSignature('12345', 'wss://undertone.example.com:443/v1/twilio'), 'wss://undertone.example.com/v1/twilio')).toBe(true);
    expect(validTwilioSignature(['12345'], sig, 'wss://undertone.example.com:8443/v1/twilio')).toBe(false);
  });

  it('reconstructs the requested URL from the public URL, the forwarded headers or the Host header', () => {
    const req = (headers: Record<string, string>): IncomingMessage => ({ url: '/v1/twilio?x=1', headers, socket: {} }) as unknown as IncomingMessage;
    expect(requestedUrl(req({ host: '127.0.0.1:8080' }))).toBe('ws://127.0.0.1:8080/v1/twilio?x=1');
    expect(requestedUrl(req({ host: 'backend:8080', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'undertone.example.com' }))).toBe('wss://undertone.example.com/v1/twilio?x=1');
    expect(requestedUrl(req({ host: 'backend:8080' }), 'wss://voice.example.com/')).toBe('wss://voice.example.com/v1/twilio?x=1');
  });
});
