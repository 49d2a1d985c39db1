/**
 * Index of the largest score within row `row` of a row-major score matrix (or of a single row:
 * row 0, width its length). Its own module, free of onnxruntime, so that evaluation code
 * (training/eval) can use the one the server labels with.
 */
export function argmaxRow(scores: ArrayLike<number>, row: number, width: number): number {
  let best = 0;
  for (let j = 1; j < width; j++) if (scores[row * width + j] > scores[row * width + best]) best = j;
  return best;
}
