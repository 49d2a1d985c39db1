/**
 * The circumplex mapping on real speech through the shipped model (held-out RAVDESS actors of
 * its split): high-arousal emotions come out above low-arousal ones, and strong-intensity
 * recordings above normal-intensity ones of the same actor and emotion.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelDir } from '../../server/process/paths.js';
import { arousalByEmotion, type FileAffect, fileAffect, HIGH_AROUSAL, intensityPairs, LOW_AROUSAL } from '../../test/file-affect.js';
import { manifestRows } from '../../test/corpora.js';
import { EmotionModel } from '../model/emotion-model.js';

let model: EmotionModel;
const files: FileAffect[] = [];

beforeAll(async () => {
  model = await EmotionModel.load(modelDir());
  const speakers = new Set(model.metadata.training.testSpeakers.filter((s) => s.startsWith('ravdess-')));
  expect(speakers.size).toBeGreaterThan(0);
  for (const row of manifestRows().filter((r) => speakers.has(r.speaker))) files.push(await fileAffect(model, row));
});

afterAll(async () => {
  await model?.release();
});

describe('arousal on held-out RAVDESS actors', () => {
  it('mean arousal of angry, fearful, happy and surprised files is above that of neutral, calm and sad files', () => {
    const by = arousalByEmotion(files);
    for (const hi of HIGH_AROUSAL)
      for (const lo of LOW_AROUSAL) {
        expect(by.get(hi)?.n, hi).toBeGreaterThan(0);
        expect(by.get(hi)!.mean, `${hi} vs ${lo}`).toBeGreaterThan(by.get(lo)!.mean);
      }
  });

  it('strong-intensity files are above normal-intensity ones of the same actor and emotion: in most pairs and on average', () => {
    const pairs = intensityPairs(files);
    expect(pairs.length).toBeGreaterThanOrEqual(20);
    const above = pairs.filter((p) => p.strong > p.normal).length;
    const meanDiff = pairs.reduce((s, p) => s + (p.strong - p.normal), 0) / pairs.length;
    expect(above / pairs.length).toBeGreaterThan(0.5);
    expect(meanDiff).toBeGreaterThan(0);
  });
});
