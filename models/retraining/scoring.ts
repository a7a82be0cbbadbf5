import { LOG_LOSS_EPS } from '../training/classification-metrics.js';

/** One scored label: log loss of the class that happened and whether the arg-max class was it. */
export type LabelScore = Readonly<{ logLoss: number; hit: boolean }>;

/** Scores row `row` of a row-major `rows × 3` probability matrix against class `cls`. */
export function scoreRow(probs: Float32Array, row: number, cls: number): LabelScore {
  const p0 = probs[row * 3] as number;
  const p1 = probs[row * 3 + 1] as number;
  const p2 = probs[row * 3 + 2] as number;
  const p = [p0, p1, p2][cls] as number;
  const best = p0 >= p1 && p0 >= p2 ? 0 : p1 >= p2 ? 1 : 2;
  return { logLoss: -Math.log(Math.min(Math.max(p, LOG_LOSS_EPS), 1)), hit: best === cls };
}

export const mean = (xs: readonly number[]): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

/** Appends `x` and keeps the last `cap` values (a new array: states stay immutable). */
export const pushCapped = <T>(xs: readonly T[], x: T, cap: number): T[] => {
  const out = xs.length >= cap ? xs.slice(xs.length - cap + 1) : [...xs];
  out.push(x);
  return out;
};
