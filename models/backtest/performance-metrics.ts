import { z } from 'zod';
import { nonNegative, positive } from '../../streams/messages/common.js';
import { MS_PER_YEAR, periodsPerYear as periodsPerYearOf, yearsOf } from './annualisation.js';
import { annualisedReturn, assertEquityCurve, drawdown, elapsedMs, periodReturns, totalReturn } from './equity-curve.js';
import type { EquityCurve, EquityPoint } from './equity-curve.js';
import { sortino, sharpe, volatility } from './return-stats.js';
import { ClosedTradeSchema, tradeStats } from './trade-stats.js';
import type { ClosedTrade } from './trade-stats.js';

/**
 * What a backtest hands to {@link performanceMetrics}. Amounts are in quote currency, times in
 * event-time epoch ms.
 */
export type PerformanceInput = Readonly<{
  /** Event time at which the capital was deposited; every equity point is strictly after it. */
  startTs: number;
  startingCapital: number;
  /** Mark-to-market equity at the end of each period, strictly increasing `ts`. */
  equity: readonly EquityPoint[];
  /**
   * Gross exposure (Σ|position value| / equity) carried through each period, aligned with
   * `equity` (same length). 0 means flat for that period. From the first period that ends with
   * equity at or below zero on, the share has no meaning and the entries are ignored (they may be
   * +Infinity or NaN): see `ruined_at_ms`.
   */
  grossExposure: readonly number[];
  trades: readonly ClosedTrade[];
  /** All fees paid, net of rebates (negative fees), including those of positions still open at the end. */
  feesPaid: number;
  /** Σ |qty × price| of every fill, both legs of each round trip. */
  tradedNotional: number;
  /**
   * Periods per year used to annualise volatility, Sharpe and Sortino: `periodsPerYear(barMs)`
   * (365-day year). Defaults to the curve's mean sampling interval.
   */
  periodsPerYear?: number;
}>;

const metric = z.number().refine(Number.isFinite, { message: 'must be a finite number' });
const maybe = metric.nullable();

/**
 * Backtest performance metrics, snake_case because they are the keys of the backtest
 * `report.json`. Ratios are fractions (0.05 = 5 %). Every value is a finite number, or null
 * where the metric is undefined (no trades, no losing period, fewer than two periods …), never
 * NaN or ±Infinity, so the JSON round-trips.
 */
export const PerformanceMetricsSchema = z
  .object({
    /** Periods on the curve and the event time they span. */
    periods: z.number().int().positive(),
    elapsed_ms: metric,
    /** final equity / starting capital − 1. */
    total_return: metric,
    /** CAGR over the elapsed event time on a 365-day year; null if it overflows (very short runs). */
    annualised_return: maybe,
    /** Sample stdev (n − 1) of per-period simple returns × √periodsPerYear; null with one period. */
    volatility: maybe,
    /** mean / stdev × √periodsPerYear, risk-free 0; null when the stdev is 0 or undefined. */
    sharpe: maybe,
    /** mean / downside deviation (target 0, over all periods) × √periodsPerYear; null with no losing period. */
    sortino: maybe,
    /** Largest fall from the high-water mark as a positive fraction of that mark. */
    max_drawdown: metric,
    /** Longest time from a high-water mark to recovery, or to the end if not recovered. */
    max_drawdown_duration_ms: metric,
    /** annualised_return / max_drawdown; null without a drawdown. */
    calmar: maybe,
    trades: z.number().int().nonnegative(),
    win_rate: maybe,
    profit_factor: maybe,
    average_trade: maybe,
    gross_profit: metric,
    gross_loss: metric,
    /** Traded notional / mean period-end equity, over the whole run (not annualised). */
    turnover: maybe,
    /** turnover / elapsed years: comparable between runs of different length. */
    annualised_turnover: maybe,
    /** Share of periods with a nonzero position, over the periods before ruin; null if the first period ruined the account. */
    exposure: maybe,
    /** Mean gross exposure over the periods before ruin (flat periods count as 0); null if the first period ruined the account. */
    average_gross_exposure: maybe,
    fees_paid: metric,
    /**
     * Event time (epoch ms) of the first period that ended with equity at or below zero: the
     * account was ruined there (it had lost 100 % or more of the capital, so max_drawdown ≥ 1, and
     * the per-period returns behind volatility, Sharpe and Sortino stop there). Null when equity
     * stayed above zero.
     */
    ruined_at_ms: maybe,
  })
  .strict()
  .readonly();
