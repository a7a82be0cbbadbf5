import { FillSchema } from '../../streams/messages/fill.js';
import type { Fill } from '../../streams/messages/fill.js';
import { sideSign } from '../../streams/messages/order-side.js';
import { createRoundTrips, roundTrips } from './round-trips.js';
import type { ClosedTrade } from './trade-stats.js';

/**
 * What a backtest holds: quote-currency cash, a signed position per symbol, the last price each
 * symbol was marked at, and the run's totals. Fills change cash and positions (fees come out of
 * cash); marks only change what the positions are worth.
 */
export type Portfolio = Readonly<{
  /** Books a fill (validated with `FillSchema`): cash −= ±qty·price + fee. */
  apply(fill: Fill): void;
  /** Marks `symbol` at `price` (a bar close): the price equity and exposure are computed at. */
  mark(symbol: string, price: number): void;
  cash(): number;
  /** Signed position in base units (> 0 long), 0 for a symbol never traded. */
  position(symbol: string): number;
  /** Symbols that have a nonzero position, sorted. */
  symbols(): readonly string[];
  /** Cash + Σ position × mark. */
  equity(): number;
  /** Σ |position × mark|. */
  grossValue(): number;
  /**
   * Gross value / equity: 0 when flat. An account with positions and equity ≤ 0 has no
   * meaningful share and gets +Infinity; `performanceMetrics` does not read the exposure of a
   * ruined period (it reports `ruined_at_ms`) rather than averaging a made-up number.
   */
  grossExposure(): number;
  feesPaid(): number;
  /** Σ |qty × price| of every fill booked. */
  tradedNotional(): number;
  /** Round trips closed so far (see `createRoundTrips`). */
  trades(): readonly ClosedTrade[];
}>;

/**
 * A position smaller than this share of the largest it has been counts as flat, so float dust
 * left by partial fills (0.1 + 0.2 − 0.3) neither shows as exposure nor keeps a symbol listed.
 */
const DUST = 1e-9;

/**
 * A portfolio starting with `startingCapital` of quote-currency cash and no positions.
 * Deterministic: its state is a function of the fills and marks in the order given. A position
 * held without a mark is an error at valuation time, not a silent zero.
 *
 * @example
 * const p = createPortfolio(1000); p.apply(fill); p.mark('BTC/USDT', 101); p.equity()
 */
export function createPortfolio(startingCapital: number): Portfolio {
  if (!(Number.isFinite(startingCapital) && startingCapital > 0)) throw new RangeError(`startingCapital must be a finite number > 0, got ${startingCapital}`);
  let cash = startingCapital;
  let fees = 0;
  let notional = 0;
  const positions = new Map<string, { qty: number; peak: number }>();
  const marks = new Map<string, number>();
  const tracker = createRoundTrips();

  const markOf = (symbol: string): number => {
    const m = marks.get(symbol);
    if (m === undefined) throw new RangeError(`portfolio: ${symbol} is held but has never been marked`);
    return m;
  };

  const grossValue = (): number => {
    let g = 0;
    for (const [symbol, p] of positions) g += Math.abs(p.qty * markOf(symbol));
    return g;
  };
  const equity = (): number => {
    let e = cash;
    for (const [symbol, p] of positions) e += p.qty * markOf(symbol);
    return e;
  };

  return {
    apply(raw) {
      const fill = FillSchema.parse(raw);
      const s = sideSign(fill.side);
      cash -= s * fill.qty * fill.price + fill.fee;
      fees += fill.fee;
      notional += fill.qty * fill.price;
      const p = positions.get(fill.symbol) ?? { qty: 0, peak: 0 };
      p.qty += s * fill.qty;
      p.peak = Math.max(p.peak, Math.abs(p.qty));
      if (Math.abs(p.qty) <= DUST * p.peak) positions.delete(fill.symbol);
      else positions.set(fill.symbol, p);
      if (!marks.has(fill.symbol)) marks.set(fill.symbol, fill.price);
      tracker.apply(fill);
    },
    mark(symbol, price) {
      if (!(Number.isFinite(price) && price > 0)) throw new RangeError(`portfolio: mark of ${symbol} must be a finite price > 0, got ${price}`);
      marks.set(symbol, price);
    },
    cash: () => cash,
    position: (symbol) => positions.get(symbol)?.qty ?? 0,
    symbols: () => [...positions.keys()].sort(),
    equity,
    grossValue,
    grossExposure() {
      const g = grossValue();
      if (g === 0) return 0;
      const e = equity();
      return e > 0 ? g / e : Number.POSITIVE_INFINITY;
    },
    feesPaid: () => fees,
    tradedNotional: () => notional,
    trades: () => tracker.closed(),
  };
}

/**
 * The closed round trips of a fill sequence (the same cut as {@link Portfolio.trades}), for a
 * caller that collected fills elsewhere, e.g. from the engine's fill stream.
 */
export const closedTrades = (fills: Iterable<Fill>): ClosedTrade[] => roundTrips(fills);
