/**
 * unseen_temperature.py on CV fold results whose scores are over-confident by a known amount:
 * each window's true class is drawn from a calibrated distribution q and the stored score is q
 * sharpened to softmax(3 log q), so a second temperature near 3 makes them honest again. The
 * script must find it on the --fit folds, and the ECE it prints for the --apply folds (not used to
 * fit) must fall; a folder without fold results is named. Runs Debian's /usr/bin/python3.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../augment/rng.js';
import { fitScript, PYTHON } from '../python.js';

const dir = mkdtempSync(path.join(tmpdir(), 'undertone-unseen-t-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CLASSES = 4;
const SHARPEN = 3;

/** One fold result with `windows` windows, one clip each, as train_split.py stores them. */
function writeFold(folder: string, fold: string, windows: number, rng: Rng): void {
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(1e-9, rng.next()))) * Math.cos(2 * Math.PI * rng.next());
  const prob: number[][] = [];
  const clips: { truth: number }[] = [];
  for (let w = 0; w < windows; w++) {
    const cue = Math.floor(rng.next() * CLASSES);
    const logits = Array.from({ length: CLASSES }, (_, c) => gauss() + (c === cue ? 1.5 : 0));
    const q = softmax(logits, 1);
    let u = rng.next();
    let truth = 0;
    while (truth < CLASSES - 1 && u > q[truth]) u -= q[truth++];
    prob.push(softmax(logits, 1 / SHARPEN));
    clips.push({ truth });
  }
  const clip = clips.map((_, k) => k);
  const result = { fold, test: { file: { window_prob: prob, window_clip: clip }, session: { window_prob: prob, window_clip: clip } }, test_clips: clips };
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, `${fold}.json`), JSON.stringify(result));
}

function softmax(logits: readonly number[], temperature: number): number[] {
  const top = Math.max(...logits);
  const e = logits.map((z) => Math.exp((z - top) / temperature));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

const run = (...args: string[]) => spawnSync(PYTHON, [fitScript('unseen_temperature.py'), ...args], { encoding: 'utf8' });

describe('unseen_temperature.py', () => {
  it('fits the temperature that undoes a known over-confidence and lowers the ECE of folds it did not fit on', () => {
    const rng = new Rng(11);
    const fit = path.join(dir, 'cv-fit');
    const apply = path.join(dir, 'cv-apply');
    writeFold(fit, 'a', 3000, rng);
    writeFold(fit, 'b', 3000, rng);
    writeFold(apply, 'c', 3000, rng);
    const out = run('--fit', fit, '--apply', apply);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    const t2 = Number(/T2 = ([\d.]+), fitted on 6000 file-mode windows of 2 folds/.exec(out.stdout)?.[1]);
    expect(t2).toBeGreaterThan(SHARPEN * 0.85);
    expect(t2).toBeLessThan(SHARPEN * 1.15);
    const mean = /\| cv-apply \| \*\*mean of 1 folds\*\* \(not used to fit\) \| \| \*\*([\d.]+)\*\* \| \*\*([\d.]+)\*\* \|/.exec(out.stdout);
    expect(mean).not.toBeNull();
    const [before, after] = [Number(mean![1]), Number(mean![2])];
    expect(before).toBeGreaterThan(10);
    expect(after).toBeLessThan(before / 3);
  });

  it('names a folder that holds no fold results', () => {
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    const out = run('--fit', empty, '--apply', empty);
    expect(out.status).not.toBe(0);
    expect(out.stderr).toContain(`${empty}: no fold results`);
  });
});
