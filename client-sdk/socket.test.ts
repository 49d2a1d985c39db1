/** socket.ts against a scripted WebSocketLike (no network): what reaches the caller, and how a close is described. */
import { describe, expect, it } from 'vitest';
import { UndertoneError } from './errors.js';
import { type SocketEnd, type WebSocketLike, closeText, connectionFailed, openSocket } from './socket.js';

/** A WebSocketLike whose events the test fires by hand. */
class ScriptedSocket implements WebSocketLike {
  readyState = 0;
  bufferedAmount = 0;
  binaryType = 'blob';
  sent: (string | Uint8Array)[] = [];
  onopen: ((ev: never) => void) | null = null;
  onmessage: ((ev: never) => void) | null = null;
  onclose: ((ev: never) => void) | null = null;
  onerror: ((ev: never) => void) | null = null;
  send(data: string | Uint8Array): void {
    this.sent.push(data);
  }
  close(): void {}
  fire(event: 'open' | 'message' | 'close' | 'error', ev: unknown): void {
    (this[`on${event}`] as ((ev: unknown) => void) | null)?.(ev);
  }
}

function open(socket: ScriptedSocket) {
  const messages: { type: string }[] = [];
  const ends: SocketEnd[] = [];
  openSocket({
    factory: () => socket,
    url: 'ws://h/v1/stream?token=k',
    name: 'ws://h/v1/stream',
    parse: (text) => {
      const m = JSON.parse(text) as { type: string };
      if (m.type === 'unknown') throw new Error('not ours');
      return m;
    },
    onOpen: (s) => s.send('hello'),
    onMessage: (m) => messages.push(m),
    onClose: (end) => ends.push(end),
  });
  return { messages, ends };
}

describe('openSocket', () => {
  it('passes parsed text messages on, ignores binary and unparsable ones, and sends on open', () => {
    const socket = new ScriptedSocket();
    const { messages } = open(socket);
    expect(socket.binaryType).toBe('arraybuffer');
    socket.fire('open', {});
    expect(socket.sent).toEqual(['hello']);
    socket.fire('message', { data: '{"type":"ready"}' });
    socket.fire('message', { data: new ArrayBuffer(4) });
    socket.fire('message', { data: 'not json' });
    socket.fire('message', { data: '{"type":"unknown"}' });
    socket.fire('message', { data: '{"type":"emotion"}' });
    expect(messages.map((m) => m.type)).toEqual(['ready', 'emotion']);
  });

  it('a close says whether the socket had opened and what the WebSocket reported', () => {
    const never = new ScriptedSocket();
    const a = open(never);
    never.fire('error', { message: 'connect ECONNREFUSED 127.0.0.1:1' });
    never.fire('close', { code: 1006 });
    expect(a.ends).toEqual([{ code: 1006, reason: '', opened: false, error: 'connect ECONNREFUSED 127.0.0.1:1' }]);
    expect(connectionFailed('ws://h/v1/stream', a.ends[0])).toMatchObject({
      code: 'connection_failed',
      closeCode: 1006,
      message: 'cannot connect to ws://h/v1/stream: connect ECONNREFUSED 127.0.0.1:1 (is the server running?)',
    });
    const opened = new ScriptedSocket();
    const b = open(opened);
    opened.fire('open', {});
    opened.fire('close', { code: 1008, reason: 'unauthorized' });
    expect(b.ends).toEqual([{ code: 1008, reason: 'unauthorized', opened: true, error: '' }]);
    expect(closeText(b.ends[0])).toBe('1008 unauthorized');
  });

  it('no WebSocket implementation, or one that throws, is connection_failed naming the URL without its token', () => {
    const spec = {
      url: 'ws://h/v1/stream?token=k',
      name: 'ws://h/v1/stream',
      parse: JSON.parse,
      onMessage: () => undefined,
      onClose: () => undefined,
    };
    expect(() => openSocket({ ...spec, factory: undefined })).toThrow(/no WebSocket implementation/);
    const thrown = (() => {
      try {
        openSocket({
          ...spec,
          factory: () => {
            throw new SyntaxError('Invalid URL');
          },
        });
      } catch (e) {
        return e;
      }
    })();
    expect(thrown).toBeInstanceOf(UndertoneError);
    expect(thrown).toMatchObject({ code: 'connection_failed', message: 'cannot connect to ws://h/v1/stream: Invalid URL' });
  });
});
