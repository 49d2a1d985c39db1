/**
 * One `undertone train` per work folder. Two runs given the same --work write the same bundle and
 * fit files under it and train on each other's features and labels: measured 2026-12-02, a
 * wideband and a narrowband run side by side with one --work both sat at chance (validation UAR
 * 13-19 % after 20 epochs) without an error. So a run claims its folder with a lock file holding
 * its pid; a second run is refused while that process lives, and a lock left by a run that died
 * is taken over.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const WORK_LOCK_FILE = '.undertone-train.lock';

export class WorkDirBusy extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`work folder ${dir} is in use by another undertone train (pid ${pid}); give each run its own --work`);
    this.name = 'WorkDirBusy';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid a lock file names (NaN when it is gone or unreadable). */
async function holderOf(path: string): Promise<number> {
  return Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
}

/** Claims `dir` for this process; resolves with the release. Throws WorkDirBusy while another live process holds it. */
export async function lockWorkDir(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, WORK_LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return async () => {
        if ((await holderOf(path)) === process.pid) await rm(path, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = await holderOf(path);
      if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) throw new WorkDirBusy(dir, holder);
      await rm(path, { force: true }); // left by a run that died (or unreadable): take it over
    }
  }
  throw new Error(`could not claim ${path}`);
}
