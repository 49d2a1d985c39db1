/**
 * finetune.py on a tiny real fold: four RAVDESS actors' clips (trimmed as dump-pcm writes them),
 * the real mn04 checkpoint, one step. What it must keep: the log-mel cache has one frame per
 * 10 ms of each clip, and the logits written for a later distillation cover the fold's training
 * and validation clips and never a test clip.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../core/audio/decode-file.js';
import { corpusFile, manifestRows } from '../../test/corpora.js';
import { trimSilence } from '../features/trim.js';
import { PYTHON } from '../python.js';

const SCRIPT = fileURLToPath(new URL('./finetune.py', import.meta.url));

describe('finetune.py on a tiny fold', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'finetune-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('probes, then fine-tunes mn04 for one step each, and writes logits for training and validation clips only', async () => {
    const speakers = ['ravdess-01', 'ravdess-02', 'ravdess-03', 'ravdess-04'];
    const rows = speakers.flatMap((s) => manifestRows().filter((r) => r.speaker === s).slice(0, 6));
    expect(rows).toHaveLength(24);
    const clips = [];
    const parts: Int16Array[] = [];
    let offset = 0;
    for (const r of rows) {
      const audio = trimSilence(await decodeAudioFile(corpusFile(r)));
      const pcm = Int16Array.from(audio, (v) => Math.round(Math.max(-1, Math.min(1, v)) * 32767));
      parts.push(pcm);
      clips.push({ source: r.path, corpus: r.corpus, speaker: r.speaker, emotion: r.emotion, offset, samples: pcm.length });
      offset += pcm.length;
    }
    writeFileSync(path.join(dir, 'pcm.i16'), Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
    writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ sampleRate: 16000, clips }));
    const fold = { name: 'tiny', group: 'nested', train: speakers.slice(0, 2), validation: [speakers[2]], test: [speakers[3]] };
    writeFileSync(path.join(dir, 'plan.json'), JSON.stringify({ folds: [fold] }));

    const run = spawnSync(
      PYTHON,
      [SCRIPT, '--plan', path.join(dir, 'plan.json'), '--dir', dir, '--probe-epochs', '1', '--epochs', '1', '--steps', '1', '--batch', '4', '--tag', 't'],
      { encoding: 'utf8', timeout: 240_000 },
    );
    expect(run.status, run.stderr.split('\n').slice(-15).join('\n')).toBe(0);
    expect(run.stdout).toMatch(/tiny .*chose epoch [12] \(validation UAR [01]\.\d{3}\); test UAR [01]\.\d{3}/);

    // Log-mel cache: EfficientAT's hop of 320 at 32 kHz, centred, after a pre-emphasis that drops one sample.
    const mel = JSON.parse(readFileSync(path.join(dir, 'logmel.json'), 'utf8')) as { frames: number[] };
    expect(mel.frames).toEqual(clips.map((c) => Math.floor((2 * c.samples - 1) / 320) + 1));
    expect(statSync(path.join(dir, 'logmel.f16')).size).toBe(128 * 2 * mel.frames.reduce((a, b) => a + b, 0));

    const results = JSON.parse(readFileSync(path.join(dir, 'finetune', 't', 'results.json'), 'utf8')) as {
      folds: Record<string, { n: number[]; epoch: number; val_uar: number; test_uar: number }>;
    };
    expect(results.folds.tiny.n).toEqual([12, 6, 6]);
    expect([1, 2]).toContain(results.folds.tiny.epoch); // the linear probe's epoch or the fine-tuned one, by validation UAR
    for (const v of [results.folds.tiny.val_uar, results.folds.tiny.test_uar]) expect(v).toBeGreaterThanOrEqual(0), expect(v).toBeLessThanOrEqual(1);

    const soft = JSON.parse(readFileSync(path.join(dir, 'finetune', 't', 'tiny.json'), 'utf8')) as {
      labels: string[];
      sources: string[];
      logits: number[][];
      parts: string[];
    };
    const bySpeaker = (ss: string[]) => clips.filter((c) => ss.includes(c.speaker)).map((c) => c.source);
    expect(soft.sources).toEqual([...bySpeaker(fold.train), ...bySpeaker(fold.validation)]);
    expect(soft.sources.some((s) => bySpeaker(fold.test).includes(s))).toBe(false);
    expect(soft.parts.filter((p) => p === 'validation')).toHaveLength(6);
    expect(soft.logits.every((row) => row.length === soft.labels.length && row.every(Number.isFinite))).toBe(true);
  }, 300_000);
});
