/** `undertone predict` on real corpus files and on bad files, through the built CLI. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../core/audio/decode-file.js';
import { encodeWav } from '../core/audio/wav.js';
import { labelPoints } from '../core/model/window.js';
import { runCli } from '../test/cli.js';
import { corpusFile, manifestRows } from '../test/corpora.js';

const rows = manifestRows();
const ravdess = rows.find((r) => r.corpus === 'ravdess' && r.emotion === 'angry')!;
const savee = rows.find((r) => r.corpus === 'savee' && r.durationS > 4)!;

describe('undertone predict', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'undertone-predict-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a per-second timeline and an overall label for Ogg Opus and WAV files', async () => {
    // The same audio as a stereo float WAV: predict must downmix it to the same samples.
    const samples = await decodeAudioFile(corpusFile(ravdess));
    const wav = path.join(dir, 'stereo.wav');
    const stereo = new Float32Array(samples.length * 2);
    samples.forEach((v, i) => ((stereo[2 * i] = v), (stereo[2 * i + 1] = v)));
    writeFileSync(wav, encodeWav(stereo, 16000, 2, 'float32'));
    const r = await runCli(['predict', '--json', corpusFile(ravdess), corpusFile(savee), wav]);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(out).toHaveLength(3);
    const model = JSON.parse(await readFile(path.join(path.dirname(path.dirname(new URL(import.meta.url).pathname)), 'models/model.json'), 'utf8'));
    for (const [i, file] of [corpusFile(ravdess), corpusFile(savee)].entries()) {
      const p = out[i];
      expect(p.file).toBe(file);
      const n = (await decodeAudioFile(file)).length;
      // One entry per label point of the server's schedule: every second plus the partial last one.
      expect(p.timeline.map((e: { second: number }) => e.second)).toEqual(labelPoints(n).map((x) => x.second));
      const voiced = p.timeline.filter((e: { voiced: boolean }) => e.voiced);
      expect(voiced.length).toBeGreaterThan(0);
      for (const e of voiced) {
        expect(model.labels).toContain(e.label);
        const sum = Object.values(e.scores as Record<string, number>).reduce((a, b) => a + b, 0);
        expect(sum).toBeCloseTo(1, 4);
        expect(e.scores[e.label]).toBe(Math.max(...(Object.values(e.scores) as number[])));
      }
      for (const e of p.timeline.filter((e: { voiced: boolean }) => !e.voiced)) expect(e.label).toBeUndefined();
      expect(model.labels).toContain(p.label);
    }
    // WAV copy of the RAVDESS file: the same timeline (16 kHz float WAV is lossless here).
    expect(out[2].timeline.length).toBe(out[0].timeline.length);
    out[0].timeline.forEach((e: { scores?: Record<string, number> }, k: number) => {
      if (!e.scores) return;
      for (const [l, v] of Object.entries(e.scores)) expect(Math.abs(out[2].timeline[k].scores[l] - v)).toBeLessThan(1e-4);
    });
  });

  it('reports each bad file on one line naming it, exits non-zero, and still predicts the good ones', async () => {
    const missing = path.join(dir, 'missing.wav');
    const text = path.join(dir, 'notes.txt');
    writeFileSync(text, 'this is not audio\n');
    const empty = path.join(dir, 'empty.wav');
    writeFileSync(empty, '');
    const truncated = path.join(dir, 'truncated.wav');
    writeFileSync(truncated, encodeWav(new Float32Array(1600), 16000).subarray(0, 20));
    const r = await runCli(['predict', missing, text, corpusFile(ravdess), empty, truncated]);
    expect(r.code).toBe(1);
    const errors = r.stderr.trim().split('\n');
    expect(errors).toHaveLength(5);
    expect(errors[4]).toMatch(/^undertone predict: summary: 1 of 5 files analysed, 4 failed; /);
    expect(errors[0]).toMatch(new RegExp(`missing\\.wav: no such file`));
    expect(errors[1]).toMatch(/notes\.txt: not a supported audio file/);
    expect(errors[2]).toMatch(/empty\.wav: empty file/);
    expect(errors[3]).toMatch(/truncated\.wav: truncated/);
    expect(r.stdout).toContain(corpusFile(ravdess));
    expect(r.stdout).toMatch(/^\s+1\s/m);
  });

  it('refuses a model whose feature config differs from the code, with a clear message', async () => {
    const modelDir = path.join(dir, 'bad-model');
    const { mkdir, copyFile } = await import('node:fs/promises');
    await mkdir(modelDir);
    const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
    await copyFile(path.join(root, 'models/model.onnx'), path.join(modelDir, 'model.onnx'));
    const meta = JSON.parse(await readFile(path.join(root, 'models/model.json'), 'utf8'));
    meta.featureConfig = { ...meta.featureConfig, melBands: 64 };
    writeFileSync(path.join(modelDir, 'model.json'), JSON.stringify(meta));
    const r = await runCli(['predict', '--model', modelDir, corpusFile(ravdess)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/feature config mismatch/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
