/**
 * Privacy: audio never reaches disk or logs. `undertone serve` runs as a child process at trace
 * log level (more than debug) with its own TMPDIR; sessions stream audio whose bytes are a
 * distinctive marker repeated (accepted PCM, PCM before start, an oversized message, a rejected
 * Opus packet), then stdout/stderr and every file written during the run (the working tree, the
 * server's TMPDIR and the system temp directory) are searched for the marker as raw bytes, hex,
 * base64 and a JSON byte array.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './paths.js';
import { startServer } from '../../test/server-process.js';
import { StreamClient, chunkBytes, streamChunks } from '../../test/clients/stream-client.js';

const MARKER = Buffer.from('UTMARK-7f3a9c1e!', 'latin1');
const serverTmp = mkdtempSync(path.join(tmpdir(), 'undertone-privacy-'));

afterAll(() => rmSync(serverTmp, { recursive: true, force: true }));

function markerAudio(bytes: number): Uint8Array {
  const b = Buffer.alloc(bytes);
  for (let o = 0; o < bytes; o += MARKER.length) MARKER.copy(b, o);
  return b;
}

/** The forms the marker's bytes would take in a log line or dump. */
function needles(): string[] {
  const run = Buffer.concat([MARKER, MARKER, MARKER, MARKER]);
  const forms = [MARKER.toString('latin1'), MARKER.toString('hex'), Array.from(MARKER.subarray(0, 8)).join(',')];
  // Base64 of the repeated marker, from each alignment (offset mod 3).
  for (let k = 0; k < 3; k++) forms.push(run.subarray(k, k + 24).toString('base64').slice(4, 20));
  return forms;
}

/** Files under `dir` modified at or after `since` (ms), skipping dependency and VCS folders. */
function filesWrittenSince(dir: string, since: number, out: string[] = []): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (['node_modules', '.git'].includes(e.name)) continue;
      filesWrittenSince(p, since, out);
    } else if (e.isFile()) {
      try {
        const st = statSync(p);
        if (st.mtimeMs >= since && st.size < 200 * 1024 * 1024) out.push(p);
      } catch {
        // Vanished or unreadable (another user's temp file): not written by this server.
      }
    }
  }
  return out;
}

describe('audio is never written to disk or logs', () => {
  it('the search would find the audio in any of the usual dump forms', () => {
    const audio = Buffer.from(markerAudio(200));
    for (let offset = 0; offset < 20; offset++) {
      const slice = audio.subarray(offset, offset + 120);
      for (const dump of [slice.toString('latin1'), slice.toString('hex'), slice.toString('base64'), JSON.stringify(slice)]) {
        expect(needles().some((n) => dump.includes(n)), `offset ${offset}: ${dump.slice(0, 40)}`).toBe(true);
      }
    }
  });

  it('a marker streamed in audio appears in no log line and no file written during the run', async () => {
    const t0 = Date.now() - 1000;
    // Admission off (--latency-target-ms 0), as in test/harness.ts: the suite's other files load the
    // same cores, and a busy machine made this server refuse the before-start client with 1013
    // (overloaded) before the 1008 this test is about; admission has its own tests.
    const server = await startServer(['--workers', '1', '--log-level', 'trace', '--max-message-bytes', '65536', '--latency-target-ms', '0'], { env: { TMPDIR: serverTmp } });
    let stdout = '';
    let stderr = '';
    try {
      const start = { type: 'start', encoding: 'pcm_s16le', sampleRate: 16000, channels: 1 } as const;
      // Accepted audio: 3 s of marker bytes as PCM, ending mid-sample (a partial frame is dropped and logged).
      const accepted = await streamChunks(server.url, start, chunkBytes(markerAudio(96_001), [4000, 3999]));
      expect(accepted.client.emotions).toHaveLength(3);
      // Refused audio: before start, over the size limit, an Opus packet libopus rejects.
      const before = await StreamClient.connect(server.url);
      await before.sendBinary(markerAudio(640));
      expect((await before.closed).code).toBe(1008);
      const big = await StreamClient.connect(server.url);
      big.sendJson(start);
      await big.next('ready');
      await big.sendBinary(markerAudio(70_000));
      expect((await big.closed).code).toBe(1009);
      const opus = await StreamClient.connect(server.url);
      opus.sendJson({ type: 'start', encoding: 'opus', sampleRate: 48000, channels: 1 });
      await opus.next('ready');
      await opus.sendBinary(Uint8Array.from([0x03, 0x00, ...markerAudio(64)]));
      expect((await opus.closed).code).toBe(1007);
    } finally {
      expect(await server.stop()).toBe(0);
      stdout = server.stdout();
      stderr = server.stderr();
    }
    // The logs are there (trace level: the sessions were logged) and hold no marker.
    expect(stdout).toMatch(/session closed/);
    expect(stdout.split('\n').length).toBeGreaterThan(10);
    for (const needle of needles()) {
      expect(stdout.includes(needle), `stdout contains ${needle}`).toBe(false);
      expect(stderr.includes(needle), `stderr contains ${needle}`).toBe(false);
    }
    const written = [...filesWrittenSince(PROJECT_ROOT, t0), ...filesWrittenSince(serverTmp, t0), ...filesWrittenSince(tmpdir(), t0)];
    const hits: string[] = [];
    for (const file of written) {
      let content: Buffer;
      try {
        content = readFileSync(file);
      } catch {
        continue;
      }
      const text = content.toString('latin1');
      // This test's own source holds the marker text (and vitest writes transformed copies of it to tmp).
      if (text.includes('filesWrittenSince')) continue;
      if (content.includes(MARKER) || needles().some((n) => text.includes(n))) hits.push(file);
    }
    expect(written.length).toBeGreaterThan(0);
    expect(hits).toEqual([]);
  });
});
