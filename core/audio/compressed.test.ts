/**
 * The compressed-format decoders against ffmpeg's own decoding of the same real files (corpus
 * speech transcoded by ffmpeg): FLAC sample for sample at every common rate (it is lossless), and
 * the damaged-file checks on each format.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFile, manifestRows } from '../../test/corpora.js';
import { ffmpeg, referenceWav } from '../../test/transcode.js';
import { AudioInputError } from '../errors.js';
import { decodeFlac, decodeMp3, decodeOggVorbis } from './compressed.js';

const dir = mkdtempSync(path.join(tmpdir(), 'undertone-compressed-'));
let ref: string;
/** A 4.14 s clip whose last FLAC frame at 22.05 kHz codec-parser left behind (1376 of 91232 samples). */
let lastFrameRef: string;

beforeAll(async () => {
  // A clip whose length is not a multiple of any FLAC block size at these rates.
  const row = manifestRows().find((r) => r.durationS >= 4)!;
  ref = await referenceWav(corpusFile(row), dir, 'ref.wav');
  const lost = manifestRows().find((r) => r.path === 'ravdess/05/03-01-08-02-01-01-05.opus')!;
  lastFrameRef = await referenceWav(corpusFile(lost), dir, 'last-frame-ref.wav');
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** ffmpeg's decoding of a file as 16-bit samples of its first channel. */
function ffmpegSamples(file: string): Int16Array {
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 's16le', '-ac', '1', '-']);
  return new Int16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
}

describe('decodeFlac equals ffmpeg sample for sample', () => {
  for (const rate of [8000, 11025, 16000, 22050, 44100, 48000]) {
    it(`${rate} Hz, native and in Ogg (the last, shorter frame included)`, async () => {
      for (const [name, source, args, format] of [
        [`r${rate}.flac`, ref, [], 'FLAC'],
        [`r${rate}.oga`, ref, ['-c:a', 'flac', '-f', 'ogg'], 'Ogg FLAC'],
        [`last-frame-r${rate}.flac`, lastFrameRef, [], 'FLAC'],
      ] as const) {
        const file = path.join(dir, name);
        ffmpeg('-i', source, '-ar', String(rate), '-sample_fmt', 's16', ...args, file);
        const want = ffmpegSamples(file);
        const got = await decodeFlac(readFileSync(file), file, format);
        expect(got.sampleRate).toBe(rate);
        expect(got.channelData[0].length, name).toBe(want.length);
        let diffs = 0;
        for (let i = 0; i < want.length; i++) if (Math.round(got.channelData[0][i] * 32768) !== want[i]) diffs++;
        expect(diffs, name).toBe(0);
      }
    });
  }
});

describe('MP3 and Ogg Vorbis: the length ffmpeg decodes, and errors naming the file', () => {
  it('MP3 (gapless: encoder delay and padding removed) and Vorbis (granule position) give ffmpeg\'s length', async () => {
    const mp3 = path.join(dir, 'x.mp3');
    ffmpeg('-i', ref, '-c:a', 'libmp3lame', '-b:a', '64k', mp3);
    const ogg = path.join(dir, 'x.ogg');
    ffmpeg('-i', ref, '-c:a', 'libvorbis', ogg);
    expect((await decodeMp3(readFileSync(mp3), mp3)).channelData[0].length).toBe(ffmpegSamples(mp3).length);
    expect((await decodeOggVorbis(readFileSync(ogg), ogg)).channelData[0].length).toBe(ffmpegSamples(ogg).length);
  });

  it('states what the header promised and what the file holds', async () => {
    const flac = path.join(dir, 'r16000.flac');
    const bytes = readFileSync(flac);
    const err = await decodeFlac(bytes.subarray(0, bytes.length - 2000), 'cut.flac').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioInputError);
    expect((err as Error).message).toMatch(/^cut\.flac: truncated or damaged FLAC file: header says \d+ samples \([\d.]+ s\), file holds \d+ \([\d.]+ s\)$/);
    // Cut anywhere (metadata, frame header, frame body): an AudioInputError naming the file, never
    // a crash and never audio that passes for whole; a trailing ID3v1 tag is not audio.
    for (let k = 1; k < 24; k++) {
      const at = Math.round((bytes.length * k) / 24) - (k % 3);
      const e = await decodeFlac(bytes.subarray(0, at), 'cut.flac').catch((x: unknown) => x);
      expect(e, `cut at ${at} of ${bytes.length}`).toBeInstanceOf(AudioInputError);
      expect((e as Error).message).toMatch(/^cut\.flac: (truncated|corrupt|FLAC file holds no whole audio frame)/);
    }
    expect((await decodeFlac(bytes.subarray(0, 30), 'cut.flac').catch((x: unknown) => x)) as Error).toHaveProperty('message', 'cut.flac: truncated FLAC file (its metadata blocks run past the end)');
    const tagged = Buffer.concat([bytes, Buffer.from('TAG'), Buffer.alloc(125)]);
    expect((await decodeFlac(tagged, 'tagged.flac')).channelData[0]).toEqual((await decodeFlac(bytes, 'r16000.flac')).channelData[0]);
    const mp3 = readFileSync(path.join(dir, 'x.mp3'));
    const cut = await decodeMp3(mp3.subarray(0, mp3.length - 100), 'cut.mp3').catch((e: unknown) => e);
    expect((cut as Error).message).toMatch(/^cut\.mp3: truncated MP3 file: frame \d+ is cut after \d+ of its \d+ bytes$/);
  });
});
