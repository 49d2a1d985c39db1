/** Format detection by content (sniff.ts), on real files made by ffmpeg from a corpus clip. */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import CodecParser, { type CodecFrame } from 'codec-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFile, sampleRows } from '../../test/corpora.js';
import { ffmpeg, referenceWav } from '../../test/transcode.js';
import { AudioInputError } from '../errors.js';
import { decodeAudioFile } from './decode-file.js';
import { id3v2Length, mpegFrameLength, sniffAudioFormat } from './sniff.js';

const dir = mkdtempSync(path.join(tmpdir(), 'undertone-sniff-'));
let ref: string;
const made: Record<string, string> = {};

beforeAll(async () => {
  ref = await referenceWav(corpusFile(sampleRows()[0]), dir, 'ref.wav');
  const formats: [string, string[]][] = [
    ['x.mp3', ['-c:a', 'libmp3lame']],
    ['x.flac', []],
    ['x.ogg', ['-c:a', 'libvorbis']],
    ['x.opus', ['-c:a', 'libopus']],
    ['x.oga', ['-c:a', 'flac', '-f', 'ogg']],
  ];
  for (const [name, args] of formats) {
    made[name] = path.join(dir, name);
    ffmpeg('-i', ref, ...args, made[name]);
  }
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sniffAudioFormat', () => {
  it('names each format from its bytes', () => {
    const want: Record<string, string> = { 'x.mp3': 'mp3', 'x.flac': 'flac', 'x.ogg': 'ogg-vorbis', 'x.opus': 'ogg-opus', 'x.oga': 'ogg-flac' };
    for (const [name, file] of Object.entries(made)) expect(sniffAudioFormat(readFileSync(file)), name).toBe(want[name]);
    expect(sniffAudioFormat(readFileSync(ref))).toBe('wav');
    expect(sniffAudioFormat(new TextEncoder().encode('path,emotion\nx.wav,angry\n'))).toBeUndefined();
    expect(sniffAudioFormat(new Uint8Array(0))).toBeUndefined();
  });

  it('decodes by content whatever the name says', async () => {
    for (const [from, to] of [
      ['x.mp3', 'really-an-mp3.wav'],
      ['x.flac', 'no-extension'],
      ['x.ogg', 'vorbis.opus'],
    ]) {
      copyFileSync(made[from], path.join(dir, to));
      expect(Array.from(await decodeAudioFile(path.join(dir, to)))).toEqual(Array.from(await decodeAudioFile(made[from])));
    }
  });

  it('sees past an ID3v2 tag (syncsafe size, as ffmpeg writes it before MP3 frames)', () => {
    const bytes = readFileSync(made['x.mp3']);
    const n = id3v2Length(bytes);
    expect(String.fromCharCode(...bytes.subarray(0, 3))).toBe('ID3');
    expect(bytes[n]).toBe(0xff);
    expect(bytes[n + 1] & 0xe0).toBe(0xe0);
  });

  it('refuses an Ogg stream of a codec we do not decode, saying so', async () => {
    const bytes = new Uint8Array(readFileSync(made['x.ogg']));
    const at = Buffer.from(bytes).indexOf('\x01vorbis', 0, 'latin1');
    bytes.set(new TextEncoder().encode('\x80theora'), at);
    const p = path.join(dir, 'video.ogv');
    writeFileSync(p, bytes);
    const err = await decodeAudioFile(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioInputError);
    expect((err as Error).message).toBe(`${p}: Ogg file of a codec we do not decode (expected Opus, Vorbis or FLAC)`);
  });
});

describe('mpegFrameLength agrees with codec-parser on every frame of real MP3s', () => {
  // MPEG-1 (32/44.1/48 kHz), MPEG-2 (16/22.05/24 kHz) and MPEG-2.5 (8/11.025 kHz), CBR and VBR.
  const cases: [string, string[]][] = [
    ['48000', ['-ar', '48000', '-b:a', '128k']],
    ['44100', ['-ar', '44100', '-q:a', '4']],
    ['32000', ['-ar', '32000', '-b:a', '64k']],
    ['24000', ['-ar', '24000', '-b:a', '48k']],
    ['16000', ['-ar', '16000', '-q:a', '6']],
    ['11025', ['-ar', '11025', '-b:a', '24k']],
    ['8000', ['-ar', '8000', '-b:a', '16k']],
  ];
  for (const [rate, args] of cases) {
    it(`${rate} Hz`, () => {
      const file = path.join(dir, `rate-${rate}.mp3`);
      ffmpeg('-i', ref, '-c:a', 'libmp3lame', ...args, file);
      const bytes = new Uint8Array(readFileSync(file));
      const frames = [...new CodecParser<CodecFrame>('audio/mpeg', { enableLogging: false }).parseAll(bytes)];
      expect(frames.length).toBeGreaterThan(10);
      let pos = id3v2Length(bytes);
      for (const f of frames) {
        expect(mpegFrameLength(bytes, pos)).toBe(f.data.length);
        pos += f.data.length;
      }
    });
  }
});
