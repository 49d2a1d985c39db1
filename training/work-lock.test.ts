import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../test/cli.js';
import { corporaDir } from '../test/corpora.js';
import { lockWorkDir, WORK_LOCK_FILE, WorkDirBusy } from './work-lock.js';

const root = await mkdtemp(join(tmpdir(), 'undertone-worklock-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describe('lockWorkDir', () => {
  it('refuses a second claim while the holder lives, naming it, and allows one after release', async () => {
    const dir = join(root, 'a');
    const release = await lockWorkDir(dir);
    // Another live process holds it: write a live pid other than ours (our parent, vitest's runner).
    await writeFile(join(dir, WORK_LOCK_FILE), `${process.ppid}\n`);
    await expect(lockWorkDir(dir)).rejects.toThrow(WorkDirBusy);
    await expect(lockWorkDir(dir)).rejects.toThrow(`in use by another undertone train (pid ${process.ppid})`);
    await writeFile(join(dir, WORK_LOCK_FILE), `${process.pid}\n`);
    await release();
    expect(existsSync(join(dir, WORK_LOCK_FILE))).toBe(false);
    const again = await lockWorkDir(dir);
    await again();
  });

  it('takes over a lock left by a process that died', async () => {
    const dir = join(root, 'b');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(dead.stdout);
    expect(pid).toBeGreaterThan(0);
    await lockWorkDir(dir).then((r) => r());
    await writeFile(join(dir, WORK_LOCK_FILE), `${pid}\n`);
    const release = await lockWorkDir(dir);
    await release();
  });
});

describe('undertone train with a work folder another run holds', () => {
  it('exits 2 naming the folder and the holder, before any work', async () => {
    const work = join(root, 'busy');
    await lockWorkDir(work);
    await writeFile(join(work, WORK_LOCK_FILE), `${process.pid}\n`); // this test process: alive
    const run = await runCli(['train', '--corpus', 'savee', '--max-per-speaker', '2', '--epochs', '1', '--work', work, '--out', join(root, 'model'), '--report', join(root, 'report')], {
      UNDERTONE_CACHE: join(root, 'cache'),
      UNDERTONE_CORPORA: corporaDir(),
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`undertone train: work folder ${work} is in use by another undertone train (pid ${process.pid}); give each run its own --work`);
    expect(run.stderr).not.toMatch(/features \(/);
    expect(existsSync(join(root, 'model'))).toBe(false);
  }, 60_000);
});
