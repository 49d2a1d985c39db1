import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsvLine, readManifest } from './manifest.js';

describe('manifest reading', () => {
  it('parses quoted CSV cells', () => {
    expect(parseCsvLine('a,"b,c","say ""hi""",')).toEqual(['a', 'b,c', 'say "hi"', '']);
  });

  it('skips and counts rows with unknown emotions, resolves paths against the root', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'undertone-manifest-'));
    const file = path.join(dir, 'm.csv');
    writeFileSync(file, 'path,corpus,speaker,gender,emotion,duration_s\r\nx/a.wav,c,s1,female,angry,1.5\r\nx/b.wav,c,s1,female,bored,2\r\n\r\n,c,s2,male,sad,1\r\n');
    const m = await readManifest(file, '/data');
    expect(m.rows).toHaveLength(1);
    expect(m.rows[0]).toMatchObject({ path: 'x/a.wav', file: '/data/x/a.wav', emotion: 'angry', durationS: 1.5, speaker: 's1' });
    expect(m.skipped).toEqual([{ line: 3, reason: 'unknown emotion "bored"' }, { line: 5, reason: 'empty path' }]);
  });

  it('names the file and the missing column', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'undertone-manifest-'));
    const file = path.join(dir, 'bad.csv');
    writeFileSync(file, 'file,label\na.wav,angry\n');
    await expect(readManifest(file)).rejects.toThrow(/bad\.csv: manifest has no "path" column/);
  });
});
