/**
 * A damaged or mismatched model stops `undertone serve` at start (the built CLI, single process
 * and cluster), exit 1 with a message naming the directory and the file, before any session.
 * The narrowband model (--narrowband-model) is checked the same way: a server that would label
 * telephone calls with a broken model does not start.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelDir } from './paths.js';
import { runCli } from '../../test/cli.js';
import { startServer } from '../../test/server-process.js';

let truncated: string;
let mismatched: string;
let narrowTruncated: string;

beforeAll(() => {
  const shipped = modelDir();
  truncated = mkdtempSync(path.join(tmpdir(), 'undertone-truncated-'));
  copyFileSync(path.join(shipped, 'model.json'), path.join(truncated, 'model.json'));
  const onnx = readFileSync(path.join(shipped, 'model.onnx'));
  writeFileSync(path.join(truncated, 'model.onnx'), onnx.subarray(0, Math.floor(onnx.length / 2)));
  const narrow = path.join(shipped, 'narrowband');
  narrowTruncated = mkdtempSync(path.join(tmpdir(), 'undertone-narrowband-truncated-'));
  copyFileSync(path.join(narrow, 'model.json'), path.join(narrowTruncated, 'model.json'));
  const narrowOnnx = readFileSync(path.join(narrow, 'model.onnx'));
  writeFileSync(path.join(narrowTruncated, 'model.onnx'), narrowOnnx.subarray(0, Math.floor(narrowOnnx.length / 2)));
  mismatched = mkdtempSync(path.join(tmpdir(), 'undertone-mismatched-'));
  copyFileSync(path.join(shipped, 'model.onnx'), path.join(mismatched, 'model.onnx'));
  const meta = JSON.parse(readFileSync(path.join(shipped, 'model.json'), 'utf8'));
  writeFileSync(path.join(mismatched, 'model.json'), JSON.stringify({ ...meta, featureConfigHash: '0123456789abcdef' }));
});

afterAll(() => {
  for (const d of [truncated, mismatched, narrowTruncated]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('undertone serve with a bad model', () => {
  for (const workers of ['1', '2']) {
    it(`truncated model.onnx: exit 1 at start naming the file (workers ${workers})`, async () => {
      const r = await runCli(['serve', '--model', truncated, '--port', '0', '--workers', workers], {}, 60_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`undertone serve: cannot start: model in ${truncated}: model.onnx is damaged or replaced`);
      expect(r.stdout).toMatch(/"level":"fatal"/);
      expect(r.stdout).not.toMatch(/session opened/);
    });

    it(`model.json with a wrong feature hash: exit 1 at start naming the file (workers ${workers})`, async () => {
      const r = await runCli(['serve', '--model', mismatched, '--port', '0', '--workers', workers], {}, 60_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`undertone serve: cannot start: model in ${mismatched}: model.json: feature config mismatch`);
      expect(r.stderr).toContain('0123456789abcdef');
    });
  }

  for (const workers of ['1', '2']) {
    it(`truncated narrowband model.onnx: exit 1 at start naming the narrowband model and the file (workers ${workers})`, async () => {
      const r = await runCli(['serve', '--narrowband-model', narrowTruncated, '--port', '0', '--workers', workers], {}, 60_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`undertone serve: cannot start: narrowband model in ${narrowTruncated}: model.onnx is damaged or replaced`);
      expect(r.stderr).toContain('--narrowband-model none');
      expect(r.stdout).toMatch(/"level":"fatal"/);
      expect(r.stdout).not.toMatch(/session opened/);
    });
  }

  it('--narrowband-model none with a good --model starts (and says telephone streams use the wideband model)', async () => {
    const s = await startServer(['--narrowband-model', 'none', '--workers', '1']);
    try {
      expect(s.logs.filter((l) => l.msg === 'model loaded').map((l) => l.band)).toEqual(['wideband']);
      expect(s.logs.some((l) => String(l.msg).startsWith('no narrowband model'))).toBe(true);
    } finally {
      await s.kill();
    }
  });
});
