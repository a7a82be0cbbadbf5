import type { EquityPoints } from './report-parts.js';

/**
 * An equity curve as the JSON reports hold it: parallel arrays (`pd.DataFrame(curve)` gives the
 * columns `ts` and `equity`; the `sampled` flag broadcasts). The first row is the deposit, the
 * starting capital at the run's start; each later row is the mark-to-market equity at the end of
 * a period (a bar), in quote currency at event time `ts` (epoch ms). So `equity[-1] / equity[0]
 * − 1` is `total_return`, and the largest fall from the running maximum, as a fraction of it, is
 * `max_drawdown`.
 */
export type CurveJson = Readonly<{
  /**
   * false: every period is here (`ts.length` is `periods` + 1). true: the curve had more than
   * {@link MAX_CURVE_ROWS} rows and was thinned (see {@link curveJson}): total return and max
   * drawdown still come out exact, the per-period statistics do not.
   */
  sampled: boolean;
  ts: readonly number[];
  equity: readonly number[];
}>;

/** Most rows a curve keeps at full resolution: a 1h run of 11 years, a 1m run of 69 days (about 3 MB). */
export const MAX_CURVE_ROWS = 100_000;

/**
 * The curve that starts with `capital` at `startTs` and goes through `points`, as {@link CurveJson}.
 * Past `maxRows` rows it keeps the first and last row, in each run of consecutive rows the lowest
 * and the highest, and the peak and trough of the deepest drawdown, all in time order: the
 * recomputed total return and max drawdown equal those of the full curve.
 *
 * @example curveJson(Date.parse(report.window.from), report.capital, strategyEquity)
 */
export function curveJson(startTs: number, capital: number, points: EquityPoints, maxRows = MAX_CURVE_ROWS): CurveJson {
  const ts = [startTs, ...points.map((p) => p.ts)];
  const equity = [capital, ...points.map((p) => p.equity)];
  if (ts.length <= maxRows) return { sampled: false, ts, equity };
  // The deepest drawdown's peak and trough: kept so that no thinning makes it shallower.
  let peak = 0;
  let deepest = { dd: 0, peak: 0, trough: 0 };
  for (let i = 1; i < equity.length; i++) {
    if ((equity[i] as number) >= (equity[peak] as number)) peak = i;
    else {
      const dd = 1 - (equity[i] as number) / (equity[peak] as number);
      if (dd > deepest.dd) deepest = { dd, peak, trough: i };
    }
  }
  const keep = new Set<number>([0, ts.length - 1, deepest.peak, deepest.trough]);
  const budget = Math.max(1, Math.floor((maxRows - keep.size) / 2));
  const size = Math.ceil(equity.length / budget);
  for (let from = 0; from < equity.length; from += size) {
    let lo = from;
    let hi = from;
    for (let i = from; i < Math.min(from + size, equity.length); i++) {
      if ((equity[i] as number) < (equity[lo] as number)) lo = i;
      if ((equity[i] as number) > (equity[hi] as number)) hi = i;
    }
    keep.add(lo).add(hi);
  }
  const rows = [...keep].sort((a, b) => a - b);
  return { sampled: true, ts: rows.map((i) => ts[i] as number), equity: rows.map((i) => equity[i] as number) };
}

/**
 * `value` as pretty JSON (two-space indent) with `curves` added last, each curve's arrays on one
 * line: one number per line made a 1h backtest of four years 300,000 lines long.
 */
export function jsonWithCurves(value: object, curves: Readonly<Record<string, CurveJson>>): string {
  const body = JSON.stringify(value, null, 2);
  const lines = Object.entries(curves).map(([k, c]) => `    ${JSON.stringify(k)}: { "sampled": ${c.sampled}, "ts": ${JSON.stringify(c.ts)}, "equity": ${JSON.stringify(c.equity)} }`);
  const curvesText = `"curves": {\n${lines.join(',\n')}\n  }`;
  return body === '{}' ? `{\n  ${curvesText}\n}\n` : `${body.slice(0, -2)},\n  ${curvesText}\n}\n`;
}
