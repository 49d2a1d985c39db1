import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlertRulesError, DEFAULT_ALERT_RULES, loadAlertRules, parseAlertRules } from './alert-rules.js';

const good = {
  id: 'angry-customer',
  when: { labels: ['angry'], minScore: 0.7 },
  sustain: { k: 3, of: 5 },
  cooldownSeconds: 30,
};

async function tempFile(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'rules-'));
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

describe('alert rules', () => {
  it('the built-in set validates, has the two required rules and unique ids', () => {
    const again = parseAlertRules({ rules: DEFAULT_ALERT_RULES }, 'defaults');
    expect(again).toEqual(DEFAULT_ALERT_RULES);
    expect(DEFAULT_ALERT_RULES.map((r) => r.id)).toEqual(expect.arrayContaining(['sustained-negative', 'rising-arousal']));
  });

  it('reads a file; a bare array works; includeDefaults adds the built-in set; minScore defaults to 0.5', async () => {
    const file = await tempFile('rules.json', JSON.stringify({ rules: [good] }));
    expect(loadAlertRules(file)).toEqual([good]);
    expect(parseAlertRules([good], 'x.json')).toEqual([good]);
    const both = parseAlertRules({ rules: [good], includeDefaults: true }, 'x.json');
    expect(both.map((r) => r.id)).toEqual([...DEFAULT_ALERT_RULES.map((r) => r.id), 'angry-customer']);
    const noMin = parseAlertRules([{ ...good, when: { labels: ['sad', 'sad'] } }], 'x.json');
    expect(noMin[0].when).toEqual({ labels: ['sad'], minScore: 0.5 });
    // An evidence (CUSUM) sustain on raw scores: no minScore (the drift does its job).
    const cusum = { ...good, when: { labels: ['angry'] }, input: 'raw', sustain: { drift: 0.6, threshold: 2 } };
    expect(parseAlertRules([cusum], 'x.json')).toEqual([cusum]);
  });

  const bad: [string, unknown, string][] = [
    ['not an object', 42, 'rules.json: must be a JSON object {"rules": [...]} or an array of rules'],
    ['unknown top-level key', { rule: [] }, 'rules.json: top level: unknown field "rule"'],
    ['bad id', [{ ...good, id: 'has space' }], 'rules.json: rules[0].id must match'],
    ['unknown label', [{ ...good, when: { labels: ['furious'] } }], 'rules.json: rule "angry-customer": when.labels has unknown label "furious"'],
    ['empty when', [{ ...good, when: {} }], 'rules.json: rule "angry-customer": when needs at least one of'],
    ['minScore without labels', [{ ...good, when: { minScore: 0.5, arousal: { min: 0 } } }], 'when.minScore needs when.labels'],
    ['minScore above 1', [{ ...good, when: { labels: ['angry'], minScore: 1.5 } }], 'when.minScore must be a number in [0, 1], got 1.5'],
    ['k above of', [{ ...good, sustain: { k: 6, of: 5 } }], 'sustain.k must be an integer in [1, 5], got 6'],
    ['bounds inverted', [{ ...good, when: { arousal: { min: 0.5, max: 0.1 } } }], 'when.arousal: min 0.5 is above max 0.1'],
    ['bounds outside [-1, 1]', [{ ...good, when: { valence: { max: -3 } } }], 'when.valence.max must be a number in [-1, 1], got -3'],
    ['rise without overSeconds', [{ ...good, when: { arousalRise: { by: 0.3 } } }], 'when.arousalRise.overSeconds must be an integer in [1, 600], got undefined'],
    ['missing cooldown', [{ ...good, cooldownSeconds: undefined }], 'cooldownSeconds must be a number in [0, 86400], got undefined'],
    ['misspelt field', [{ ...good, cooldown: 5 }], 'rules.json: rules[0]: unknown field "cooldown"'],
    ['unknown input', [{ ...good, input: 'filtered' }], 'input must be "smoothed" or "raw", got "filtered"'],
    ['evidence drift of 1', [{ ...good, when: { labels: ['angry'] }, sustain: { drift: 1, threshold: 2 } }], 'sustain.drift must be strictly between 0 and 1'],
    ['evidence without threshold', [{ ...good, when: { labels: ['angry'] }, sustain: { drift: 0.5 } }], 'sustain.threshold must be a number in [0, 600], got undefined'],
    ['evidence mixed with k of N', [{ ...good, when: { labels: ['angry'] }, sustain: { drift: 0.5, threshold: 2, k: 3 } }], 'sustain: unknown field "k"'],
    ['evidence with minScore', [{ ...good, when: { labels: ['angry'], minScore: 0.7 }, sustain: { drift: 0.5, threshold: 2 } }], 'when.minScore has no meaning with sustain {drift, threshold}'],
    ['duplicate id', [good, good], 'rules.json: rule id "angry-customer" appears twice'],
    ['duplicate of a default', { rules: [{ ...good, id: 'rising-arousal' }], includeDefaults: true }, 'appears twice (the defaults included)'],
  ];
  for (const [what, doc, message] of bad)
    it(`rejects ${what} with a message naming the file and the problem`, () => {
      let err: unknown;
      try {
        parseAlertRules(doc, 'rules.json');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AlertRulesError);
      expect((err as Error).message).toContain(message);
      expect((err as Error).message.startsWith('rules.json: ')).toBe(true);
    });

  it('an unreadable or non-JSON file is an error naming it', async () => {
    const missing = path.join(tmpdir(), 'no-such-rules-file.json');
    expect(() => loadAlertRules(missing)).toThrow(`${missing}: cannot read: ENOENT`);
    const broken = await tempFile('broken.json', '{"rules": [');
    expect(() => loadAlertRules(broken)).toThrow(new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON`));
  });
});
