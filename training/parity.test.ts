/**
 * Train/serve parity of the shipped model: models/parity.json holds the scores PyTorch gave to
 * windows of real corpus files at the end of training (features computed by core, windows cut in
 * fit.py). Here onnxruntime-node scores the same audio through the serving path (decode -> core
 * features -> StreamAnalyzer windows) and must agree to 1e-4. Both shipped models: the wideband
 * one (models/) and the narrowband one (models/narrowband/, its own parity.json).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { corporaDir } from '../test/corpora.js';
import { PROJECT_ROOT } from '../test/cli.js';
import { parityError } from '../test/parity.js';

describe('train/serve parity of the shipped models', () => {
  for (const dir of ['models', 'models/narrowband']) {
    it(`${dir}: onnxruntime on TypeScript features reproduces the PyTorch training scores to 1e-4`, async () => {
      const { maxDiff, windows } = await parityError(path.join(PROJECT_ROOT, dir), corporaDir());
      expect(windows).toBeGreaterThan(3);
      expect(maxDiff).toBeLessThan(1e-4);
    });
  }
});
