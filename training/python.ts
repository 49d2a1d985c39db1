/**
 * Runs a script of training/fit/ with Debian's /usr/bin/python3 (python3-torch) and relays the
 * JSON lines it prints (one per event: epoch, fold, ...). Python only fits and exports models;
 * everything that touches audio stays in TypeScript.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's interpreter: the python3 first on PATH may be another one without torch. */
export const PYTHON = process.env.UNDERTONE_PYTHON ?? '/usr/bin/python3';

/** Path of training/fit/NAME in the sources (from dist/training/ go up to the project root). */
export function fitScript(name: string): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const candidate of [join(here, 'fit', name), join(here, '../../training/fit', name)]) if (existsSync(candidate)) return resolve(candidate);
  throw new Error(`training/fit/${name} not found near ${here}`);
}

export async function runPython(script: string, args: readonly string[], onLine: (msg: Record<string, unknown>) => void): Promise<void> {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} not found: install Debian's python3-torch (scripts/ensure-torch.sh)`);
  const path = fitScript(script);
  await new Promise<void>((resolvePromise, reject) => {
    const child = spawn(PYTHON, [path, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let msg: Record<string, unknown> | undefined;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          process.stderr.write(`${script}: ${line}\n`);
        }
        if (msg) onLine(msg);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > 20000) stderr = stderr.slice(-20000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`${script} exited with code ${code}:\n${stderr.trim().split('\n').slice(-15).join('\n')}`));
    });
  });
}
