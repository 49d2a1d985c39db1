/**
 * Corpus preparation: cut leading and trailing near-silence from a corpus clip before features.
 *
 * Why: ASED pads every clip to a length fixed per emotion (every happy clip is 2.9 s, most end in
 * digital silence), RAVDESS starts many clips with digital zeros, and the amount of such padding
 * says which corpus and often which emotion a clip is. A model must not be able to read it, so
 * training and corpus evaluation see each clip from its first to its last sample above
 * TRIM_THRESHOLD_DB, with the same fixed margin of TRIM_MARGIN_S on both sides. Live audio and
 * `undertone predict` are not trimmed (there is no clip to trim in a stream); the voicing gate
 * handles silence there.
 */
export const TRIM_THRESHOLD_DB = -70;
export const TRIM_MARGIN_S = 0.1;
/** Names the preparation in caches and parity files, so a change of it is never mixed with the old. */
export const TRIM_ID = `trim${-TRIM_THRESHOLD_DB}m${TRIM_MARGIN_S * 1000}`;

/** The clip from margin before its first loud sample to margin after its last one (a view, not a copy). */
export function trimSilence(samples: Float32Array, sampleRate = 16000): Float32Array {
  const threshold = 10 ** (TRIM_THRESHOLD_DB / 20);
  let first = 0;
  while (first < samples.length && !(Math.abs(samples[first]) > threshold)) first++;
  if (first === samples.length) return samples; // all silent: leave it, the voicing gate skips it
  let last = samples.length - 1;
  while (last > first && !(Math.abs(samples[last]) > threshold)) last--;
  const margin = Math.round(TRIM_MARGIN_S * sampleRate);
  return samples.subarray(Math.max(0, first - margin), Math.min(samples.length, last + 1 + margin));
}
