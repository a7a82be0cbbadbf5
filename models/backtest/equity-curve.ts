/**
 * Path metrics of an equity curve: per-period returns, compound annual growth and drawdowns.
 *
 * Convention: the backtest starts at `startTs` with `startingCapital`; `points` are the
 * mark-to-market equity at the end of each period, in strictly increasing event time after
 * `startTs`. So `n` points give `n` periods, the first one measured against the capital (fees
 * of the opening fills count), and the elapsed time is `points[n-1].ts − startTs`.
 */
export type EquityPoint = Readonly<{ ts: number; equity: number }>;

export type EquityCurve = Readonly<{ startTs: number; startingCapital: number; points: readonly EquityPoint[] }>;

/**
 * Refuses a curve the metrics cannot be honest about: no points, non-finite or unordered times,
 * non-finite equity, a capital that is not > 0. Equity may reach zero or below (a ruined
 * account); see {@link periodReturns}. Loops rather than zod because a curve can hold a year of
 * minute bars (525,600 points) and the error should name the offending index.
 */
export function assertEquityCurve(curve: EquityCurve): void {
  const { startTs, startingCapital, points } = curve;
  if (!Number.isFinite(startTs)) throw new RangeError(`startTs must be a finite epoch ms, got ${startTs}`);
  if (!Number.isFinite(startingCapital) || startingCapital <= 0) throw new RangeError(`startingCapital must be a finite number > 0, got ${startingCapital}`);
  if (points.length === 0) throw new RangeError('equity curve has no points');
  let prevTs = startTs;
  for (let i = 0; i < points.length; i++) {
    const p = points[i] as EquityPoint;
    if (!Number.isFinite(p.ts) || p.ts <= prevTs) {
      throw new RangeError(`equity point ${i}: ts ${p.ts} must be finite and after ${i === 0 ? 'startTs' : 'the previous point'} (${prevTs})`);
    }
    if (!Number.isFinite(p.equity)) throw new RangeError(`equity point ${i}: equity ${p.equity} is not finite`);
    prevTs = p.ts;
  }
}

/** Elapsed event time of the curve in ms (> 0 for a valid curve). */
export const elapsedMs = (curve: EquityCurve): number => (curve.points[curve.points.length - 1] as EquityPoint).ts - curve.startTs;

/** Final equity over starting capital, minus one. */
export const totalReturn = (curve: EquityCurve): number => (curve.points[curve.points.length - 1] as EquityPoint).equity / curve.startingCapital - 1;

/**
 * Simple per-period returns `e_i / e_{i−1} − 1` with `e_{−1}` = the starting capital. A return
 * out of a non-positive equity has no meaning, so the series stops at the first period that ends
 * at or below zero (that period's return, ≤ −100 %, is kept): a ruined account does not trade on.
 */
export function periodReturns(curve: EquityCurve): Float64Array {
  const { points } = curve;
  const out = new Float64Array(points.length);
  let prev = curve.startingCapital;
  let n = 0;
  for (const p of points) {
    out[n++] = p.equity / prev - 1;
    if (p.equity <= 0) break;
    prev = p.equity;
  }
  return n === points.length ? out : out.slice(0, n);
}

/**
 * Compound annual growth rate over the elapsed event time:
 * `(final / capital)^(1 / years) − 1`, −1 when the account ends at or below zero. Null when the
 * result is not a finite number — a +10 % hour annualises to ≈ 10^362, which says nothing.
 */
export function annualisedReturn(curve: EquityCurve, msPerYear: number): number | null {
  const growth = (curve.points[curve.points.length - 1] as EquityPoint).equity / curve.startingCapital;
  if (growth <= 0) return -1;
  const cagr = Math.pow(growth, msPerYear / elapsedMs(curve)) - 1;
  return Number.isFinite(cagr) ? cagr : null;
}

export type Drawdown = Readonly<{
  /** Largest `(peak − equity) / peak`, a positive fraction (0 when equity never fell). */
  maxDrawdown: number;
  /**
   * Longest time in ms from the last time equity stood at its high-water mark to the first
   * point at or above it again, or to the end of the curve if it never recovered.
   */
  maxDurationMs: number;
}>;

/**
 * Max drawdown and its longest duration. The high-water mark starts at the capital at
 * `startTs` and never falls, so it stays > 0 and the fraction is always defined (it exceeds 1
 * only if equity goes negative). Touching the mark again ends a drawdown and restarts its clock.
 */
export function drawdown(curve: EquityCurve): Drawdown {
  let peak = curve.startingCapital;
  let peakTs = curve.startTs;
  let under = false;
  let maxDrawdown = 0;
  let maxDurationMs = 0;
  for (const p of curve.points) {
    if (p.equity >= peak) {
      if (under) maxDurationMs = Math.max(maxDurationMs, p.ts - peakTs);
      under = false;
      peak = p.equity;
      peakTs = p.ts;
    } else {
      under = true;
      maxDrawdown = Math.max(maxDrawdown, (peak - p.equity) / peak);
    }
  }
  // An unrecovered drawdown runs to the end of the curve.
  if (under) maxDurationMs = Math.max(maxDurationMs, (curve.points[curve.points.length - 1] as EquityPoint).ts - peakTs);
  return { maxDrawdown, maxDurationMs };
}
