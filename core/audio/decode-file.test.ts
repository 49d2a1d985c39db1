import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { corpusFile, sampleRows } from '../../test/corpora.js';
import { AudioInputError } from '../errors.js';
import { decodeAudioBytes, decodeAudioFile } from './decode-file.js';
import { decodeOggOpus } from './opus.js';
import { resampleAll } from './resample.js';
import { encodeWav } from './wav.js';

let dir: string;
let opusPath: string;
let opusBytes: Uint8Array;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'undertone-decode-'));
  opusPath = corpusFile(sampleRows()[0]);
  opusBytes = new Uint8Array(await readFile(opusPath));
  vi.spyOn(console, 'error').mockImplementation(() => undefined); // opus-decoder logs rejected packets
});

afterAll(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

async function expectInputError(promise: Promise<unknown>, source: string, pattern: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${source} should be refused`).toBeInstanceOf(AudioInputError);
  expect((err as AudioInputError).source).toBe(source);
  expect((err as Error).message.startsWith(`${source}: `)).toBe(true);
  expect((err as Error).message).toMatch(pattern);
}

describe('decodeAudioFile / decodeAudioBytes: errors name the file', () => {
  it('empty file', async () => {
    const p = path.join(dir, 'empty.wav');
    await writeFile(p, new Uint8Array(0));
    await expectInputError(decodeAudioFile(p), p, /empty/);
  });

  it('missing file', async () => {
    const p = path.join(dir, 'does-not-exist.opus');
    await expectInputError(decodeAudioFile(p), p, /no such file/);
  });

  it('a directory', async () => {
    await expectInputError(decodeAudioFile(dir), dir, /directory/);
  });

  it('a text file', async () => {
    const p = path.join(dir, 'notes.wav');
    await writeFile(p, 'path,corpus,speaker\nthis is not audio\n');
    await expectInputError(decodeAudioFile(p), p, /not a supported audio file/);
  });

  it('an Ogg Opus file truncated to its first 100 bytes', async () => {
    const p = path.join(dir, 'truncated.opus');
    await writeFile(p, opusBytes.subarray(0, 100));
    await expectInputError(decodeAudioFile(p), p, /Ogg|Opus/);
  });

  it('an Ogg Opus file cut anywhere either decodes or is an AudioInputError naming it', async () => {
    let refused = 0;
    for (let n = 1; n < opusBytes.length; n += 97) {
      const name = `cut-${n}.opus`;
      try {
        const pcm = await decodeAudioBytes(opusBytes.subarray(0, n), name);
        expect(pcm.every(Number.isFinite)).toBe(true);
      } catch (e) {
        refused++;
        expect(e, name).toBeInstanceOf(AudioInputError);
        expect((e as AudioInputError).source).toBe(name);
      }
    }
    expect(refused).toBeGreaterThan(0);
  });

  it('a WAV file at a rate the resampler does not take', async () => {
    for (const rate of [1000, 250000]) {
      const p = path.join(dir, `rate-${rate}.wav`);
      await writeFile(p, encodeWav(new Float32Array(100), rate));
      await expectInputError(decodeAudioFile(p), p, new RegExp(`sample rate ${rate}`));
    }
  });

  it('a corrupt WAV header', async () => {
    const p = path.join(dir, 'cut.wav');
    await writeFile(p, encodeWav(new Float32Array(100), 16000).subarray(0, 20));
    await expectInputError(decodeAudioFile(p), p, /truncated/);
  });
});

describe('decodeAudioFile: formats by content', () => {
  it('decodes an Ogg Opus file as decodeOggOpus does', async () => {
    const a = await decodeAudioFile(opusPath);
    const b = await decodeOggOpus(opusBytes);
    expect(a.length).toBe(b.length);
    expect(a.every((v, i) => Object.is(v, b[i]))).toBe(true);
  });

  it('decodes a 48 kHz stereo WAV (with a misleading name) to 16 kHz mono', async () => {
    const rate = 48000;
    const frames = rate / 2;
    const interleaved = new Float32Array(frames * 2);
    for (let i = 0; i < frames; i++) {
      interleaved[2 * i] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / rate);
      interleaved[2 * i + 1] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / rate);
    }
    const p = path.join(dir, 'tone.opus');
    await writeFile(p, encodeWav(interleaved, rate, 2, 'float32'));
    const pcm = await decodeAudioFile(p);
    expect(pcm.length).toBe(frames / 3);
    let maxErr = 0;
    for (let i = 200; i < pcm.length - 200; i++) maxErr = Math.max(maxErr, Math.abs(pcm[i] - 0.5 * Math.sin((2 * Math.PI * 440 * i) / 16000)));
    expect(maxErr).toBeLessThan(1e-4);
  });

  it('a 16 kHz WAV comes back sample for sample', async () => {
    const x = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i / 9) * 0.3);
    const pcm = await decodeAudioBytes(encodeWav(x, 16000, 1, 'float32'), 'x.wav');
    expect(Array.from(pcm)).toEqual(Array.from(x));
    expect(Array.from(await decodeAudioBytes(encodeWav(x, 22050, 1, 'float32')))).toEqual(Array.from(resampleAll(x, 22050)));
  });
});
