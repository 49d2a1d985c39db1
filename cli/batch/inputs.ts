/**
 * The files a `predict DIR|FILE...` command line names: a file as given (it is analysed, and
 * refused with a message if it is not audio); a folder walked recursively in name order, keeping
 * the files whose first bytes are a format we decode (a recordings folder also holds notes,
 * metadata CSVs and .DS_Store files; they are counted, not errors). A file named like audio
 * (.wav, .mp3, ...) is kept even when its bytes are not: an empty or damaged recording must be
 * reported by name, not skipped. The name only decides what is reported; decoding goes by content.
 */
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { id3v2Length, sniffAudioFormat } from '../../core/audio/sniff.js';

export interface Inputs {
  readonly files: string[];
  /** Files inside the named folders that are not audio (skipped). */
  readonly skipped: number;
}

const AUDIO_EXTENSIONS = new Set(['.wav', '.wave', '.mp3', '.flac', '.ogg', '.oga', '.opus']);

/** Enough of a file for sniffAudioFormat: an Ogg first page's codec magic sits within 289 bytes. */
const HEAD_BYTES = 512;

async function looksLikeAudio(file: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(file, 'r');
    const head = new Uint8Array(HEAD_BYTES);
    const { bytesRead } = await fh.read(head, 0, HEAD_BYTES, 0);
    const id3 = id3v2Length(head.subarray(0, bytesRead));
    if (id3 === 0) return sniffAudioFormat(head.subarray(0, bytesRead)) !== undefined;
    // Past a long ID3 tag: the frame or fLaC that follows it.
    const after = new Uint8Array(16);
    const r = await fh.read(after, 0, 16, id3);
    const probe = new Uint8Array(id3 + r.bytesRead);
    probe.set(head.subarray(0, Math.min(bytesRead, 10)));
    probe.set(after.subarray(0, r.bytesRead), id3);
    return sniffAudioFormat(probe) !== undefined;
  } catch {
    return false;
  } finally {
    await fh?.close();
  }
}

async function walk(dir: string, out: string[]): Promise<number> {
  let skipped = 0;
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) skipped += await walk(p, out);
    else if (e.isFile() && (AUDIO_EXTENSIONS.has(path.extname(e.name).toLowerCase()) || (await looksLikeAudio(p)))) out.push(p);
    else if (e.isFile()) skipped++;
  }
  return skipped;
}

export async function expandInputs(args: readonly string[]): Promise<Inputs> {
  const files: string[] = [];
  let skipped = 0;
  for (const a of args) {
    const s = await stat(a).catch(() => undefined);
    if (s?.isDirectory()) skipped += await walk(a, files);
    else files.push(a); // missing or unreadable: the analysis reports it, naming the file
  }
  return { files, skipped };
}
