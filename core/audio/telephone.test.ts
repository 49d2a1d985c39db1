import { describe, expect, it } from 'vitest';
import { butterworth, filterCascade } from './biquad.js';
import { g711Decode, g711Encode } from './g711.js';
import { resampleAll } from './resample.js';
import { TELEPHONE_CHANNEL_NAMES, parseTelephoneChannel, telephoneChannel, telephoneChannelName } from './telephone.js';

const SR = 16000;

function tone(freq: number, n: number, amplitude: number, rate = SR): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
  return x;
}

/** RMS over the middle of the signal (away from filter start-up and the resampler's edges). */
function rms(x: Float32Array, from = 0.25, to = 0.75): number {
  let s = 0;
  const a = Math.floor(x.length * from);
  const b = Math.floor(x.length * to);
  for (let i = a; i < b; i++) s += x[i] * x[i];
  return Math.sqrt(s / (b - a));
}

function snrDb(clean: Float32Array, noisy: Float32Array): number {
  const err = noisy.map((v, i) => v - clean[i]);
  return 20 * Math.log10(rms(clean) / rms(err));
}

describe('telephoneChannel (16 kHz -> 8 kHz G.711 -> 16 kHz)', () => {
  it('removes everything above 4 kHz and keeps the length', () => {
    for (const channel of [{ law: 'mulaw', bandpass: false }, { law: 'alaw', bandpass: true }] as const) {
      for (const freq of [4500, 6000, 7500]) {
        const y = telephoneChannel(tone(freq, SR + 1, 0.5), channel);
        expect(y.length).toBe(SR + 1);
        // Input RMS 0.35; out at least 60 dB lower. (Not silent: A-law has no zero character, so
        // silence comes out as +-8/32768, its smallest level, about -72 dBFS.)
        expect(rms(y)).toBeLessThan(0.35 * 10 ** (-60 / 20));
      }
    }
  });

  it('μ-law and A-law: a 1 kHz sine at -10 dBFS comes back with an SNR of about 38 dB (G.711 quantisation)', () => {
    const x = tone(1000, SR, 10 ** (-10 / 20) * Math.SQRT2);
    for (const law of ['mulaw', 'alaw'] as const) {
      const snr = snrDb(x, telephoneChannel(x, { law, bandpass: false }));
      expect(snr).toBeGreaterThan(35);
      expect(snr).toBeLessThan(41);
    }
  });

  it('the band-pass variant cuts below 300 Hz and keeps the voice band', () => {
    const low = tone(120, SR, 0.3);
    const mid = tone(1000, SR, 0.3);
    const bp = { law: 'mulaw', bandpass: true } as const;
    // 4th-order Butterworth at 300 Hz: about -32 dB at 120 Hz; without the band-pass 120 Hz passes.
    expect(20 * Math.log10(rms(telephoneChannel(low, bp)) / rms(low))).toBeLessThan(-28);
    expect(Math.abs(20 * Math.log10(rms(telephoneChannel(low, { law: 'mulaw', bandpass: false })) / rms(low)))).toBeLessThan(0.3);
    expect(Math.abs(20 * Math.log10(rms(telephoneChannel(mid, bp)) / rms(mid)))).toBeLessThan(0.3);
  });

  it('is what the server computes for the 8 kHz G.711 stream of the same audio', () => {
    const x = tone(440, 12345, 0.4).map((v, i) => v + 0.1 * Math.sin(i * 0.01));
    const codes = g711Encode('alaw', resampleAll(x, SR, 8000));
    const server = resampleAll(g711Decode('alaw', codes), 8000, SR);
    expect(telephoneChannel(x, { law: 'alaw', bandpass: false })).toEqual(server.slice(0, x.length));
  });

  it('names: g711-mulaw, g711-alaw and their -bp variants round-trip; anything else is refused', () => {
    for (const name of TELEPHONE_CHANNEL_NAMES) expect(telephoneChannelName(parseTelephoneChannel(name)!)).toBe(name);
    expect(parseTelephoneChannel('g711-mulaw')).toEqual({ law: 'mulaw', bandpass: false });
    for (const bad of ['mulaw', 'g711', 'g711-ulaw', 'g711-alaw-bpx', '']) expect(parseTelephoneChannel(bad)).toBeUndefined();
  });
});

describe('butterworth', () => {
  it('is -3 dB at the cutoff, flat in the passband, and refuses odd orders', () => {
    const lp = butterworth('lowpass', 4, 3400, 8000);
    const hp = butterworth('highpass', 4, 300, 8000);
    const gainDb = (sections: ReturnType<typeof butterworth>, f: number) => {
      const x = tone(f, 8000, 0.5, 8000);
      return 20 * Math.log10(rms(filterCascade(sections, x)) / rms(x));
    };
    expect(gainDb(lp, 3400)).toBeCloseTo(-3.01, 1);
    expect(gainDb(hp, 300)).toBeCloseTo(-3.01, 1);
    expect(Math.abs(gainDb(lp, 1000))).toBeLessThan(0.05);
    expect(Math.abs(gainDb(hp, 1000))).toBeLessThan(0.05);
    expect(() => butterworth('lowpass', 3, 1000, 8000)).toThrow(RangeError);
    expect(() => butterworth('lowpass', 4, 5000, 8000)).toThrow(RangeError);
  });
});
