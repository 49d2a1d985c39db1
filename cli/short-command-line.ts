/**
 * Keeps the process's command line short for onnxruntime.
 *
 * Why: onnxruntime-node 1.30 reads /proc/self/cmdline when it creates a session and recurses over
 * it; a long command line overflows the stack (SIGSEGV inside libonnxruntime). Measured with
 * `undertone predict` on many files: 280 paths (~16 KB) crashed its worker threads (4 MB stacks)
 * and 1000 paths (~55 KB) the main thread, while the same files given as one folder ran. A shell
 * glob over a folder of calls (`undertone predict calls/*.wav`) makes such command lines.
 *
 * So when the arguments are longer than MAX_COMMAND_LINE_BYTES, the command is run by a child
 * process of ours that reads them from a private temporary file: its command line is a few dozen
 * bytes, and the parent only relays the exit status (stdio is shared, signals are forwarded) and
 * deletes the file when the child ends.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';

/** Longest command line run in this process; well under the ~16 KB that crashed a worker thread. */
export const MAX_COMMAND_LINE_BYTES = 4096;
/** The child's only arguments: this flag and the file that holds the real ones (JSON). */
export const ARGUMENTS_FILE_FLAG = '--undertone-arguments-file';

/** Bytes of /proc/self/cmdline for these arguments (each NUL-terminated). */
export function commandLineBytes(argv: readonly string[]): number {
  return argv.reduce((sum, a) => sum + Buffer.byteLength(a) + 1, 0);
}

/**
 * The command's arguments (after `node main.js`): from the arguments file when this process is
 * the relay's child, otherwise from the command line. The file is left in place: `serve`'s
 * cluster workers are forked with this process's own short arguments and read it too; the relay
 * deletes it when the child ends.
 */
export function commandArguments(argv = process.argv): string[] {
  if (argv[2] !== ARGUMENTS_FILE_FLAG) return argv.slice(2);
  const parsed: unknown = JSON.parse(readFileSync(argv[3], 'utf8'));
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`${argv[3]}: not a list of arguments`);
  return parsed;
}

/**
 * In the relay's child: the relay holds an IPC channel open to us, and when it dies (even by
 * SIGKILL) the channel closes; we then end as if we had been sent SIGTERM instead of living on as
 * an orphan. Does nothing in a process the relay did not start.
 */
export function endWithRelay(argv = process.argv): void {
  if (argv[2] !== ARGUMENTS_FILE_FLAG || !process.channel) return;
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

/**
 * When this process's command line is too long for onnxruntime, runs the same command in a child
 * with a short one and resolves with its exit status; otherwise resolves undefined (run it here).
 */
export function relayLongCommandLine(argv = process.argv): Promise<number> | undefined {
  if (argv[2] === ARGUMENTS_FILE_FLAG || commandLineBytes(argv) <= MAX_COMMAND_LINE_BYTES) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'undertone-args-'));
  const file = join(dir, 'arguments.json');
  writeFileSync(file, JSON.stringify(argv.slice(2)), { mode: 0o600 });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, argv[1], ARGUMENTS_FILE_FLAG, file], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
    // Ctrl-C reaches the whole process group, so the child gets it and ends the run; a SIGTERM sent to us alone is passed on.
    const ignore = (): void => undefined;
    const onTerm = (): void => void child.kill('SIGTERM');
    process.on('SIGINT', ignore);
    process.on('SIGTERM', onTerm);
    const done = (code: number): void => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', onTerm);
      rmSync(dir, { recursive: true, force: true });
      resolve(code);
    };
    child.on('error', (e) => {
      process.stderr.write(`undertone: cannot start the command: ${e.message}\n`);
      done(1);
    });
    child.on('exit', (code, signal) => done(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}
