/**
 * Annualisation convention for backtest metrics. Crypto markets trade every day of the year, so a
 * year is 365 days of 24 hours (no 252-trading-day convention, no leap days): hourly bars give
 * 24 × 365 = 8,760 periods a year, minute bars 525,600, daily bars 365.
 */
export const MS_PER_DAY = 86_400_000;
export const MS_PER_YEAR = 365 * MS_PER_DAY;

/**
 * Periods per year of a curve sampled every `intervalMs` milliseconds.
 *
 * @example periodsPerYear(3_600_000) // 8760 (hourly bars)
 */
export function periodsPerYear(intervalMs: number): number {
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new RangeError(`sampling interval must be a finite number of ms > 0, got ${intervalMs}`);
  return MS_PER_YEAR / intervalMs;
}

/** Years spanned by `elapsedMs` of event time, on the 365-day year. */
export const yearsOf = (elapsedMs: number): number => elapsedMs / MS_PER_YEAR;
