/**
 * The per-API-key limit on live audio connections (`--max-sessions-per-key`): a multi-tenant
 * deployment gives each tenant its key, and one tenant's burst cannot take every slot of the
 * server. Counted across the whole server: in cluster mode the primary holds the counts (cluster.ts)
 * and workers claim through it. Keys are counted by a digest (`keyId`), so the key itself never
 * travels over IPC or lands in a log.
 */
import { createHash } from 'node:crypto';

export interface KeyQuota {
  /** The per-key limit (0: none; `claim` then always grants). */
  readonly max: number;
  /** Takes one of the key's slots; false when the key already holds `max`. */
  claim(keyId: string): boolean | Promise<boolean>;
  /** Gives one back. */
  release(keyId: string): void;
}

/** What the quota counts a key by. */
export function keyId(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('base64url').slice(0, 22);
}

/** The counts of one process (single-process mode, and the cluster primary's book). */
export class KeyCounts {
  private readonly held = new Map<string, number>();
  constructor(readonly max: number) {}
  claim(id: string): boolean {
    if (this.max === 0) return true;
    const n = this.held.get(id) ?? 0;
    if (n >= this.max) return false;
    this.held.set(id, n + 1);
    return true;
  }
  release(id: string): void {
    if (this.max === 0) return;
    const n = (this.held.get(id) ?? 0) - 1;
    if (n > 0) this.held.set(id, n);
    else this.held.delete(id);
  }
}
