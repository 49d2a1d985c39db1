import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../test/cli.js';
import { startServer } from '../test/server-process.js';
import { corpusFile, manifestRows } from '../test/corpora.js';
import { commandLineBytes, MAX_COMMAND_LINE_BYTES } from './short-command-line.js';

const dir = mkdtempSync(path.join(tmpdir(), 'undertone-long-command-line-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a command line too long for onnxruntime', () => {
  it('undertone predict with 400 files named on the command line (~30 KB; 280 crashed the workers before) labels every one, in order', async () => {
    // Real corpus clips under long names, as a shell glob over a folder of recorded calls gives them.
    const rows = manifestRows().filter((r) => r.durationS >= 1.5).slice(0, 8);
    const files = Array.from({ length: 400 }, (_, i) => {
      const file = path.join(dir, `call-recording-2026-12-01-agent-${String(i).padStart(4, '0')}-customer-side.opus`);
      symlinkSync(corpusFile(rows[i % rows.length]), file);
      return file;
    });
    expect(commandLineBytes(['node', 'main.js', 'predict', '--json', ...files])).toBeGreaterThan(28_000);
    // A temp dir of its own, so that the arguments file left or not is this run's alone.
    const tmp = mkdtempSync(path.join(dir, 'tmp-'));
    const r = await runCli(['predict', '--json', '--jobs', '2', ...files], { TMPDIR: tmp });
    expect(r.code, r.stderr.slice(-1000)).toBe(0);
    const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; label: string | null });
    expect(records.map((x) => x.file)).toEqual(files);
    for (const x of records) expect(x.label).toBeTruthy();
    // Same clip, same labels: the relay changes nothing about the analysis.
    expect(records[8].label).toBe(records[0].label);
    // The private arguments file is gone.
    expect(readdirSync(tmp).filter((f) => f.startsWith('undertone-args-'))).toEqual([]);
  }, 300_000);

  it('reports a missing file by name and exits 1 through the relay, as it does directly', async () => {
    const missing = path.join(dir, 'no-such-call-recording-of-a-customer-on-hold.wav');
    const direct = await runCli(['predict', missing]);
    const many = Array.from({ length: 200 }, () => missing);
    expect(commandLineBytes(many)).toBeGreaterThan(MAX_COMMAND_LINE_BYTES);
    const relayed = await runCli(['predict', ...many]);
    expect(direct.code).toBe(1);
    expect(relayed.code).toBe(1);
    expect(relayed.stderr).toContain(`${missing}:`);
    expect(relayed.stderr.split(`${missing}:`).length - 1).toBe(200);
  }, 120_000);

  it('undertone serve with two cluster workers and a ~5 KB command line: the workers read the same arguments, SIGTERM reaches the server through the relay', async () => {
    const keys = Array.from({ length: 120 }, (_, i) => `tenant-${String(i).padStart(3, '0')}-${'k'.repeat(30)}`);
    expect(commandLineBytes(['serve', '--workers', '2', '--subscriber-keys', keys.join(',')])).toBeGreaterThan(MAX_COMMAND_LINE_BYTES);
    const srv = await startServer(['--workers', '2', '--subscriber-keys', keys.join(',')]);
    try {
      // The last key is only known from the relayed arguments; every worker must accept it.
      for (let i = 0; i < 4; i++) {
        const ok = await fetch(`${srv.http}/v1/sessions`, { headers: { authorization: `Bearer ${keys[119]}` } });
        expect(ok.status).toBe(200);
        const refused = await fetch(`${srv.http}/v1/sessions`, { headers: { authorization: 'Bearer not-a-key' } });
        expect(refused.status).toBe(401);
      }
    } finally {
      const code = await srv.stop();
      expect(code).toBe(0);
    }
  }, 120_000);

  it('a relayed server does not outlive its relay: SIGKILL of the parent ends the server child too', async () => {
    const keys = Array.from({ length: 120 }, (_, i) => `tenant-${String(i).padStart(3, '0')}-${'k'.repeat(30)}`);
    const srv = await startServer(['--workers', '2', '--subscriber-keys', keys.join(',')]);
    expect((await fetch(`${srv.http}/readyz`)).status).toBe(200);
    await srv.kill(); // SIGKILL: the relay cannot forward anything
    const deadline = Date.now() + 20_000;
    let up = true;
    while (up && Date.now() < deadline) {
      up = await fetch(`${srv.http}/readyz`).then(() => true, () => false);
      if (up) await new Promise((r) => setTimeout(r, 200));
    }
    expect(up, 'the server child still answers after its relay was killed').toBe(false);
  }, 60_000);
});
