/**
 * A trained model's held-out report lands where the docs link it only for the installed models;
 * a model trained into any other folder keeps its report beside it (a trial run of the presets
 * into a scratch folder once overwrote docs/evaluation/model.md).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR, PROJECT_ROOT } from '../server/process/paths.js';
import { heldOutReportPlace } from './train.js';

const DOCS = join(PROJECT_ROOT, 'docs/evaluation');

describe('heldOutReportPlace', () => {
  it('the installed models report into docs/evaluation under the names the docs link', () => {
    expect(heldOutReportPlace(MODELS_DIR, undefined)).toEqual({ dir: DOCS, name: 'model' });
    expect(heldOutReportPlace(join(MODELS_DIR, 'narrowband'), undefined)).toEqual({ dir: DOCS, name: 'narrowband-model' });
  });

  it('a model trained elsewhere keeps its report beside it', () => {
    expect(heldOutReportPlace('/tmp/trial/wideband', undefined)).toEqual({ dir: '/tmp/trial/wideband', name: 'model' });
    // A sibling folder whose name starts like models/ is not inside it.
    expect(heldOutReportPlace(`${MODELS_DIR}-old`, undefined)).toEqual({ dir: `${MODELS_DIR}-old`, name: 'model' });
  });

  it('--report wins', () => {
    expect(heldOutReportPlace('/tmp/trial/wideband', '/tmp/reports')).toEqual({ dir: '/tmp/reports', name: 'model' });
    expect(heldOutReportPlace(join(MODELS_DIR, 'narrowband'), '/tmp/reports')).toEqual({ dir: '/tmp/reports', name: 'narrowband-model' });
  });
});
