/**
 * On-disk cache of clip features, keyed by the feature config hash, the file's content (sha1 of
 * its bytes) and the augmentation, so reruns skip decoding and extraction. By content, not by
 * path and mtime: the shared corpora are laid down afresh at the start of every session here (new
 * mtimes, same bytes), which made every session's first run recompute all 27k clips (50 minutes
 * for the `codec` row's bundle on 2026-12-03); a clip file is a few kB, so hashing it on each
 * lookup costs far less than one decode. Entry format: uint32 samples,
 * uint32 frames, then frames x dim float32 (little-endian).
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileError } from '../../core/audio/decode-file.js';
import { featureConfigHash, featureDim } from '../../core/features/config.js';
import { AUGMENT_VERSION, describeAugment, type AugmentSpec } from '../augment/index.js';
import type { FeatureJobResult } from './job.js';
import { TRIM_ID } from './trim.js';

export const DEFAULT_CACHE_DIR = '.cache/features';

export class FeatureCache {
  readonly dir: string;
  private readonly dim = featureDim();

  constructor(baseDir = process.env.UNDERTONE_CACHE ?? DEFAULT_CACHE_DIR) {
    this.dir = join(baseDir, featureConfigHash());
  }

  async key(file: string, augment: AugmentSpec | null): Promise<string> {
    const bytes = await readFile(file).catch((e: unknown) => {
      throw fileError(e, file);
    });
    const content = createHash('sha1').update(bytes).digest('hex');
    const id = `${content}|${TRIM_ID}|${augment ? `aug${AUGMENT_VERSION}:${describeAugment(augment)}` : 'orig'}`;
    return createHash('sha1').update(id).digest('hex');
  }

  private pathOf(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.feat`);
  }

  async get(key: string): Promise<FeatureJobResult | undefined> {
    let buf: Buffer;
    try {
      buf = await readFile(this.pathOf(key));
    } catch {
      return undefined;
    }
    if (buf.length < 8) return undefined;
    const samples = buf.readUInt32LE(0);
    const frames = buf.readUInt32LE(4);
    if (buf.length !== 8 + frames * this.dim * 4) return undefined; // torn write: recompute
    const data = new Float32Array(frames * this.dim);
    Buffer.from(data.buffer).set(buf.subarray(8));
    return { samples, frames, dim: this.dim, data };
  }

  async put(key: string, r: FeatureJobResult): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(join(this.dir, key.slice(0, 2)), { recursive: true });
    const header = Buffer.alloc(8);
    header.writeUInt32LE(r.samples, 0);
    header.writeUInt32LE(r.frames, 4);
    // Unique per write: two jobs (or processes) may fill the same entry at once.
    const tmp = `${path}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(tmp, Buffer.concat([header, Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength)]));
    await rename(tmp, path);
  }
}
