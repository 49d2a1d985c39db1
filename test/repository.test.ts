/**
 * What the tracked tree must never hold: corpus audio (licences; the corpora live in
 * ../shared/corpora) and unresolved merge-conflict markers (several branches merge into main).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../cli/paths.js';

const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: PROJECT_ROOT, encoding: 'utf8' })
  .split('\0')
  .filter((f) => f.length > 0);

describe('the repository', () => {
  it('tracks no audio files', () => {
    expect(tracked.length).toBeGreaterThan(100);
    expect(tracked.filter((f) => /\.(ogg|opus|wav|flac|mp3|m4a|aac|pcm|raw)$/i.test(f))).toEqual([]);
  });

  it('has no merge-conflict markers in tracked text files', () => {
    const marked: string[] = [];
    for (const f of tracked) {
      if (!/\.(ts|mjs|js|json|md|sh|yml|yaml|html|css|py|conf)$/.test(f)) continue;
      const text = readFileSync(path.join(PROJECT_ROOT, f), 'utf8');
      if (/^(<{7}|>{7}) /m.test(text) || /^<{7} |\n={7}\n[\s\S]*\n>{7} /.test(text)) marked.push(f);
    }
    expect(marked).toEqual([]);
  });
});
