import type { Direction, PathBar } from './excursions.js';

export const Barrier = { takeProfit: 'take_profit', stopLoss: 'stop_loss', vertical: 'vertical' } as const;
export type Barrier = (typeof Barrier)[keyof typeof Barrier];

export type TripleBarrierInput = Readonly<{
  entry: number;
  /** ATR-14 at decision time, in price units (> 0). */
  atr: number;
  direction: Direction;
  takeProfitAtr: number;
  stopLossAtr: number;
  /** Bars after the decision bar up to and including the horizon bar, ascending by time. */
  path: readonly PathBar[];
  /** Event time of the vertical barrier (open time of the horizon bar). */
  horizonEnd: number;
}>;

export type TripleBarrier = Readonly<{
  /** +1 take-profit first, −1 stop-loss first, 0 vertical barrier (neither touched by the horizon). */
  label: 1 | -1 | 0;
  barrier: Barrier;
  /** Open time of the bar that touched the barrier; `horizonEnd` for the vertical barrier. */
  hitTs: number;
  /** Barrier prices. */
  takeProfit: number;
  stopLoss: number;
}>;

/**
 * The triple-barrier label (López de Prado): take-profit and stop-loss at `entry ± k·ATR` on the
 * favourable and adverse side of `direction`, vertical barrier at the horizon. A bar touches a
 * barrier when its high (low) reaches it; a bar that gaps through counts as a touch.
 *
 * When one bar touches both barriers its intrabar order is unknown; the label is then decided
 * conservatively as the STOP-LOSS (−1): a training label should never credit a profit the path
 * may not have allowed.
 */
export function tripleBarrier(x: TripleBarrierInput): TripleBarrier {
  if (!(x.atr > 0) || !Number.isFinite(x.atr)) throw new RangeError(`atr must be a positive finite number, got ${x.atr}`);
  const up = x.direction === 1;
  const takeProfit = up ? x.entry + x.takeProfitAtr * x.atr : x.entry - x.takeProfitAtr * x.atr;
  const stopLoss = up ? x.entry - x.stopLossAtr * x.atr : x.entry + x.stopLossAtr * x.atr;
  // A price exactly on a barrier touches it: `entry ± k·ATR` carries rounding error (100.1 − 0.7 is
  // 99.39999999999999), which left a low of exactly 99.4 short of the stop. 1e-9 of the entry is far
  // below any tick and far above that error.
  const eps = 1e-9 * x.entry;
  for (const b of x.path) {
    const tp = up ? b.high >= takeProfit - eps : b.low <= takeProfit + eps;
    const sl = up ? b.low <= stopLoss + eps : b.high >= stopLoss - eps;
    if (sl) return { label: -1, barrier: Barrier.stopLoss, hitTs: b.ts, takeProfit, stopLoss };
    if (tp) return { label: 1, barrier: Barrier.takeProfit, hitTs: b.ts, takeProfit, stopLoss };
  }
  return { label: 0, barrier: Barrier.vertical, hitTs: x.horizonEnd, takeProfit, stopLoss };
}
