/**
 * Direction labels for a 3-class classifier: over a horizon of H bars the forward log return
 * `r = ln(close[i+H] / close[i])` is compared with a volatility-scaled band `±k·ATR_14[i]/close[i]`
 * (the ATR known at bar i, so the threshold uses no future data). Scaling by ATR keeps the class
 * balance roughly stable across calm and wild regimes and across assets.
 */

export const Direction = { down: 0, flat: 1, up: 2 } as const;
export type Direction = (typeof Direction)[keyof typeof Direction];
export const DIRECTION_NAMES = ['down', 'flat', 'up'] as const;

export type LabelOptions = Readonly<{
  /** Bars ahead the return is measured over (≥ 1). */
  horizon: number;
  /** Half-width of the flat band in ATR units (≥ 0). */
  kAtr: number;
  /**
   * Bar spacing in ms. When given, a bar whose horizon bar is not exactly `horizon · barMs`
   * later (missing candles) gets no label, so every label spans the same time.
   */
  barMs?: number;
}>;

/** The label of one bar: the class, or null where none can be given (end of data, gap, no ATR). */
export type DirectionLabel = Readonly<{ label: Direction; forwardReturn: number; threshold: number }>;

/** The class of a forward log return against a band of half-width `threshold`. Pure. */
export function directionOf(forwardReturn: number, threshold: number): Direction {
  if (forwardReturn > threshold) return Direction.up;
  if (forwardReturn < -threshold) return Direction.down;
  return Direction.flat;
}

/**
 * Labels every bar. `ts`, `close` and `atr` are parallel arrays (ATR NaN while warming). Bar i
 * gets null when i + H is past the end, when its ATR is unknown, or (with `barMs`) when the
 * horizon spans a gap in the data.
 */
export function directionLabels(
  ts: ArrayLike<number>,
  close: ArrayLike<number>,
  atr: ArrayLike<number>,
  opts: LabelOptions,
): (DirectionLabel | null)[] {
  const { horizon, kAtr, barMs } = opts;
  if (!Number.isInteger(horizon) || horizon < 1) throw new RangeError(`horizon must be a positive integer, got ${horizon}`);
  if (!Number.isFinite(kAtr) || kAtr < 0) throw new RangeError(`kAtr must be a finite number ≥ 0, got ${kAtr}`);
  if (ts.length !== close.length || atr.length !== close.length) throw new RangeError('ts, close and atr must have the same length');
  const out: (DirectionLabel | null)[] = new Array<DirectionLabel | null>(close.length).fill(null);
  for (let i = 0; i + horizon < close.length; i++) {
    const c0 = close[i] as number;
    const c1 = close[i + horizon] as number;
    const a = atr[i] as number;
    if (!Number.isFinite(a) || !(c0 > 0) || !(c1 > 0)) continue;
    if (barMs !== undefined && (ts[i + horizon] as number) - (ts[i] as number) !== horizon * barMs) continue;
    const forwardReturn = Math.log(c1 / c0);
    const threshold = (kAtr * a) / c0;
    out[i] = { label: directionOf(forwardReturn, threshold), forwardReturn, threshold };
  }
  return out;
}
