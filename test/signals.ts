/**
 * Helpers for the augmentation tests (tones, spectral peak, envelopes, real corpus audio). Not used
 * by the augmentation code itself.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import FFT from 'fft.js';
import { decodeAudioFile } from '../core/audio/decode-file.js';
import { corporaDir } from './corpora.js';

export const SR = 16000;

export function tone(freq: number, length: number, amplitude = 0.5, sampleRate = SR): Float32Array {
  const x = new Float32Array(length);
  for (let i = 0; i < length; i++) x[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / sampleRate);
  return x;
}

/**
 * Frequency of the largest spectral peak in [loHz, hiHz]: Hann window, zero padding to `size`
 * points (0.06 Hz bins at 2^18) and parabolic interpolation on the log magnitude. Also returns the
 * peak's amplitude estimate (a full-scale sine of amplitude A reads about A).
 */
export function spectralPeak(x: Float32Array, loHz = 0, hiHz = SR / 2, size = 1 << 18): { freq: number; amplitude: number } {
  const n = Math.min(x.length, size);
  const fft = new FFT(size);
  const input = new Array<number>(size).fill(0);
  let windowSum = 0;
  for (let i = 0; i < n; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    input[i] = x[i] * w;
    windowSum += w;
  }
  const out = fft.createComplexArray() as number[];
  fft.realTransform(out, input);
  const mag = (k: number) => Math.hypot(out[2 * k], out[2 * k + 1]);
  const kLo = Math.max(1, Math.ceil((loHz * size) / SR));
  const kHi = Math.min(size / 2 - 2, Math.floor((hiHz * size) / SR));
  let best = kLo;
  for (let k = kLo; k <= kHi; k++) if (mag(k) > mag(best)) best = k;
  const a = Math.log(mag(best - 1));
  const b = Math.log(mag(best));
  const c = Math.log(mag(best + 1));
  const d = (0.5 * (a - c)) / (a - 2 * b + c);
  return { freq: ((best + d) * SR) / size, amplitude: (2 * mag(best)) / windowSum };
}

export function rms(x: Float32Array, start = 0, end = x.length): number {
  let s = 0;
  for (let i = start; i < end; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, end - start));
}

export const db = (ratio: number) => 10 * Math.log10(ratio);

/** Times (s) of the first and last 10 ms frame whose power is above `fraction` of the loudest frame's. */
export function onOff(x: Float32Array, fraction = 0.25): [number, number] {
  const frame = SR / 100;
  const powers: number[] = [];
  for (let i = 0; i + frame <= x.length; i += frame) powers.push(rms(x, i, i + frame) ** 2);
  const max = Math.max(...powers);
  const first = powers.findIndex((p) => p > max * fraction);
  let last = powers.length - 1;
  while (last > 0 && !(powers[last] > max * fraction)) last--;
  return [first / 100, (last + 1) / 100];
}

/**
 * F0 track (Hz, NaN where unvoiced): 40 ms frames every 10 ms within 20 dB of the loudest frame,
 * normalised autocorrelation over 60-600 Hz lags with parabolic refinement, voiced when its peak
 * exceeds 0.8. A slow, direct reference (time-domain NCCF over 40 ms) for tests of pitch shifting and
 * of the pitch feature (core/features/pitch.ts).
 */
export function f0Track(x: Float32Array): number[] {
  const frame = 640;
  const hop = 160;
  const minLag = Math.floor(SR / 600);
  const maxLag = Math.ceil(SR / 60);
  const energies: number[] = [];
  for (let s = 0; s + frame + maxLag + 1 <= x.length; s += hop) energies.push(rms(x, s, s + frame) ** 2);
  const loud = Math.max(...energies) / 100;
  return energies.map((energy, f) => {
    if (energy < loud) return NaN;
    const s = f * hop;
    const r = (lag: number) => {
      let xy = 0, xx = 0, yy = 0;
      for (let i = s; i < s + frame; i++) {
        xy += x[i] * x[i + lag];
        xx += x[i] * x[i];
        yy += x[i + lag] * x[i + lag];
      }
      return xy / Math.sqrt(xx * yy + 1e-20);
    };
    const rs: number[] = [];
    for (let lag = minLag - 1; lag <= maxLag + 1; lag++) rs[lag] = r(lag);
    let best = minLag;
    for (let lag = minLag; lag <= maxLag; lag++) if (rs[lag] > rs[best]) best = lag;
    if (rs[best] < 0.8) return NaN;
    const [a, b, c] = [rs[best - 1], rs[best], rs[best + 1]];
    return SR / (best + (0.5 * (a - c)) / (a - 2 * b + c));
  });
}

export interface CorpusClip {
  readonly path: string;
  readonly corpus: string;
  readonly gender: string;
  readonly samples: Float32Array;
}

/**
 * The first `perCorpus` files of each corpus in manifest.csv that `accept` takes, decoded to 16 kHz
 * mono, in manifest order. `accept` says what a valid sample is for the measurement at hand (e.g.
 * enough voiced frames for an F0 median); corpora whose files are short single words need it.
 */
export async function corpusClips(perCorpus = 1, accept: (clip: CorpusClip) => boolean = () => true): Promise<CorpusClip[]> {
  const text = readFileSync(path.join(corporaDir(), 'manifest.csv'), 'utf8');
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const cols = header.split(',');
  const [p, c, g] = ['path', 'corpus', 'gender'].map((name) => cols.indexOf(name));
  const byCorpus = new Map<string, { path: string; corpus: string; gender: string }[]>();
  for (const line of lines) {
    const f = line.split(',');
    const rows = byCorpus.get(f[c]) ?? [];
    rows.push({ path: f[p], corpus: f[c], gender: f[g] });
    byCorpus.set(f[c], rows);
  }
  const perCorpusClips = await Promise.all(
    [...byCorpus.values()].map(async (rows) => {
      const taken: CorpusClip[] = [];
      for (const r of rows) {
        if (taken.length >= perCorpus) break;
        const clip = { ...r, samples: await decodeAudioFile(path.join(corporaDir(), r.path)) };
        if (accept(clip)) taken.push(clip);
      }
      return taken;
    }),
  );
  return perCorpusClips.flat();
}
