import type { Matrix } from './train-mlp.js';

/** Trains a base model on the rows `train` and returns its probabilities for the rows `predict` (row-major, `predict.length × classes`). */
export type FitPredict = (train: Int32Array, predict: Int32Array) => Promise<Float32Array>;

export type OutOfFold = Readonly<{
  /** Rows that got out-of-fold predictions (every fold but the first), ascending. */
  rows: Int32Array;
  /** Per row of `rows`: the bases' probabilities side by side (`bases × classes` values). */
  x: Float32Array;
  folds: readonly Readonly<{ train: readonly [number, number]; predict: readonly [number, number] }>[];
}>;

/**
 * Out-of-fold base-model probabilities for a stacking meta-learner, by forward chaining: the
 * time-ordered rows `0 … n-1` are cut into `folds` blocks; block k is predicted by models trained
 * on the blocks before it only, less `purge` rows before the block (labels that overlap it). A
 * shuffled K-fold would let a base model learn from the future of the rows it predicts, and the
 * meta-learner would then trust it more than it deserves out of sample. The first block only
 * trains, so it has no out-of-fold rows.
 */
export async function outOfFoldProbabilities(n: number, folds: number, purge: number, bases: readonly FitPredict[], classes: number): Promise<OutOfFold> {
  if (!Number.isInteger(folds) || folds < 2) throw new RangeError(`folds must be an integer ≥ 2, got ${folds}`);
  if (bases.length === 0) throw new RangeError('no base models');
  const edges = Array.from({ length: folds + 1 }, (_, k) => Math.floor((k * n) / folds));
  const width = bases.length * classes;
  const first = edges[1] as number;
  const x = new Float32Array((n - first) * width);
  const log: { train: [number, number]; predict: [number, number] }[] = [];
  for (let k = 1; k < folds; k++) {
    const lo = edges[k] as number;
    const hi = edges[k + 1] as number;
    const trainEnd = Math.max(0, lo - purge);
    if (trainEnd === 0) throw new RangeError(`fold ${k} has no training rows after a purge of ${purge}`);
    const train = Int32Array.from({ length: trainEnd }, (_, i) => i);
    const predict = Int32Array.from({ length: hi - lo }, (_, i) => lo + i);
    log.push({ train: [0, trainEnd], predict: [lo, hi] });
    for (let b = 0; b < bases.length; b++) {
      const p = await (bases[b] as FitPredict)(train, predict);
      if (p.length !== predict.length * classes) throw new RangeError(`base ${b} returned ${p.length} probabilities for ${predict.length} rows`);
      for (let r = 0; r < predict.length; r++) for (let c = 0; c < classes; c++) x[(lo - first + r) * width + b * classes + c] = p[r * classes + c] as number;
    }
  }
  return { rows: Int32Array.from({ length: n - first }, (_, i) => first + i), x, folds: log };
}

/** The rows `rows` of a matrix (for slicing folds). */
export function rowsOf(m: Matrix, cols: number, rows: Int32Array): Matrix {
  const x = new Float32Array(rows.length * cols);
  const y = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    x.set(m.x.subarray(r * cols, (r + 1) * cols), i * cols);
    y[i] = m.y[r] as number;
  });
  return { x, y, rows: rows.length };
}

/** The bases' probabilities side by side, row by row: the meta-learner's input for new rows. */
export function stackProbabilities(perBase: readonly Float32Array[], rows: number, classes: number): Float32Array {
  const width = perBase.length * classes;
  const out = new Float32Array(rows * width);
  perBase.forEach((p, b) => {
    for (let r = 0; r < rows; r++) for (let c = 0; c < classes; c++) out[r * width + b * classes + c] = p[r * classes + c] as number;
  });
  return out;
}
