import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Label } from '../../core/labels.js';
import { computeMetrics } from './metrics.js';
import { type ReportInput, renderReport, sectionSvgName, writeReport } from './report-md.js';

const labels: Label[] = ['neutral', 'happy', 'sad'];
// Hand-worked in metrics.test.ts: accuracy 60.0, UAR 61.1, macro-F1 60.3;
// neutral P 66.7 R 50.0 F1 57.1 (4), happy P 50.0 R 66.7 F1 57.1 (3), sad 66.7 66.7 66.7 (3).
const utt = computeMetrics(labels, [0, 0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 0, 1, 2, 1, 1, 0, 2, 2, 1]);
// Window level: 4 windows, 3 right → accuracy 75.0; neutral R 1/2, happy R 1 → UAR 75.0;
// neutral P 1 F1 2/3, happy P 2/3 F1 4/5 → macro-F1 (66.7 + 80.0)/2 = 73.3; sad has no windows.
const win = computeMetrics(labels, [0, 0, 1, 1], [0, 1, 1, 1]);
const perfect = computeMetrics(labels, [0, 1, 2], [0, 1, 2]);

function input(): ReportInput {
  return {
    title: 'Undertone evaluation — model v3',
    split: 'Speaker-independent: actors 21–24 held out of training.',
    notes: 'Model `emotion-v3.onnx`, 8 labels.',
    sections: [
      { name: 'RAVDESS', utterance: utt, window: win, svgFile: 'eval-ravdess.svg', notes: 'Speech only, no song.' },
      { name: 'merged', utterance: perfect, svgFile: 'eval merged (all).svg' },
    ],
  };
}

describe('renderReport', () => {
  const md = renderReport(input());
  const lines = md.split('\n');

  it('has the title, the split paragraph and the notes', () => {
    expect(lines[0]).toBe('# Undertone evaluation — model v3');
    expect(md).toContain('## Split\n\nSpeaker-independent: actors 21–24 held out of training.\n');
    expect(md).toContain('Model `emotion-v3.onnx`, 8 labels.');
    expect(md).toContain('## RAVDESS\n\nSpeech only, no song.\n');
  });

  it('has a summary table with one row per section at both levels', () => {
    const header = lines.findIndex((l) => l.startsWith('| Section |'));
    expect(header).toBeGreaterThan(0);
    expect(lines[header]).toBe(
      '| Section | Utt. n | Utt. accuracy % | Utt. UAR % | Utt. macro-F1 % | Win. n | Win. accuracy % | Win. UAR % | Win. macro-F1 % |',
    );
    expect(lines[header + 1]).toBe('| :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    expect(lines[header + 2]).toBe('| RAVDESS | 10 | 60.0 | 61.1 | 60.3 | 4 | 75.0 | 75.0 | 73.3 |');
    expect(lines[header + 3]).toBe('| merged | 3 | 100.0 | 100.0 | 100.0 | — | — | — | — |');
    expect(lines[header + 4]).toBe('');
  });

  it('has per-class tables for each section and level', () => {
    const ravdess = md.slice(md.indexOf('## RAVDESS'), md.indexOf('## merged'));
    expect(ravdess).toContain('### Utterance level');
    expect(ravdess).toContain('| Class | Precision % | Recall % | F1 % | Support |');
    expect(ravdess).toContain('| neutral | 66.7 | 50.0 | 57.1 | 4 |');
    expect(ravdess).toContain('| happy | 50.0 | 66.7 | 57.1 | 3 |');
    expect(ravdess).toContain('| sad | 66.7 | 66.7 | 66.7 | 3 |');
    expect(ravdess).toContain('### Window level');
    expect(ravdess).toContain('| happy | 66.7 | 100.0 | 80.0 | 2 |');
    expect(ravdess).toContain('| sad | 0.0 | — | — | 0 |');
    expect(ravdess).toContain('_No samples of sad: excluded from UAR and macro-F1._');

    const merged = md.slice(md.indexOf('## merged'));
    expect(merged).toContain('| neutral | 100.0 | 100.0 | 100.0 | 1 |');
    expect(merged).not.toContain('### Window level');
  });

  it('links each section to its SVG, URL-encoding the file name', () => {
    expect(md).toContain('![Confusion matrix, RAVDESS, utterance level](eval-ravdess.svg)');
    expect(md).toContain('![Confusion matrix, merged, utterance level](eval%20merged%20%28all%29.svg)');
    // Each link sits inside its own section.
    expect(md.indexOf('(eval-ravdess.svg)')).toBeLessThan(md.indexOf('## merged'));
    expect(md.indexOf('eval%20merged')).toBeGreaterThan(md.indexOf('## merged'));
  });

  it('escapes pipes in table cells', () => {
    const text = renderReport({ ...input(), sections: [{ ...input().sections[1], name: 'a|b' }] });
    expect(text).toContain('| a\\|b | 3 | 100.0 |');
  });
});

describe('sectionSvgName', () => {
  it('makes file-name-safe names', () => {
    expect(sectionSvgName('eval', 'CREMA-D (merged)')).toBe('eval-crema-d-merged.svg');
    expect(sectionSvgName('eval', 'Émotion / Test')).toBe('eval-emotion-test.svg');
    expect(sectionSvgName('eval', '***')).toBe('eval-section.svg');
  });
});

describe('writeReport', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'undertone-report-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the Markdown and one SVG per section and returns their paths', async () => {
    const out = path.join(dir, 'reports');
    const written = await writeReport(out, 'eval', input());
    expect(written.markdown).toBe(path.join(out, 'eval.md'));
    expect(written.svgs).toEqual([path.join(out, 'eval-ravdess.svg'), path.join(out, 'eval merged (all).svg')]);
    expect(await readFile(written.markdown, 'utf8')).toBe(renderReport(input()));
    const svg = await readFile(written.svgs[0], 'utf8');
    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg).toContain('>RAVDESS — utterance level<');
    expect(svg.match(/<rect class='cell'/g)).toHaveLength(9);
    expect((await readdir(out)).sort()).toEqual(['eval merged (all).svg', 'eval-ravdess.svg', 'eval.md']);
  });

  it('refuses SVG paths outside the directory or shared by two sections, writing nothing', async () => {
    const out = path.join(dir, 'reports');
    const bad = (svgFile: string): ReportInput => ({ ...input(), sections: [{ ...input().sections[0], svgFile }] });
    await expect(writeReport(out, 'eval', bad('../escape.svg'))).rejects.toThrow(/inside the report directory/);
    await expect(writeReport(out, 'eval', bad('/tmp/abs.svg'))).rejects.toThrow(/inside the report directory/);
    await expect(writeReport(out, 'eval', bad('no-extension'))).rejects.toThrow(/\.svg/);
    const dup = input();
    await expect(
      writeReport(out, 'eval', { ...dup, sections: [dup.sections[0], { ...dup.sections[1], svgFile: 'eval-ravdess.svg' }] }),
    ).rejects.toThrow(/share/);
    await expect(writeReport(out, 'a/b', input())).rejects.toThrow(/baseName/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(path.join(dir, 'escape.svg'))).toBe(false);
  });
});
