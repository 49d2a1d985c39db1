/**
 * Where the tests find the real corpus audio (16 kHz mono Ogg Opus, see its README.md):
 * $UNDERTONE_CORPORA, or ../shared/corpora beside the project root.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../server/process/paths.js';
import { concatFloat32 } from '../core/audio/concat.js';
import { decodeAudioFile } from '../core/audio/decode-file.js';
import { parseCsvLine } from '../training/manifest.js';

export interface ManifestRow {
  /** Path relative to the corpora folder. */
  readonly path: string;
  readonly corpus: string;
  readonly speaker: string;
  readonly gender: string;
  readonly emotion: string;
  readonly durationS: number;
}

/** The corpora folder. */
export function corporaDir(): string {
  return process.env.UNDERTONE_CORPORA ?? path.resolve(PROJECT_ROOT, '../shared/corpora');
}

/** Absolute path of a manifest row's audio file. */
export function corpusFile(row: ManifestRow): string {
  return path.join(corporaDir(), row.path);
}

/** Every row of manifest.csv (path,corpus,speaker,gender,emotion,duration_s). */
export function manifestRows(): ManifestRow[] {
  const text = readFileSync(path.join(corporaDir(), 'manifest.csv'), 'utf8');
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const cols = parseCsvLine(header);
  const at = (name: string): number => {
    const i = cols.indexOf(name);
    if (i < 0) throw new Error(`manifest.csv has no column ${name}`);
    return i;
  };
  const [p, c, s, g, e, d] = ['path', 'corpus', 'speaker', 'gender', 'emotion', 'duration_s'].map(at);
  return lines.map((line) => {
    const f = parseCsvLine(line);
    return { path: f[p], corpus: f[c], speaker: f[s], gender: f[g], emotion: f[e], durationS: Number(f[d]) };
  });
}

/**
 * A small fixed, varied sample: the first file of each corpus and the longest file of the
 * manifest (deterministic, so failures reproduce).
 */
export function sampleRows(count = 5): ManifestRow[] {
  const rows = manifestRows();
  const picked: ManifestRow[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    if (!seen.has(r.corpus)) {
      seen.add(r.corpus);
      picked.push(r);
    }
  }
  const longest = longestRow(rows);
  if (!picked.includes(longest)) picked.push(longest);
  return picked.slice(0, count);
}

/** The longest file of the manifest: several whole seconds and a partial last one. */
export function longestRow(rows: readonly ManifestRow[] = manifestRows()): ManifestRow {
  return rows.reduce((a, b) => (b.durationS > a.durationS ? b : a));
}

/** `seconds` of real speech at 16 kHz: corpus files longer than 3 s, decoded and joined in manifest order. */
export async function speechSeconds(seconds: number): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  let total = 0;
  for (const row of manifestRows().filter((r) => r.durationS > 3)) {
    const x = await decodeAudioFile(corpusFile(row));
    parts.push(x);
    total += x.length;
    if (total >= seconds * 16000) break;
  }
  return concatFloat32(parts).subarray(0, seconds * 16000);
}
