/**
 * Risk-adjusted statistics of a per-period simple-return series. All annualise with
 * `√periodsPerYear`, which assumes evenly spaced periods (bars); the risk-free rate is 0, as is
 * usual for crypto where cash earns nothing by default.
 */

const mean = (r: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i] as number;
  return s / r.length;
};

/**
 * Sample standard deviation (n − 1) of `r`; null with fewer than two periods. Exactly 0 when
 * every return is identical: summing then dividing leaves ulp-sized deviations from the mean
 * that would otherwise turn a constant-return curve into a Sharpe of 10^16.
 */
export function sampleStdev(r: ArrayLike<number>): number | null {
  const n = r.length;
  if (n < 2) return null;
  const first = r[0] as number;
  let constant = true;
  for (let i = 1; i < n && constant; i++) constant = r[i] === first;
  if (constant) return 0;
  const m = mean(r);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((r[i] as number) - m) ** 2;
  return Math.sqrt(ss / (n - 1));
}

/** Annualised volatility: sample stdev × √periodsPerYear; null with fewer than two periods. */
export function volatility(r: ArrayLike<number>, periodsPerYear: number): number | null {
  const sd = sampleStdev(r);
  return sd === null ? null : sd * Math.sqrt(periodsPerYear);
}

/** Sharpe ratio, mean / sample stdev × √periodsPerYear; null when the stdev is 0 or undefined. */
export function sharpe(r: ArrayLike<number>, periodsPerYear: number): number | null {
  const sd = sampleStdev(r);
  return sd === null || sd === 0 ? null : (mean(r) / sd) * Math.sqrt(periodsPerYear);
}

/**
 * Downside deviation with target 0 over *all* periods, `√(Σ min(r, 0)² / n)` (Sortino & Price:
 * periods above target count as zero shortfall, and the divisor is n, not the number of losing
 * periods). Null on an empty series.
 */
export function downsideDeviation(r: ArrayLike<number>): number | null {
  if (r.length === 0) return null;
  let ss = 0;
  for (let i = 0; i < r.length; i++) {
    const x = r[i] as number;
    if (x < 0) ss += x * x;
  }
  return Math.sqrt(ss / r.length);
}

/** Sortino ratio, mean / downside deviation × √periodsPerYear; null when no period lost money. */
export function sortino(r: ArrayLike<number>, periodsPerYear: number): number | null {
  const dd = downsideDeviation(r);
  return dd === null || dd === 0 ? null : (mean(r) / dd) * Math.sqrt(periodsPerYear);
}
