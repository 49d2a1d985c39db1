/**
 * Speaker-independent splits. No speaker is ever in two of train / validation / test, and
 * augmentation is applied to training rows only (by the caller). Fold and held-out choices are
 * deterministic functions of the speaker ids present, so they do not assume today's counts.
 */
import type { ManifestRow } from './manifest.js';

export interface Split {
  readonly name: string;
  readonly train: ManifestRow[];
  readonly validation: ManifestRow[];
  readonly test: ManifestRow[];
}

export function speakersOf(rows: readonly ManifestRow[]): string[] {
  return [...new Set(rows.map((r) => r.speaker))].sort(naturalCompare);
}

function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Throws if any speaker appears in two parts of the split: the guard against leaky evaluation. */
export function assertSpeakerDisjoint(split: Split): void {
  const parts = [split.train, split.validation, split.test].map((rows) => new Set(rows.map((r) => r.speaker)));
  for (let i = 0; i < 3; i++) {
    for (let j = i + 1; j < 3; j++) {
      for (const s of parts[i]) if (parts[j].has(s)) throw new Error(`split ${split.name}: speaker ${s} is in two parts`);
    }
  }
}

/**
 * k folds of one corpus by speaker groups (RAVDESS: 6 folds of 4 actors, 1-4, 5-8, ...). In fold i
 * the group i is the test set and group (i+1) mod k the validation set (early stopping); the
 * remaining groups, plus every row of `extraTrain` (other corpora), train.
 */
export function speakerFolds(rows: readonly ManifestRow[], corpus: string, k: number, extraTrain: readonly ManifestRow[] = []): Split[] {
  const own = rows.filter((r) => r.corpus === corpus);
  const speakers = speakersOf(own);
  if (speakers.length < 3 || k < 3) throw new Error(`${corpus}: need >= 3 speakers and folds for a train/validation/test split (have ${speakers.length} speakers, k=${k})`);
  const folds = Math.min(k, speakers.length);
  const groups: string[][] = Array.from({ length: folds }, () => []);
  // Contiguous groups: RAVDESS actors 1-4, 5-8, ... (odd male, even female, so each group is mixed).
  const size = Math.ceil(speakers.length / folds);
  speakers.forEach((s, i) => groups[Math.min(folds - 1, Math.floor(i / size))].push(s));
  return groups.map((testSpeakers, i) => {
    const valSpeakers = new Set(groups[(i + 1) % folds]);
    const test = new Set(testSpeakers);
    const split: Split = {
      name: `${corpus}-fold${i + 1}`,
      test: own.filter((r) => test.has(r.speaker)),
      validation: own.filter((r) => valSpeakers.has(r.speaker)),
      train: [...own.filter((r) => !test.has(r.speaker) && !valSpeakers.has(r.speaker)), ...extraTrain],
    };
    assertSpeakerDisjoint(split);
    return split;
  });
}

/**
 * The speakers heldOutSplit holds out: per corpus, about `testFraction` of its speakers to test and
 * as many to validation (see heldOutSplit).
 */
export function heldOutSpeakers(rows: readonly ManifestRow[], testFraction = 0.17): { test: Set<string>; validation: Set<string> } {
  const byCorpus = new Map<string, ManifestRow[]>();
  for (const r of rows) {
    const list = byCorpus.get(r.corpus);
    if (list) list.push(r);
    else byCorpus.set(r.corpus, [r]);
  }
  const testSpk = new Set<string>();
  const valSpk = new Set<string>();
  for (const [, corpusRows] of [...byCorpus].sort(([a], [b]) => a.localeCompare(b))) {
    const speakers = speakersOf(corpusRows);
    if (speakers.length < 2) continue;
    const n = Math.max(1, Math.round(speakers.length * testFraction));
    // Speakers with the most files first, so held-out sets are not a single clip (CREMA-D subset).
    const counts = new Map(speakers.map((s) => [s, corpusRows.filter((r) => r.speaker === s).length]));
    const ordered = [...speakers].sort((a, b) => counts.get(b)! - counts.get(a)! || naturalCompare(a, b));
    const gender = (s: string) => corpusRows.find((r) => r.speaker === s)?.gender ?? '';
    const pick = (target: Set<string>, count: number) => {
      for (let i = 0; i < count; i++) {
        // Alternate genders when both are available.
        const want = i % 2 === 0 ? 'female' : 'male';
        const candidate = ordered.find((s) => !testSpk.has(s) && !valSpk.has(s) && gender(s) === want) ?? ordered.find((s) => !testSpk.has(s) && !valSpk.has(s));
        if (candidate) target.add(candidate);
      }
    };
    pick(testSpk, n);
    if (speakers.length >= 3) pick(valSpk, n);
  }
  return { test: testSpk, validation: valSpk };
}

