/**
 * What the tracked tree must never hold: corpus audio (licences; the corpora live in
 * ../shared/corpora) and unresolved merge-conflict markers (several branches merge into main);
 * and what the product build (tsconfig.json -> dist/) must never compile: the test kit (test/),
 * benches, tests, or a devDependency.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../server/process/paths.js';

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

  it('builds no test kit, bench, test or devDependency into dist/ (every file tsc -p tsconfig.json compiles or imports)', () => {
    const tsc = path.join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc');
    const files = execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--listFilesOnly'], { cwd: PROJECT_ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f.length > 0)
      .map((f) => path.relative(PROJECT_ROOT, f));
    const own = files.filter((f) => !f.startsWith('node_modules/'));
    expect(own.filter((f) => f.startsWith('server/')).length).toBeGreaterThan(10);
    expect(own.filter((f) => /^(test|bench|dist|dist-bench)\//.test(f) || f.endsWith('.test.ts'))).toEqual([]);
    const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const devOnly = Object.keys(pkg.devDependencies).filter((d) => !d.startsWith('@types/') && d !== 'typescript');
    expect(files.filter((f) => devOnly.some((d) => f.startsWith(`node_modules/${d}/`)))).toEqual([]);
  });
});
