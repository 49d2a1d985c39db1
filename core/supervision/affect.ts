/**
 * Arousal and valence in [-1, 1] from the class scores: each label sits at a point of Russell's
 * circumplex of affect, and a second's (arousal, valence) is the score-weighted mean of its
 * labels' points. A convex combination of points inside [-1, 1]^2 stays inside it; an uncertain
 * second (scores spread over opposite labels) lands near the centre, which is what it should say.
 *
 * Coordinates (valence = pleasure-displeasure axis, arousal = arousal-sleepiness axis):
 * - happy, angry, fearful (Russell's "afraid"), sad, calm, surprised ("astonished"): the positions
 *   of those words in Russell (1980), "A circumplex model of affect", Journal of Personality and
 *   Social Psychology 39(6), 1161-1178, Fig. 4 (multidimensional scaling of 28 affect words),
 *   read off the figure as tabulated in the public repository toftul/tg-howwasyourday-v2
 *   (howwasyourdaybot/emotions.py) and rounded to two decimals. The reading was not checked
 *   against the printed figure in this project.
 * - neutral: the centre of the circumplex (neither pleasant nor unpleasant, neither activated nor
 *   deactivated), by the model's definition rather than a measured position.
 * - disgust: not among Russell's 28 words. Placed by us in the unpleasant, moderately activated
 *   sector beside "annoyed" and "frustrated" (valence -0.6, arousal 0.35). This one is our choice,
 *   not a literature value.
 * The checks in affect.corpus.test.ts (held-out files; RAVDESS intensity) test the mapping as a
 * whole on real speech through the shipped model.
 */
import type { Label } from '../labels.js';
import type { Affect, Scores } from '../protocol/emotion.js';

/** Valence (pleasure +1 .. displeasure -1) and arousal (activated +1 .. deactivated -1). */
export type AffectPoint = Affect;

export const CIRCUMPLEX: Readonly<Record<Label, AffectPoint>> = {
  neutral: { valence: 0, arousal: 0 },
  calm: { valence: 0.56, arousal: -0.31 },
  happy: { valence: 0.83, arousal: 0.53 },
  sad: { valence: -0.65, arousal: -0.27 },
  angry: { valence: -0.52, arousal: 0.58 },
  fearful: { valence: -0.34, arousal: 0.64 },
  disgust: { valence: -0.6, arousal: 0.35 },
  surprised: { valence: 0.16, arousal: 0.89 },
};

/** Score-weighted mean of the labels' circumplex points; the centre when no score is positive. */
export function affectOf(scores: Scores): AffectPoint {
  let sum = 0;
  let valence = 0;
  let arousal = 0;
  for (const [label, score] of Object.entries(scores) as [Label, number | undefined][]) {
    const point = CIRCUMPLEX[label];
    if (!point || typeof score !== 'number' || !(score > 0)) continue;
    sum += score;
    valence += score * point.valence;
    arousal += score * point.arousal;
  }
  if (sum === 0) return { valence: 0, arousal: 0 };
  return { valence: valence / sum, arousal: arousal / sum };
}