/**
 * Held-out split over every corpus present, for the shipped model: per corpus, about `testFraction`
 * of its speakers (at least one, when the corpus has 3 or more) go to test and as many to
 * validation, balanced by gender where the corpus has both. A corpus of 2 speakers (TESS) gives one
 * to test and none to validation: its test figure then says how it generalises from one voice.
 */
export function heldOutSplit(rows: readonly ManifestRow[], testFraction = 0.17): Split {
  const { test: testSpk, validation: valSpk } = heldOutSpeakers(rows, testFraction);
  const split: Split = {
    name: 'held-out-speakers',
    test: rows.filter((r) => testSpk.has(r.speaker)),
    validation: rows.filter((r) => valSpk.has(r.speaker)),
    train: rows.filter((r) => !testSpk.has(r.speaker) && !valSpk.has(r.speaker)),
  };
  assertSpeakerDisjoint(split);
  return split;
}

/**
 * Nested leave-one-corpus-out, for choosing between recipes without a test corpus: for each corpus
 * X (the outer LOCO fold's test corpus) the next corpus Y in name order (cyclic) is left out as a
 * *validation corpus*, and the fold is the LOCO fold for Y over every corpus but X. So
 * the fold never sees X at all, trains on the five others (early stopping on their validation
 * speakers, as in LOCO), and scores Y, a corpus it never heard: the held-out-corpus robustness
 * the LOCO table measures, measured without touching a LOCO test corpus. Each corpus is the
 * validation corpus of exactly one fold. Needs at least three corpora.
 */
export function nestedCorpusFolds(rows: readonly ManifestRow[]): Split[] {
  const corpora = [...new Set(rows.map((r) => r.corpus))].sort();
  if (corpora.length < 3) throw new RangeError(`nested leave-one-corpus-out needs at least three corpora, got ${corpora.join(', ')}`);
  return corpora.map((outer, k) => {
    const inner = corpora[(k + 1) % corpora.length];
    return corpusOutFold(rows.filter((r) => r.corpus !== outer), inner, `nested-${inner}-without-${outer}`);
  });
}

/**
 * Leave-one-corpus-out: for each corpus, a split whose test set is every file of that corpus and
 * whose validation set is heldOutSpeakers' validation speakers of the other corpora (their test
 * speakers train), so choices are made on speakers of the training corpora only.
 */
export function leaveOneCorpusOut(rows: readonly ManifestRow[]): Split[] {
  const corpora = [...new Set(rows.map((r) => r.corpus))].sort();
  return corpora.map((corpus) => corpusOutFold(rows, corpus, `loco-${corpus}`));
}

/** The fold that tests every file of `corpus` and trains and validates on the rest of `rows`. */
function corpusOutFold(rows: readonly ManifestRow[], corpus: string, name: string): Split {
  const others = rows.filter((r) => r.corpus !== corpus);
  const { validation } = heldOutSpeakers(others);
  const split: Split = {
    name,
    test: rows.filter((r) => r.corpus === corpus),
    validation: others.filter((r) => validation.has(r.speaker)),
    train: others.filter((r) => !validation.has(r.speaker)),
  };
  assertSpeakerDisjoint(split);
  return split;
}