export type PerformanceMetrics = z.infer<typeof PerformanceMetricsSchema>;

const ScalarsSchema = z.object({
  /** Net of rebates: negative when maker rebates exceeded the fees paid. */
  feesPaid: metric,
  tradedNotional: nonNegative,
  periodsPerYear: positive.optional(),
  trades: z.array(ClosedTradeSchema),
});

const finiteOrNull = (x: number | null): number | null => (x !== null && Number.isFinite(x) ? x : null);

/**
 * Computes every backtest metric from the equity curve, the closed trades and the run's totals.
 * Pure and deterministic: same input, bit-identical output. Throws a RangeError or ZodError
 * naming the offending field on malformed input.
 *
 * @example
 * performanceMetrics({ startTs: 0, startingCapital: 1000, equity: [{ ts: 3_600_000, equity: 1010 }],
 *   grossExposure: [1], trades: [], feesPaid: 0, tradedNotional: 2000, periodsPerYear: 8760 }).total_return // ≈ 0.01
 */
export function performanceMetrics(input: PerformanceInput): PerformanceMetrics {
  const curve: EquityCurve = { startTs: input.startTs, startingCapital: input.startingCapital, points: input.equity };
  assertEquityCurve(curve);
  const scalars = ScalarsSchema.parse({
    feesPaid: input.feesPaid,
    tradedNotional: input.tradedNotional,
    periodsPerYear: input.periodsPerYear,
    trades: input.trades,
  });
  const n = input.equity.length;
  if (input.grossExposure.length !== n) throw new RangeError(`grossExposure has ${input.grossExposure.length} entries for ${n} equity points`);

  const elapsed = elapsedMs(curve);
  const ppy = scalars.periodsPerYear ?? periodsPerYearOf(elapsed / n);
  const returns = periodReturns(curve);
  const cagr = annualisedReturn(curve, MS_PER_YEAR);
  const dd = drawdown(curve);
  const ts = tradeStats(scalars.trades);

  // Position value over a non-positive equity is no share of anything: exposure is measured over
  // the periods before the account was ruined, and the entries from there on are not read.
  let solvent = 0;
  while (solvent < n && (input.equity[solvent] as EquityPoint).equity > 0) solvent++;
  let exposed = 0;
  let exposureSum = 0;
  let equitySum = 0;
  for (let i = 0; i < n; i++) {
    equitySum += (input.equity[i] as EquityPoint).equity;
    if (i >= solvent) continue;
    const g = input.grossExposure[i] as number;
    if (!Number.isFinite(g) || g < 0) throw new RangeError(`grossExposure[${i}] must be a finite number >= 0, got ${g}`);
    if (g > 0) exposed++;
    exposureSum += g;
  }
  const meanEquity = equitySum / n;
  const turnover = meanEquity > 0 ? scalars.tradedNotional / meanEquity : null;

  return PerformanceMetricsSchema.parse({
    periods: n,
    elapsed_ms: elapsed,
    total_return: totalReturn(curve),
    annualised_return: cagr,
    volatility: finiteOrNull(volatility(returns, ppy)),
    sharpe: finiteOrNull(sharpe(returns, ppy)),
    sortino: finiteOrNull(sortino(returns, ppy)),
    max_drawdown: dd.maxDrawdown,
    max_drawdown_duration_ms: dd.maxDurationMs,
    calmar: cagr === null || dd.maxDrawdown === 0 ? null : finiteOrNull(cagr / dd.maxDrawdown),
    trades: ts.trades,
    win_rate: ts.winRate,
    profit_factor: finiteOrNull(ts.profitFactor),
    average_trade: ts.averageTrade,
    gross_profit: ts.grossProfit,
    gross_loss: ts.grossLoss,
    turnover: finiteOrNull(turnover),
    annualised_turnover: turnover === null ? null : finiteOrNull(turnover / yearsOf(elapsed)),
    exposure: solvent === 0 ? null : exposed / solvent,
    average_gross_exposure: solvent === 0 ? null : exposureSum / solvent,
    fees_paid: scalars.feesPaid,
    ruined_at_ms: solvent === n ? null : (input.equity[solvent] as EquityPoint).ts,
  });
}
