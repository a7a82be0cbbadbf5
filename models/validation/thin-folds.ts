/**
 * Fewer test rows than this in a fold (a walk-forward segment: bars) and its scores say little.
 * A fold's accuracy over n rows has a 95 % interval of about ±1.96·√(p(1−p)/n): up to ±9.8
 * points at n = 100, already as wide as the edge a direction model has over the majority class
 * (a few points), and wider below. A segment's return, Sharpe ratio and drawdown over n bars rest
 * on n bar returns: the per-bar Sharpe ratio's standard error is about 1/√n, 0.1 at n = 100.
 */
export const THIN_FOLD_ROWS = 100;

/** Folds under the threshold: how many of how many, and the fewest and most rows among them. */
export type ThinFolds = Readonly<{ thin: number; of: number; fewest: number; most: number }>;

/**
 * The folds (or segments) of `rows` (each one's test rows or bars) that hold fewer than `least`;
 * undefined when none does.
 *
 * @example thinFolds([22, 22, 21]) // { thin: 3, of: 3, fewest: 21, most: 22 }
 */
export function thinFolds(rows: readonly number[], least: number = THIN_FOLD_ROWS): ThinFolds | undefined {
  const thin = rows.filter((n) => n < least);
  if (thin.length === 0) return undefined;
  return { thin: thin.length, of: rows.length, fewest: Math.min(...thin), most: Math.max(...thin) };
}

/** `12` or `2–12`: the rows of the thin folds. */
export const thinRange = (t: ThinFolds): string => (t.fewest === t.most ? `${t.fewest}` : `${t.fewest}–${t.most}`);
