/**
 * Runs the PyTorch fitting step (training/fit.py) with Debian's /usr/bin/python3 and relays its
 * per-epoch progress. Python only fits and exports; everything else stays in TypeScript.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's interpreter: the python3 first on PATH may be another one without torch. */
export const PYTHON = process.env.UNDERTONE_PYTHON ?? '/usr/bin/python3';

export interface FitOptions {
  readonly epochs?: number;
  readonly patience?: number;
  readonly batch?: number;
  readonly lr?: number;
  readonly channels?: string;
  readonly dropout?: number;
  readonly windowsPerClip?: number;
  readonly jitter?: number;
  readonly specaugment?: boolean;
  readonly mixup?: number;
  readonly balance?: 'class' | 'none';
  /** Cepstral mean normalisation over each window, inside the model. */
  readonly cmn?: boolean;
  /** Network: 1-D CNN over frames (default) or 2-D CNN over the recovered log-mel plane. */
  readonly arch?: 'cnn1d' | 'cnn2d';
  readonly seed?: number;
  readonly threads?: number;
}

export interface FitEpoch {
  readonly epoch: number;
  readonly loss: number;
  readonly seconds: number;
  readonly val_uar?: number;
  readonly val_acc?: number;
  readonly best_epoch: number;
}

export interface FitResult {
  readonly best_epoch: number;
  readonly best_val_uar: number;
  readonly epochs_run: number;
  readonly params: number;
  readonly history: FitEpoch[];
  readonly args: Record<string, unknown>;
}

function fitScript(): string {
  // fit.py sits in training/ of the sources; from dist/training/ go up to the project root.
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const candidate of [join(here, 'fit.py'), join(here, '../../training/fit.py')]) if (existsSync(candidate)) return resolve(candidate);
  throw new Error(`training/fit.py not found near ${here}`);
}

const FLAGS: Record<keyof FitOptions, string> = {
  epochs: '--epochs',
  patience: '--patience',
  batch: '--batch',
  lr: '--lr',
  channels: '--channels',
  dropout: '--dropout',
  windowsPerClip: '--windows-per-clip',
  jitter: '--jitter',
  specaugment: '--specaugment',
  mixup: '--mixup',
  balance: '--balance',
  cmn: '--cmn',
  arch: '--arch',
  seed: '--seed',
  threads: '--threads',
};

export async function runFit(bundleDir: string, outDir: string, options: FitOptions, onLine: (msg: Record<string, unknown>) => void): Promise<FitResult> {
  const args = [fitScript(), '--bundle', bundleDir, '--out', outDir];
  for (const [key, flag] of Object.entries(FLAGS) as [keyof FitOptions, string][]) {
    const v = options[key];
    if (v !== undefined) args.push(flag, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} not found: install Debian's python3-torch (scripts/ensure-torch.sh)`);
  await new Promise<void>((resolvePromise, reject) => {
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          onLine(JSON.parse(line));
        } catch {
          process.stderr.write(`fit.py: ${line}\n`);
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > 20000) stderr = stderr.slice(-20000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`fit.py exited with code ${code}:\n${stderr.trim().split('\n').slice(-15).join('\n')}`));
    });
  });
  return JSON.parse(await readFile(join(outDir, 'fit.json'), 'utf8')) as FitResult;
}
