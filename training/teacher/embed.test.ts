/**
 * embed.py on three clips with the real mn04 checkpoint. What it must keep: one embedding (384)
 * and one row of AudioSet logits (527) per clip, in index.json's order; a clip longer than one
 * 10 s chunk is averaged over its chunks by length, so a clip that is one 10 s piece twice over
 * gets the piece's own embedding (its 32 kHz version is the piece's twice over too: the spectrum
 * of a repeated signal has only even bins, so the upsampling keeps the repetition).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { concatFloat32 } from '../../core/audio/concat.js';
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import { corpusFile, manifestRows } from '../../test/corpora.js';
import { trimSilence } from '../features/trim.js';
import { PYTHON } from '../python.js';

const SCRIPT = fileURLToPath(new URL('./embed.py', import.meta.url));
const SR = 16000;

/** A .npy file's float32 rows (the header's shape, then little-endian float32 in C order). */
function readNpy(file: string): { shape: number[]; rows: Float32Array[] } {
  const buf = readFileSync(file);
  const headerLength = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + headerLength).toString('latin1');
  expect(header).toContain("'descr': '<f4'");
  const shape = [...header.match(/'shape': \(([^)]*)\)/)![1].matchAll(/\d+/g)].map((m) => Number(m[0]));
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + 10 + headerLength, buf.byteOffset + buf.length));
  return { shape, rows: Array.from({ length: shape[0] }, (_, i) => data.subarray(i * shape[1], (i + 1) * shape[1])) };
}

const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('embed.py', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'embed-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one embedding and one AudioSet row per clip, averaging a long clip over its 10 s chunks', async () => {
    const rows = manifestRows().filter((r) => r.speaker === 'ravdess-05');
    const speech: Float32Array[] = [];
    for (const r of rows.slice(0, 6)) speech.push(trimSilence(await decodeAudioFile(corpusFile(r))));
    const piece = concatFloat32(speech).subarray(0, 10 * SR);
    expect(piece.length).toBe(10 * SR);
    const clips = [
      { name: 'piece', audio: piece },
      { name: 'twice', audio: concatFloat32([piece, piece]) },
      { name: 'short', audio: speech[0] },
    ];
    const index = [];
    const parts: Buffer[] = [];
    let offset = 0;
    for (const c of clips) {
      const pcm = Int16Array.from(c.audio, (v) => Math.round(Math.max(-1, Math.min(1, v)) * 32767));
      parts.push(Buffer.from(pcm.buffer));
      index.push({ source: c.name, corpus: 'ravdess', speaker: 'ravdess-05', emotion: 'neutral', offset, samples: pcm.length });
      offset += pcm.length;
    }
    writeFileSync(path.join(dir, 'pcm.i16'), Buffer.concat(parts));
    writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ sampleRate: SR, clips: index }));

    const run = spawnSync(PYTHON, [SCRIPT, '--dir', dir, '--workers', '1'], { encoding: 'utf8', timeout: 240_000 });
    expect(run.status, run.stderr.split('\n').slice(-15).join('\n')).toBe(0);
    expect(run.stdout).toMatch(/embed: wrote 3 x 384/);

    expect(JSON.parse(readFileSync(path.join(dir, 'emb-sources.json'), 'utf8'))).toEqual(['piece', 'twice', 'short']);
    const emb = readNpy(path.join(dir, 'emb.npy'));
    const audioset = readNpy(path.join(dir, 'audioset.npy'));
    expect(emb.shape).toEqual([3, 384]);
    expect(audioset.shape).toEqual([3, 527]);
    const [piece10, twice, short] = emb.rows;
    expect(emb.rows.every((r) => r.every(Number.isFinite))).toBe(true);
    // Two equal chunks average to the piece itself (float rounding of the upsampling aside)...
    expect(maxDiff(piece10, twice)).toBeLessThan(1e-3 * maxAbs(piece10));
    expect(maxDiff(audioset.rows[0], audioset.rows[1])).toBeLessThan(1e-3 * maxAbs(audioset.rows[0]));
    // ...while other audio does not come out the same.
    expect(maxDiff(piece10, short)).toBeGreaterThan(0.05 * maxAbs(piece10));
  }, 300_000);
});
