/** Pure parts of the SDK: the typed emitter, the backoff schedule, PCM conversion. */
import { describe, expect, it } from 'vitest';
import { TypedEmitter } from './events.js';
import { backoffDelay, reconnectPolicy } from './reconnect.js';
import { pcmBytes } from './session.js';

class Emitter extends TypedEmitter<{ a: (n: number) => void; b: (s: string, t: string) => void }> {
  fire<K extends 'a' | 'b'>(k: K, ...args: Parameters<{ a: (n: number) => void; b: (s: string, t: string) => void }[K]>): void {
    this.emit(k, ...args);
  }
}

describe('TypedEmitter', () => {
  it('on / once / off, in order', () => {
    const e = new Emitter();
    const got: string[] = [];
    const off = e.on('a', (n) => got.push(`a${n}`));
    e.once('b', (s, t) => got.push(`b${s}${t}`));
    e.fire('a', 1);
    e.fire('b', 'x', 'y');
    e.fire('b', 'z', 'z');
    off();
    e.fire('a', 2);
    expect(got).toEqual(['a1', 'bxy']);
    expect(e.listenerCount('a')).toBe(0);
  });
});

describe('backoff', () => {
  it('doubles from initialDelayMs up to maxDelayMs, jittered within +-jitter', () => {
    const p = reconnectPolicy({ initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.2 })!;
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(p, a, () => 0.5))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffDelay(p, 1, () => 0)).toBe(80);
    expect(backoffDelay(p, 1, () => 1)).toBe(120);
    expect(reconnectPolicy(false)).toBeUndefined();
    expect(reconnectPolicy(true)).toMatchObject({ retries: 5, initialDelayMs: 250 });
  });
});

describe('pcmBytes', () => {
  it('converts Int16Array / Float32Array to s16le and f32le, copies bytes', () => {
    const f = new Float32Array([0, 0.5, -1, 1, NaN]);
    const s16 = new Int16Array(pcmBytes(f, 'pcm_s16le').buffer);
    expect([...s16]).toEqual([0, 16384, -32768, 32767, 0]);
    const back = new Float32Array(pcmBytes(new Int16Array([16384, -32768]), 'pcm_f32le').buffer);
    expect([...back]).toEqual([0.5, -1]);
    const buf = Buffer.from([1, 2, 3, 4]);
    const copy = pcmBytes(buf, 'pcm_s16le');
    buf[0] = 9;
    expect([...copy]).toEqual([1, 2, 3, 4]);
  });

  it('encodes Int16Array / Float32Array to G.711 characters (one byte a sample)', () => {
    expect([...pcmBytes(new Float32Array([0, 1, -1]), 'pcm_mulaw')]).toEqual([0xff, 0x80, 0x00]);
    expect([...pcmBytes(new Int16Array([0, 32767, -32768]), 'pcm_alaw')]).toEqual([0xd5, 0xaa, 0x2a]);
    expect([...pcmBytes(new Uint8Array([0x12, 0x34]), 'pcm_alaw')]).toEqual([0x12, 0x34]);
  });
});
