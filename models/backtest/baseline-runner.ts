import { createPaperVenue } from '../execution/paper-venue-core.js';
import type { PaperVenueOptions, PaperVenueStats, VenueOutput } from '../execution/paper-venue-core.js';
import { TIMEFRAME_MS } from '../../streams/messages/bar.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { OrderSide } from '../../streams/messages/order-side.js';
import { sideSign } from '../../streams/messages/order-side.js';
import { OrderSchema, orderId } from '../../streams/messages/order.js';
import type { Order } from '../../streams/messages/order.js';
import { periodsPerYear } from './annualisation.js';
import type { EquityPoint } from './equity-curve.js';
import { performanceMetrics } from './performance-metrics.js';
import type { PerformanceInput, PerformanceMetrics } from './performance-metrics.js';
import { createPortfolio } from './portfolio.js';
import type { Portfolio } from './portfolio.js';

/** What a baseline sees once every symbol's bar of one timestamp has been booked. */
export type BaselineContext = Readonly<{
  /** Decision time: the close time (open ts + bar length) of this timestamp's bars. */
  ts: number;
  /** This timestamp's bars, in input order. */
  bars: readonly Bar[];
  portfolio: Portfolio;
  /** Quantity of `symbol` still working on the venue on `side` (orders placed, not yet filled). */
  pending(symbol: string, side: OrderSide): number;
}>;

/** A market order a baseline wants; the runner turns it into a valid `Order`. */
export type OrderIntent = Readonly<{ symbol: string; side: OrderSide; qty: number }>;

export type BaselineStrategy = Readonly<{
  /** Strategy token on orders and the prefix of their ids (`<name>:<symbol>:<ts>`). */
  name: string;
  onBars(ctx: BaselineContext): readonly OrderIntent[];
}>;

/** What every baseline is run with: the capital, the strategy's own paper venue costs, the bar length. */
export type BaselineRunOptions = Readonly<{
  capital: number;
  venue: PaperVenueOptions;
  /** Bar length in ms; optional because the bars' `tf` says it, checked against it when given. */
  barMs?: number;
  /**
   * Bars before the first of the run (a backtest's feature warm-up) that only teach the venue each
   * symbol's σ, volume and bar spread, as the strategy's venue learns them from the same bars:
   * without them a baseline's first fill met a venue with no σ yet, so buy-and-hold never paid
   * square-root impact whatever `impactCoeff` was. Nothing is decided, marked or sampled on them.
   */
  warmup?: readonly Bar[];
  /**
   * Event time the run starts at with the capital: a backtest's window start (`from`), so a
   * baseline's curve spans the same time as the strategy's it is compared with. Default the first
   * bar's open time; never after it. Where every symbol's data starts inside the window (or `from`
   * is not on a bar's open), the strategy's curve started at `from` and the baselines' at their
   * first bar: their annualised return, turnover and drawdown durations were measured over less
   * time than the strategy's.
   */
  startTs?: number;
}>;

/** `performanceMetrics`' input (every field given) plus the metrics and what the venue did. */
export type BaselineRun = PerformanceInput &
  Readonly<{
    periodsPerYear: number;
    metrics: PerformanceMetrics;
    venue: PaperVenueStats;
    /** Open positions at the end (base units), by symbol: they are not in `trades`. */
    finalPositions: Readonly<Record<string, number>>;
  }>;

/**
 * Baselines keep working a market order until it fills (the volume cap may spread it over
 * bars): walking away from their own intent would make the benchmark depend on a timeout.
 */
const NEVER = Number.MAX_SAFE_INTEGER;

const checkBars = (bars: readonly Bar[], venue: string, barMs: number | undefined): number => {
  const first = bars[0];
  if (first === undefined) throw new RangeError('baseline: no bars to run on');
  if (barMs !== undefined && barMs !== TIMEFRAME_MS[first.tf]) throw new RangeError(`baseline: barMs ${barMs} does not match the bars' timeframe ${first.tf} (${TIMEFRAME_MS[first.tf]} ms)`);
  let prev = first.ts;
  const seen = new Set<string>();
  for (let i = 0; i < bars.length; i++) {
    const b = bars[i] as Bar;
    if (b.venue !== venue) throw new RangeError(`baseline: bar ${i} (${b.id}) is from venue ${b.venue}, the paper venue stands in for ${venue}`);
    if (b.tf !== first.tf) throw new RangeError(`baseline: bar ${i} (${b.id}) is ${b.tf}, the run is ${first.tf}: one timeframe per run`);
    if (!(Number.isFinite(b.ts) && b.ts >= prev)) throw new RangeError(`baseline: bar ${i} (${b.id}) ts ${b.ts} is before ${prev}: bars must be merged in time order`);
    if (b.ts > prev) seen.clear();
    if (seen.has(b.symbol)) throw new RangeError(`baseline: two ${b.symbol} bars at ts ${b.ts}`);
    seen.add(b.symbol);
    prev = b.ts;
  }
  return TIMEFRAME_MS[first.tf];
};

