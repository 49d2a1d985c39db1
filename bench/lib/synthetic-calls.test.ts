/**
 * The supervision benches' calls through a telephone line: the same clips and runs as the
 * wideband call, the audio the server would hear of a G.711 stream, scored by the narrowband model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmotionModel } from '../../core/model/emotion-model.js';
import { modelDir } from '../../server/process/paths.js';
import { callChannel, DEFAULT_CALL_OPTIONS, describeCalls, type ScoredCall, scoredCalls } from './synthetic-calls.js';

describe('callChannel', () => {
  it('takes the channel names of `undertone evaluate --channel` and refuses others, naming the flag', () => {
    expect(callChannel(undefined)).toEqual({});
    expect(callChannel('g711-mulaw-bp')).toEqual({ channel: { law: 'mulaw', bandpass: true } });
    expect(() => callChannel('gsm')).toThrow(/--channel must be one of g711-mulaw, g711-alaw, g711-mulaw-bp, g711-alaw-bp, got "gsm"/);
  });
});

describe('scoredCalls through a telephone line', () => {
  let model: EmotionModel;
  let wide: ScoredCall[];
  let narrow: ScoredCall[];
  const short = { ...DEFAULT_CALL_OPTIONS, maxSecondsPerSpeaker: 30 };
  beforeAll(async () => {
    model = await EmotionModel.load(modelDir('models/narrowband'));
    const speaker = model.metadata.training.validationSpeakers.slice(0, 1);
    wide = await scoredCalls(model, speaker, short);
    narrow = await scoredCalls(model, speaker, { ...short, ...callChannel('g711-mulaw') });
  });
  afterAll(() => model?.release());

  it('keeps the clips, runs and length of the call, and changes what the model hears', () => {
    expect(narrow.length).toBe(wide.length);
    expect(narrow.length).toBeGreaterThan(0);
    for (const [i, call] of narrow.entries()) {
      expect(call.runs).toEqual(wide[i].runs);
      expect(call.durationMs).toBe(wide[i].durationMs);
      expect(call.timeline.map((e) => e.endMs)).toEqual(wide[i].timeline.map((e) => e.endMs));
    }
    const moved = narrow.flatMap((c, i) => c.timeline.map((e, k) => Math.abs((e.scores?.neutral ?? 0) - (wide[i].timeline[k].scores?.neutral ?? 0))));
    expect(Math.max(...moved)).toBeGreaterThan(1e-3);
    expect(describeCalls({ ...short, ...callChannel('g711-mulaw') })).toMatch(/through a simulated g711-mulaw telephone line/);
  });
});
