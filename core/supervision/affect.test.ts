import { describe, expect, it } from 'vitest';
import { LABELS } from '../labels.js';
import { affectOf, CIRCUMPLEX } from './affect.js';

describe('affect', () => {
  it('a certain label maps to its circumplex point; every point lies in [-1, 1]^2', () => {
    for (const l of LABELS) {
      const p = affectOf({ [l]: 1 });
      expect(p).toEqual(CIRCUMPLEX[l]);
      expect(Math.abs(p.arousal)).toBeLessThanOrEqual(1);
      expect(Math.abs(p.valence)).toBeLessThanOrEqual(1);
    }
  });

  it('is the score-weighted mean, normalised by the scores present', () => {
    const p = affectOf({ angry: 0.3, calm: 0.1 });
    expect(p.arousal).toBeCloseTo((0.3 * CIRCUMPLEX.angry.arousal + 0.1 * CIRCUMPLEX.calm.arousal) / 0.4, 12);
    expect(p.valence).toBeCloseTo((0.3 * CIRCUMPLEX.angry.valence + 0.1 * CIRCUMPLEX.calm.valence) / 0.4, 12);
  });

  it('the circumplex order the checks rely on: high-arousal labels above neutral, calm and sad', () => {
    for (const hi of ['angry', 'fearful', 'happy', 'surprised'] as const)
      for (const lo of ['neutral', 'calm', 'sad'] as const) expect(CIRCUMPLEX[hi].arousal).toBeGreaterThan(CIRCUMPLEX[lo].arousal);
    for (const neg of ['angry', 'fearful', 'sad', 'disgust'] as const) expect(CIRCUMPLEX[neg].valence).toBeLessThan(0);
  });

  it('no usable score gives the centre; NaN or negative scores are ignored', () => {
    expect(affectOf({})).toEqual({ valence: 0, arousal: 0 });
    expect(affectOf({ angry: Number.NaN, sad: -1, happy: 0.5 })).toEqual(CIRCUMPLEX.happy);
  });
});