/**
 * The market order a baseline's intent becomes when decided at `at`, the close time of the bars
 * it saw (on the bar grid). It carries `decidedAt: at`, as the engine's orders carry their
 * decision's close: from `ts` alone a reader of the order (the labeler's rule for orders without
 * it) takes a grid time for the open of the bar decided on, i.e. the next bar, whose close and
 * vector come a bar after the decision. `held`: the position before it (for `reducing`).
 */
export function baselineOrder(a: Readonly<{ strategy: string; venue: string; intent: OrderIntent; held: number; at: number }>): Order {
  const { intent, held, at } = a;
  const suggestionId = `${a.strategy}:${intent.symbol}:${at}`;
  return OrderSchema.parse({
    type: 'exec.order',
    v: 1,
    id: orderId(suggestionId),
    ts: at,
    strategy: a.strategy,
    venue: a.venue,
    symbol: intent.symbol,
    suggestionId,
    side: intent.side,
    qty: intent.qty,
    orderType: 'market',
    limitPrice: null,
    expiresAt: NEVER,
    reducing: sideSign(intent.side) * held < 0 && intent.qty <= Math.abs(held),
    decidedAt: at,
  });
}

/**
 * Replays `bars` (all symbols merged in time order, one timeframe, the venue's own) through the
 * same paper venue core Sextant trades on, so fees, spread, square-root impact, the volume cap
 * and partial fills apply to a baseline exactly as to a strategy. Per timestamp: every bar meets
 * the venue (fills are booked, then the symbol is marked at its close), then the strategy decides
 * at the bars' close time, then equity and gross exposure are sampled. An order placed at close
 * time T meets the bar that opens at T, i.e. it fills at the next open ± half the spread.
 *
 * The curve starts at `run.startTs` (default the first bar's open time) with the capital, and each point sits at a
 * bar close, so points are strictly after `startTs` as `performanceMetrics` requires.
 */
export function runBaseline(bars: readonly Bar[], run: BaselineRunOptions, strategy: BaselineStrategy): BaselineRun {
  const { capital, venue: venueOpts } = run;
  const barMs = checkBars(bars, venueOpts.venue, run.barMs);
  const firstTs = (bars[0] as Bar).ts;
  const startTs = run.startTs ?? firstTs;
  if (!(Number.isFinite(startTs) && startTs <= firstTs)) throw new RangeError(`baseline: startTs ${startTs} must be a finite time at or before the first bar (${firstTs})`);
  const venue = createPaperVenue(venueOpts);
  for (const b of run.warmup ?? []) {
    if (!(b.ts < firstTs)) throw new RangeError(`baseline: warm-up bar ${b.id} is not before the first bar of the run`);
    venue.onMarket(b);
  }
  const portfolio = createPortfolio(capital);
  const working = new Map<string, { symbol: string; side: OrderSide }>();
  const equity: EquityPoint[] = [];
  const grossExposure: number[] = [];

  const book = (out: VenueOutput): void => {
    for (const f of out.fills) portfolio.apply(f);
  };
  const pending = (symbol: string, side: OrderSide): number => {
    let q = 0;
    for (const w of venue.working()) {
      const o = working.get(w.orderId);
      if (o !== undefined && o.symbol === symbol && o.side === side) q += w.remaining;
    }
    return q;
  };

  const decide = (group: readonly Bar[], ts: number): void => {
    for (const intent of strategy.onBars({ ts, bars: group, portfolio, pending })) {
      const order = baselineOrder({ strategy: strategy.name, venue: venueOpts.venue, intent, held: portfolio.position(intent.symbol), at: ts });
      working.set(order.id, { symbol: order.symbol, side: order.side });
      book(venue.onOrder(order, ts));
    }
    equity.push({ ts, equity: portfolio.equity() });
    grossExposure.push(portfolio.grossExposure());
  };

  let group: Bar[] = [];
  for (const bar of bars) {
    if (group.length > 0 && bar.ts !== (group[0] as Bar).ts) {
      decide(group, (group[0] as Bar).ts + barMs);
      group = [];
    }
    book(venue.onMarket(bar));
    portfolio.mark(bar.symbol, bar.close);
    group.push(bar);
  }
  decide(group, (group[0] as Bar).ts + barMs);

  const input = {
    startTs,
    startingCapital: capital,
    equity,
    grossExposure,
    trades: portfolio.trades(),
    feesPaid: portfolio.feesPaid(),
    tradedNotional: portfolio.tradedNotional(),
    periodsPerYear: periodsPerYear(barMs),
  };
  const finalPositions: Record<string, number> = {};
  for (const s of portfolio.symbols()) finalPositions[s] = portfolio.position(s);
  return { ...input, metrics: performanceMetrics(input), venue: venue.stats(), finalPositions };
}
