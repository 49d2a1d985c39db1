/**
 * Reads a corpus manifest (CSV: path,corpus,speaker,gender,emotion,duration_s; path relative to the
 * manifest's root). Works on any labelled set in that format: rows with an unknown emotion are
 * skipped and counted, never fatal.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isLabel, type Label } from '../core/labels.js';

export interface ManifestRow {
  /** Path relative to the corpus root, as written in the manifest. */
  readonly path: string;
  /** Absolute path on this machine. */
  readonly file: string;
  readonly corpus: string;
  readonly speaker: string;
  readonly gender: string;
  readonly emotion: Label;
  readonly durationS: number;
  /** Optional `channel` column: the row labels this channel of a multichannel file (0 = first). */
  readonly channel?: number;
}

export interface Manifest {
  readonly root: string;
  readonly rows: ManifestRow[];
  /** Rows skipped, with the reason (line number included). */
  readonly skipped: { line: number; reason: string }[];
}

export const DEFAULT_CORPORA = '../shared/corpora';

/** Corpus folder from a flag, else UNDERTONE_CORPORA, else ../shared/corpora (relative to cwd). */
export function corporaRoot(flag?: string): string {
  return resolve(flag ?? process.env.UNDERTONE_CORPORA ?? DEFAULT_CORPORA);
}

/** Splits one CSV line, honouring double quotes ("" inside quotes is a quote). */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const REQUIRED = ['path', 'emotion'] as const;

export async function readManifest(manifestPath: string, root?: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (e) {
    throw new Error(`${manifestPath}: cannot read manifest (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const base = resolve(root ?? dirname(manifestPath));
  const lines = text.split(/\r?\n/);
  const header = parseCsvLine(lines[0] ?? '').map((h) => h.trim());
  for (const col of REQUIRED) {
    if (!header.includes(col)) throw new Error(`${manifestPath}: manifest has no "${col}" column (header: ${header.join(',')})`);
  }
  const col = (name: string) => header.indexOf(name);
  const rows: ManifestRow[] = [];
  const skipped: { line: number; reason: string }[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const cells = parseCsvLine(lines[i]);
    const get = (name: string) => (col(name) >= 0 ? (cells[col(name)] ?? '').trim() : '');
    const emotion = get('emotion');
    const path = get('path');
    if (!path) {
      skipped.push({ line: i + 1, reason: 'empty path' });
      continue;
    }
    if (!isLabel(emotion)) {
      skipped.push({ line: i + 1, reason: `unknown emotion "${emotion}"` });
      continue;
    }
    const channel = get('channel');
    if (channel !== '' && !/^\d+$/.test(channel)) {
      skipped.push({ line: i + 1, reason: `invalid channel "${channel}"` });
      continue;
    }
    const corpus = get('corpus') || 'unknown';
    rows.push({
      ...(channel !== '' ? { channel: Number(channel) } : {}),
      path,
      file: resolve(base, path),
      corpus,
      speaker: get('speaker') || `${corpus}-unknown`,
      gender: get('gender'),
      emotion,
      durationS: Number(get('duration_s')) || 0,
    });
  }
  return { root: base, rows, skipped };
}

/**
 * At most `max` files per speaker for tiny runs, spread over emotions: each speaker's files are
 * taken round-robin over its emotions, starting at a different emotion per speaker, so a small
 * sample still covers every class across speakers.
 */
function limitPerSpeaker(rows: readonly ManifestRow[], max: number | undefined): ManifestRow[] {
  if (!max) return [...rows];
  const out: ManifestRow[] = [];
  const speakers = [...new Set(rows.map((r) => r.speaker))].sort();
  speakers.forEach((speaker, si) => {
    const own = rows.filter((r) => r.speaker === speaker).sort((a, b) => a.path.localeCompare(b.path));
    const emotions = [...new Set(own.map((r) => r.emotion))].sort();
    const queues = emotions.map((e) => own.filter((r) => r.emotion === e));
    const picked: ManifestRow[] = [];
    for (let round = 0; picked.length < Math.min(max, own.length); round++) {
      for (let k = 0; k < queues.length && picked.length < max; k++) {
        const r = queues[(k + si) % queues.length][round];
        if (r) picked.push(r);
      }
    }
    out.push(...picked);
  });
  return out;
}

/**
 * The rows a run uses: `corpus` (comma-separated names) keeps those corpora only, then at most
 * `maxPerSpeaker` files per speaker. One function, so `undertone train` and the teacher's plan
 * (training/teacher/cv-plan.ts) select, and therefore plan, the same speakers.
 */
export function selectRows(rows: readonly ManifestRow[], options: { corpus?: string; maxPerSpeaker?: number }): ManifestRow[] {
  const keep = options.corpus ? new Set(options.corpus.split(',')) : undefined;
  return limitPerSpeaker(keep ? rows.filter((r) => keep.has(r.corpus)) : rows, options.maxPerSpeaker);
}
