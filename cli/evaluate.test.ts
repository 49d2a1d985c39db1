/** `undertone evaluate` on a hand-made manifest of real corpus files, through the built CLI. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../test/cli.js';
import { corporaDir, corpusFile, manifestRows } from '../test/corpora.js';
import { referenceWav, sox } from '../test/transcode.js';

describe('undertone evaluate', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'undertone-eval-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('evaluates any manifest-format set, skipping and counting unknown labels, and prints the JSON fields', async () => {
    const rows = manifestRows();
    const pick = ['angry', 'sad', 'happy', 'neutral'].flatMap((e) => rows.filter((r) => r.corpus === 'ravdess' && r.emotion === e).slice(0, 2));
    const lines = ['path,corpus,speaker,gender,emotion,duration_s', ...pick.map((r) => [r.path, r.corpus, r.speaker, r.gender, r.emotion, r.durationS].join(','))];
    lines.push(`${pick[0].path},ravdess,${pick[0].speaker},male,bored,3.0`);
    const manifest = path.join(dir, 'set.csv');
    writeFileSync(manifest, lines.join('\n') + '\n');
    const r = await runCli(['evaluate', '--manifest', manifest, '--root', corporaDir(), '--json', '--report', path.join(dir, 'report')]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    for (const key of ['accuracy', 'uar', 'macroF1', 'perClass', 'confusion', 'n']) expect(out).toHaveProperty(key);
    expect(out.n).toBe(8);
    expect(r.stderr).toMatch(/skipped \(unknown emotion "bored"\)/);
    const diag = out.confusion.labels.reduce((s: number, _: string, i: number) => s + out.confusion.matrix[i][i], 0);
    expect(out.accuracy).toBeCloseTo(diag / 8, 10);
    expect(out.perClass.angry.support).toBe(2);
    expect(existsSync(path.join(dir, 'report', 'evaluation.md'))).toBe(true);
  });

  it('--held-out --channel: the test speakers of the shipped split, through the simulated telephone line', async () => {
    const rows = manifestRows().filter((r) => r.corpus === 'ravdess');
    const speakers = [...new Set(rows.map((r) => r.speaker))].slice(0, 6);
    const pick = speakers.flatMap((s) => rows.filter((r) => r.speaker === s && ['angry', 'sad'].includes(r.emotion)).slice(0, 2));
    const manifest = path.join(dir, 'six.csv');
    writeFileSync(manifest, ['path,corpus,speaker,gender,emotion,duration_s', ...pick.map((r) => [r.path, r.corpus, r.speaker, r.gender, r.emotion, r.durationS].join(','))].join('\n') + '\n');
    const report = path.join(dir, 'phone');
    const r = await runCli(['evaluate', '--manifest', manifest, '--root', corporaDir(), '--held-out', '--channel', 'g711-mulaw', '--json', '--report', report]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    // Six speakers: one held out for test (round(6 x 0.17)), two files of it.
    expect(out.n).toBe(2);
    expect(out.channel).toBe('g711-mulaw');
    const md = readFileSync(path.join(report, 'evaluation-g711-mulaw.md'), 'utf8');
    expect(md).toMatch(/through a telephone channel \(g711-mulaw\)/);
    expect(md).toMatch(/Held-out test speakers of manifest/);
    const bad = await runCli(['evaluate', '--manifest', manifest, '--channel', 'g729']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--channel must be one of g711-mulaw, g711-alaw, g711-mulaw-bp, g711-alaw-bp/);
  });

  it('a dual-channel call: rows naming a channel, and --split-channels, evaluate each party as its own session', async () => {
    const rows = manifestRows().filter((r) => r.corpus === 'ravdess');
    const angry = rows.find((r) => r.emotion === 'angry' && r.gender === 'male')!;
    const sad = rows.find((r) => r.emotion === 'sad' && r.gender === 'female')!;
    const a = await referenceWav(corpusFile(angry), dir, 'party-a.wav');
    const b = await referenceWav(corpusFile(sad), dir, 'party-b.wav');
    const call = path.join(dir, 'call.wav');
    sox('-M', a, b, call); // float WAVs in, float stereo out: each channel holds its party's samples
    const csv = (name: string, lines: string[]) => {
      const p = path.join(dir, name);
      writeFileSync(p, ['path,emotion,channel', ...lines].join('\n') + '\n');
      return p;
    };
    const evaluate = async (manifest: string, ...flags: string[]) => {
      const r = await runCli(['evaluate', '--manifest', manifest, '--json', ...flags]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    const alone = await evaluate(csv('alone.csv', ['party-a.wav,angry,', 'party-b.wav,sad,']));
    const byChannel = await evaluate(csv('by-channel.csv', ['call.wav,angry,0', 'call.wav,sad,1']));
    expect(alone.n).toBe(2);
    expect(byChannel.n).toBe(2);
    expect(byChannel.confusion).toEqual(alone.confusion);
    expect(byChannel.window).toEqual(alone.window);
    // --split-channels on a row without a channel: both channels, each with the row's label.
    const split = await evaluate(csv('split.csv', ['call.wav,angry,']), '--split-channels');
    expect(split.n).toBe(2);
    const averaged = await evaluate(csv('averaged.csv', ['call.wav,angry,']));
    expect(averaged.n).toBe(1);
    const wrong = await runCli(['evaluate', '--manifest', csv('wrong.csv', ['call.wav,angry,2']), '--json']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`${call}: the manifest names channel 2, the file has 2`);
  });

  it('names the manifest when it cannot be read', async () => {
    const r = await runCli(['evaluate', '--manifest', path.join(dir, 'nope.csv')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nope\.csv: cannot read manifest/);
  });
});
