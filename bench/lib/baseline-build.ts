/**
 * A git revision of this project built beside the checkout, for benches that compare the working
 * tree with a release: `git worktree add --detach` into a temporary folder named after the commit,
 * this checkout's node_modules symlinked into it (the same installed packages: only our code
 * differs), `npm run build` there. A folder already built for the same commit is reused, so a
 * bench run under the heavy-job lock need not spend it compiling (build it once beforehand with
 * `--keep-baseline`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../server/process/paths.js';

export interface BaselineBuild {
  /** The revision as given, and the commit it names. */
  readonly ref: string;
  readonly commit: string;
  /** The worktree folder and its built CLI. */
  readonly dir: string;
  readonly cli: string;
  /** Unregisters and deletes the worktree. */
  remove(): void;
}

function git(args: readonly string[], cwd = PROJECT_ROOT): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Builds (or reuses the build of) `ref`; throws naming the ref when it is not a commit or does not build. */
export function buildBaseline(ref: string, log: (line: string) => void = console.log): BaselineBuild {
  let commit: string;
  try {
    commit = git(['rev-parse', '--verify', `${ref}^{commit}`]);
  } catch {
    throw new Error(`--baseline ${ref}: not a commit of this repository`);
  }
  const dir = path.join(tmpdir(), `undertone-baseline-${commit.slice(0, 12)}`);
  const cli = path.join(dir, 'dist/cli/main.js');
  const remove = (): void => {
    if (existsSync(dir)) git(['worktree', 'remove', '--force', dir]);
  };
  if (existsSync(cli)) {
    log(`baseline ${ref} (${commit.slice(0, 12)}): reusing the build in ${dir}`);
    return { ref, commit, dir, cli, remove };
  }
  if (!existsSync(dir)) git(['worktree', 'add', '--detach', dir, commit]);
  if (!existsSync(path.join(dir, 'node_modules'))) symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  log(`baseline ${ref} (${commit.slice(0, 12)}): npm run build in ${dir}`);
  try {
    execFileSync('npm', ['run', 'build'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (e) {
    const out = e as { stdout?: string; stderr?: string };
    throw new Error(`--baseline ${ref}: npm run build failed in ${dir}:\n${out.stdout ?? ''}${out.stderr ?? ''}`);
  }
  return { ref, commit, dir, cli, remove };
}
