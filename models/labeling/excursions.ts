/** One bar of a price path: open time and the prices the labels need. */
export type PathBar = Readonly<{ ts: number; high: number; low: number; close: number }>;

/** +1 long (prediction up / buy order), −1 short (prediction down / sell order). */
export type Direction = 1 | -1;

export type Excursions = Readonly<{
  /** Maximum favourable excursion: best direction-signed simple return, `dir·(extreme − entry)/entry`. */
  mfe: number;
  /** Maximum adverse excursion: worst direction-signed simple return (≤ 0 unless the path never went against). */
  mae: number;
}>;

/**
 * MFE and MAE over the bars of the horizon, from bar highs and lows, as simple returns relative
 * to the entry price and signed by direction: for a long, `mfe = max(high)/entry − 1` and
 * `mae = min(low)/entry − 1`; for a short, `mfe = 1 − min(low)/entry`, `mae = 1 − max(high)/entry`.
 * Not clipped at 0, so a path that never trades through the entry shows it. An empty path gives 0, 0.
 *
 * @example excursions(100, 1, [{ ts: 1, high: 103, low: 98, close: 101 }]) // { mfe: ≈0.03, mae: ≈-0.02 }
 */
export function excursions(entry: number, direction: Direction, path: readonly PathBar[]): Excursions {
  if (path.length === 0) return { mfe: 0, mae: 0 };
  let hi = -Infinity;
  let lo = Infinity;
  for (const b of path) {
    if (b.high > hi) hi = b.high;
    if (b.low < lo) lo = b.low;
  }
  return direction === 1 ? { mfe: hi / entry - 1, mae: lo / entry - 1 } : { mfe: 1 - lo / entry, mae: 1 - hi / entry };
}
