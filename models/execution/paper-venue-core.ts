import { takerPrice } from './taker-price.js';
import { MAX_SPREAD_BPS, validateSpreadModel } from './bar-spread.js';
import type { SpreadModel } from './bar-spread.js';
import { coldEstimates, estimatesState, learnBar, restoreEstimates, unpairAcrossHole } from './venue-estimates.js';
import type { EstimateModel, VenueEstimates } from './venue-estimates.js';
import type { Fill } from '../../streams/messages/fill.js';
import { fillId } from '../../streams/messages/fill.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import { knownAt } from '../../streams/messages/market-data.js';
import type { Bar, Timeframe } from '../../streams/messages/bar.js';
import { TIMEFRAME_MS } from '../../streams/messages/bar.js';
import { sideSign } from '../../streams/messages/order-side.js';
import { DUST_SHARE } from '../quantity-dust.js';
import { MAX_FEE_BPS, MAX_REBATE_BPS } from './fee-limit.js';
import type { Order } from '../../streams/messages/order.js';
import { fromJsonNumber, toJsonNumber } from '../features/json-number.js';
import { toV3 } from './paper-venue-snapshot.js';
import type { PaperVenueBookStateV3, PaperVenueSnapshot, PaperVenueSnapshotV3 } from './paper-venue-snapshot.js';

export type PaperVenueOptions = Readonly<{
  /** The venue this simulator stands in for; orders and market data of other venues are ignored. */
  venue: string;
  takerFeeBps: number;
  makerFeeBps: number;
  /** Full spread assumed where no recent quote gives one (trades, bars; see `quoteMaxAgeMs`): takers pay half of it. */
  spreadBps: number;
  /**
   * Square-root impact on taker fills: bps = impactCoeff · σ · sqrt(qty / V) · 1e4, with σ the
   * venue's own EWMA volatility of bar-close log returns (known before the event) and V the
   * volume of the bar being filled (or of the last bar, on quotes and trades), bars of the one
   * timeframe the venue fills on (the finest of the symbol that is still coming: see
   * `createPaperVenue`). Zero until both are known, so a quotes-only feed pays the quoted spread
   * and no impact.
   */
  slippage: Readonly<{ impactCoeff: number }>;
  /** Most of an event's volume (bar volume, trade size, touch size) one side may take, in (0, 1]. */
  maxVolumeShare: number;
  /** Decay of the EWMA volatility of bar closes used for σ (default 0.94). */
  volLambda?: number;
  /**
   * A symbol's market data resuming more than this long after its previous event is a gap in the
   * data: its orders working in the hole (arrived before the data resumed) are cancelled (expired,
   * reason `gap`, stamped when the data resumed) instead of filling on prices from after the hole.
   * Default: no gap rule.
   */
  maxGapMs?: number;
  /**
   * With `maxGapMs`, the gap rule in bars of the timeframe the venue fills on while that is coarser
   * than `maxGapMs` allows for (a 1m strategy's venue fallen back to 1h bars when the 1m feed
   * lapsed): the limit is then the larger of `maxGapMs` and this many of those bars, so an hour's
   * bar after the one before is no hole, and hours missing still are. Default: `maxGapMs` alone.
   */
  maxGapBars?: number;
  /**
   * How the spread is taken where no recent quote gives one (bars, trades): `fixed` = `spreadBps`
   * (default); `range-fraction` or `corwin-schultz` estimate it from the symbol's completed bars
   * (see bar-spread.ts), with `spreadBps` until the estimate has warmed up.
   */
  spreadModel?: SpreadModel;
  /**
   * Order latency in event time: an order arriving at `t` meets the market only from the first
   * event at or after `t + latencyMs` (default 0: from the next event on), or, on a bar that opened
   * at or after `t` and closes after `t + latencyMs`, from the part of that bar after it: the bar's
   * volume cap scaled by that part, its taker price the open moved toward the close by the part
   * gone (see `createPaperVenue`). It expires at its `expiresAt` (which the risk actor counts from
   * when the order exists: a bar's close for one decided on a bar), so a latency at or past its TTL
   * lets it expire unfilled.
   */
  latencyMs?: number;
  /**
   * A quote's spread stands for its symbol's market this long after it (event time, ms): trades
   * and bars within it are filled at their price ± half the last quoted relative spread instead of
   * the modelled one (`spreadBps` / `spreadModel`). Default 60,000; 0: only a quote's own touch.
   */
  quoteMaxAgeMs?: number;
}>;

/** An order that ran out of time with quantity left (its fills, if any, were not final). */
export type VenueExpiry = Readonly<{
  type: 'exec.expired';
  orderId: string;
  ts: number;
  strategy: string;
  venue: string;
  symbol: string;
  filledQty: number;
  remainingQty: number;
  /** `gap`: cancelled because the symbol's data had a hole (see `maxGapMs`). */
  reason?: 'gap';
}>;

export type VenueOutput = Readonly<{ fills: readonly Fill[]; expired: readonly VenueExpiry[] }>;

export { PaperVenueSnapshotSchema } from './paper-venue-snapshot.js';
export type { PaperVenueSnapshot, PaperVenueSnapshotV3 } from './paper-venue-snapshot.js';
export type PaperVenueStats = Readonly<{ orders: number; duplicates: number; ignored: number; fills: number; expired: number }>;
export type WorkingOrderView = Readonly<{ orderId: string; remaining: number; filled: number; liquidity: 'maker' | 'taker' | 'undecided' }>;

export type PaperVenue = Readonly<{
  /**
   * Queues an approved order; it arrives at `now`, or at the close of the newest bar of its
   * symbol when that is later (an order decided on a bar), and meets the market from the first
   * event at or after its arrival + the latency.
   */
  onOrder(o: Order, now: number): VenueOutput;
  /** Expires what ran out of time by this event (an order works while t < `expiresAt`), then fills what this event allows. */
  onMarket(md: MarketData): VenueOutput;
  /** Expires orders whose `expiresAt` is at or before `now` (event time with no market data). */
  onTime(now: number): VenueOutput;
  working(): readonly WorkingOrderView[];
  /** The working orders, what the venue knew of each symbol's time and its estimates, to restart from (`createPaperVenue`'s `from`). */
  snapshot(): PaperVenueSnapshotV3;
  stats(): PaperVenueStats;
}>;

type Working = {
  order: Order;
  arrivalTs: number;
  /** arrivalTs + latencyMs: the first event time the order may trade at. */
  eligibleTs: number;
  /** Mid when the order arrived (NaN until a price is known): the slippage reference. */
  refMid: number;
  remaining: number;
  filled: number;
  n: number;
  /** Decided at the order's first event: marketable then = taker; a taker limit that stops crossing rests. */
  liquidity: 'maker' | 'taker' | undefined;
};

/**
 * `known`: the newest event time of this symbol's data the engine knows — a bar's close (its
 * open time + timeframe: it is complete only then), a tick's own time, of any timeframe. An order
 * decided on a bar arrives no earlier than that bar's close.
 *
 * `tf`: the one bar timeframe the venue fills on and learns from for this symbol (a live feed
 * carries 1m and 1h bars of the same market: the hour's bar repeats its minutes), and `tfEnd` the
 * newest close of a bar of it: the time up to which its volume was lent. A bar of another
 * timeframe that opens at or after `tfEnd` takes over (a finer one: the finest still coming; a
 * coarser one: the finer feed lapsed, silent for all of it); one that opens before it only says when
 * the engine knew it. Fills are priced with the volume, σ, bar spread estimate and last close of
 * `tf` (`est`); those of each other timeframe seen are kept (`byTf`) and learn from its bars as
 * they come, so a timeframe taking over goes on with its own estimates.
 */
type Book = {
  tf: Timeframe | undefined;
  /** Close of the newest bar of `tf` (−∞ none): no bar of another timeframe opening before it is filled on. */
  tfEnd: number;
  /** The gap limit while the venue reads `tf` (+∞: no gap rule; see `maxGapBars`). */
  gapMs: number;
  mid: number;
  /** The estimates of `tf`: `byTf`'s entry for it (a cold one not in it before the first bar). */
  est: VenueEstimates;
  byTf: Map<Timeframe, VenueEstimates>;
  known: number;
  /** Half the relative spread of the newest valid quote ((ask − bid) / (ask + bid)), and its time. */
  quotedHalf: number;
  quotedTs: number;
};

/** What one event offers a side: the price a taker pays, the price a resting limit needs, the size. */
type Offer = { touch: number; through: (limit: number) => boolean; capacity: number; ref: number; ts: number };

/** How long a quote's spread stands for trades and bars of its symbol by default (see `quoteMaxAgeMs`). */
export const DEFAULT_QUOTE_MAX_AGE_MS = 60_000;

const NO_FILLS: readonly Fill[] = []; // shared and typed readonly, not frozen: a frozen array leaves the fast path of for…of
const NO_EXPIRIES: readonly VenueExpiry[] = [];
/** What most events produce: shared, so an event that fills and expires nothing allocates nothing. */
const EMPTY: VenueOutput = { fills: NO_FILLS, expired: NO_EXPIRIES };

/**
 * The paper venue's deterministic core: approved orders and market data in, fills out, in event
 * time. Market orders and marketable limits take the next price ± half the spread (a quote's
 * touch; on trades and bars the last quote's relative spread while it is at most `quoteMaxAgeMs`
 * old, else the bar model's or `spreadBps/2`) plus square-root impact, and pay the taker fee; resting
 * limits fill at their limit when the market trades through it, with the maker fee. Every event
 * lends each side at most `maxVolumeShare` of its volume, shared by the orders in arrival order;
 * the rest carries over. Bars that opened at or after an order's arrival plus the latency offer
 * open (takers) and high/low (resting limits); a bar that opened before its arrival offers nothing,
 * so no order trades on prices from before it existed. A bar that opened at or after its arrival
 * and before arrival + latency, and closes after that (on bars alone, an order decided at a bar's
 * close meets the next bar `latencyMs` after its open), offers the part of it after the latency, a
 * share f = (close time − arrival − latency) / bar length: f of its volume under the cap, the bar's
 * path taken as a straight line from open to close for the price at arrival, p = open + (close −
 * open) · (1 − f), which takers pay ± half the spread (the price drifts on while the order travels;
 * a latency near one bar prices near the next bar's open, where a latency of one bar fills), and,
 * for resting limits, a range from p to the close widened by f of the bar's wicks beyond its
 * open/close body (the whole high/low at f = 1, as with no latency; the close alone as f → 0): a
 * latency does not lend an order the part of the bar it missed. Impact keeps the bar's σ and
 * volume: over a part f of the bar the volume scales by f and σ by √f, which leaves
 * σ · sqrt(qty / V) as it is. Of a symbol's bars it fills on and learns from one timeframe (a
 * live feed's 1h bar repeats its 1m bars: filling on both would lend the hour's volume twice): the
 * finest that is still coming. A bar of another timeframe takes over when it opens at or
 * after the close of the newest bar of the one filled on, so no interval's volume is lent twice: a
 * finer one from its first bar after that close (its bars of an interval already lent, late or
 * backfilled, fill nothing), a coarser one once the finer feed stopped for a whole coarser bar (a 1m
 * feed that dies: from the first hour wholly after its last minute; the hour it stopped in lends
 * nothing, part of it was lent already). Other bars fill nothing: they say when the engine knew
 * them and teach their own timeframe's estimates, which a timeframe taking over prices with. A hole
 * (`maxGapMs`, `maxGapBars`) is measured on the timeframe read.
 */
export function createPaperVenue(opts: PaperVenueOptions, from?: PaperVenueSnapshot): PaperVenue {
  const bad = (name: string, v: number): never => {
    throw new RangeError(`paper venue: ${name} out of range: ${v}`);
  };
  if (!(opts.takerFeeBps >= 0 && opts.takerFeeBps < MAX_FEE_BPS)) bad('takerFeeBps', opts.takerFeeBps);
  if (!(opts.makerFeeBps >= -MAX_REBATE_BPS && opts.makerFeeBps < MAX_FEE_BPS)) bad('makerFeeBps', opts.makerFeeBps);
  if (!(Number.isFinite(opts.spreadBps) && opts.spreadBps >= 0 && opts.spreadBps < MAX_SPREAD_BPS)) bad('spreadBps', opts.spreadBps);
  if (!(Number.isFinite(opts.slippage.impactCoeff) && opts.slippage.impactCoeff >= 0)) bad('slippage.impactCoeff', opts.slippage.impactCoeff);
  if (!(opts.maxVolumeShare > 0 && opts.maxVolumeShare <= 1)) bad('maxVolumeShare', opts.maxVolumeShare);
  const latencyMs = opts.latencyMs ?? 0;
  if (!(Number.isFinite(latencyMs) && latencyMs >= 0)) bad('latencyMs', latencyMs);
  const quoteMaxAgeMs = opts.quoteMaxAgeMs ?? DEFAULT_QUOTE_MAX_AGE_MS;
  if (!(Number.isFinite(quoteMaxAgeMs) && quoteMaxAgeMs >= 0)) bad('quoteMaxAgeMs', quoteMaxAgeMs);
  const spreadModel: SpreadModel = opts.spreadModel ?? { kind: 'fixed' };
  validateSpreadModel(spreadModel);
  const model: EstimateModel = { volLambda: opts.volLambda, spreadModel };
  const maxGapMs = opts.maxGapMs ?? Number.POSITIVE_INFINITY;
  if (Number.isNaN(maxGapMs) || maxGapMs < 0) bad('maxGapMs', maxGapMs);
  const maxGapBars = opts.maxGapBars ?? 0;
  if (!(Number.isFinite(maxGapBars) && maxGapBars >= 0)) bad('maxGapBars', maxGapBars);
  /** The gap limit while the venue reads bars of `tf`: never under `maxGapMs`, at least `maxGapBars` of them. */
  const gapLimit = (tf: Timeframe | undefined): number => (tf === undefined ? maxGapMs : Math.max(maxGapMs, maxGapBars * TIMEFRAME_MS[tf]));
  const fixedHalf = opts.spreadBps / 2 / 1e4;
  /**
   * Half the relative spread a taker pays on a trade or bar at `ts`: the last quote's while it is
   * at most `quoteMaxAgeMs` old, else the bar model's estimate, else `spreadBps / 2`.
   */
  const halfOf = (book: Book, ts: number): number => {
    if (ts - book.quotedTs <= quoteMaxAgeMs) return book.quotedHalf;
    const est = book.est.spread.value();
    return est === null ? fixedHalf : est / 2;
  };
  const books = new Map<string, Book>();
  /** Working orders in arrival order (ties by id): the order they share an event's volume in. */
  let orders: Working[] = [];
  /** Order ids seen (bounded, oldest forgotten first): a redelivered order is not worked twice. */
  const known = new Set<string>();
  const knownOrder: string[] = [];
  const st = { orders: 0, duplicates: 0, ignored: 0, fills: 0, expired: 0 };

  const bookOf = (symbol: string): Book => {
    let b = books.get(symbol);
    if (b === undefined) {
      b = { tf: undefined, tfEnd: Number.NEGATIVE_INFINITY, gapMs: maxGapMs, mid: Number.NaN, est: coldEstimates(model), byTf: new Map(), known: Number.NEGATIVE_INFINITY, quotedHalf: Number.NaN, quotedTs: Number.NEGATIVE_INFINITY };
      books.set(symbol, b);
    }
    return b;
  };
  const restoreBook = (book: Book, b: PaperVenueBookStateV3): void => {
    book.tf = b.tf ?? undefined;
    book.tfEnd = b.tfEnd ?? Number.NEGATIVE_INFINITY;
    book.gapMs = gapLimit(book.tf);
    book.mid = fromJsonNumber(b.mid);
    for (const e of b.estimates) book.byTf.set(e.tf, restoreEstimates(e, model));
    if (book.tf !== undefined) book.est = estimatesOf(book, book.tf);
    book.quotedHalf = fromJsonNumber(b.quotedHalf);
    book.quotedTs = b.quotedTs ?? Number.NEGATIVE_INFINITY;
  };
  const bookState = (symbol: string, book: Book): PaperVenueBookStateV3 => ({
    symbol,
    tf: book.tf ?? null,
    tfEnd: toJsonNumber(book.tfEnd),
    mid: toJsonNumber(book.mid),
    quotedHalf: toJsonNumber(book.quotedHalf),
    quotedTs: toJsonNumber(book.quotedTs),
    estimates: [...book.byTf].map(([tf, e]) => estimatesState(tf, e)),
  });
  /** The estimates of `tf` (cold ones, kept from now on, for a timeframe not seen before). */
  const estimatesOf = (book: Book, tf: Timeframe): VenueEstimates => {
    let e = book.byTf.get(tf);
    if (e === undefined) {
      e = coldEstimates(model);
      book.byTf.set(tf, e);
    }
    return e;
  };
  /**
   * Another timeframe than the book's, taking over with a bar opening at `ts`: it becomes the book's,
   * with its own estimates (as it left them, or as they learned beside the other one's; cold for one
   * not seen before), and its gap limit.
   */
  const switchTimeframe = (book: Book, tf: Timeframe, ts: number): void => {
    book.tf = tf;
    book.gapMs = gapLimit(tf);
    book.est = estimatesOf(book, tf);
    unpairAcrossHole(book.est, ts, model);
  };
  /**
   * A bar of another timeframe than the one filled on, spanning an interval lent already (an hour
   * over the minutes filled on, minutes backfilled under an hour filled on): it fills nothing, and
   * its timeframe's estimates learn from it when it is their next (a bar older than the newest they
   * learned from, late or again, teaches nothing). A Map look-up and one update per such bar: on a
   * live 1m + 1h feed, once an hour; a backtest replays one timeframe and never comes here.
   */
  const learnBeside = (book: Book, md: Bar, close: number): void => {
    const e = estimatesOf(book, md.tf);
    if (md.ts < e.end) return;
    unpairAcrossHole(e, md.ts, model);
    learnBar(e, md, close);
  };

  const lastSeen = new Map<string, number>();
  for (const [symbol, knownTs, seen] of from?.symbols ?? []) {
    if (knownTs !== null) bookOf(symbol).known = knownTs;
    if (seen !== null) lastSeen.set(symbol, seen);
  }
  // A restart: the estimates (v2 on; per timeframe from v3) go on from where they were, so the
  // first fills after it are priced as without one; σ or a spread learned under another λ or
  // spread model (the configuration changed meanwhile) starts over instead.
  if (from !== undefined) for (const b of toV3(from).books) restoreBook(bookOf(b.symbol), b);
  // The orders working when the snapshot was taken go on working, and are known (a replayed
  // order is not worked twice); the venue's own orders only, in their arrival order.
  for (const w of from?.working ?? []) {
    if (w.order.venue !== opts.venue || known.has(w.order.id)) continue;
    known.add(w.order.id);
    knownOrder.push(w.order.id);
    orders.push({ order: w.order, arrivalTs: w.arrivalTs, eligibleTs: w.eligibleTs, refMid: w.refMid ?? Number.NaN, remaining: w.remaining, filled: w.filled, n: w.n, liquidity: w.liquidity ?? undefined });
  }
  orders.sort((a, b) => a.arrivalTs - b.arrivalTs || (a.order.id < b.order.id ? -1 : a.order.id > b.order.id ? 1 : 0));
  /**
   * The symbol's data has a hole before this event, resuming at `resumedTs`: its orders that were
   * working in the hole (arrived before the data resumed) do not trade across it. One that arrived
   * at or after `resumedTs` (live, an order reaches the venue with latency: it can come before the
   * resuming bar, stamped with its open time, is seen) never spanned the hole and goes on working.
   */
  const cancelAtGap = (symbol: string, resumedTs: number, out: VenueExpiry[]): void => {
    const keep: Working[] = [];
    for (const w of orders) {
      if (w.order.symbol !== symbol || w.arrivalTs >= resumedTs) {
        keep.push(w);
        continue;
      }
      st.expired++;
      const o = w.order;
      out.push({ type: 'exec.expired', orderId: o.id, ts: resumedTs, strategy: o.strategy, venue: o.venue, symbol: o.symbol, filledQty: w.filled, remainingQty: w.remaining, reason: 'gap' });
    }
    orders = keep;
  };

  /**
   * Whether an order has expired by `now` (a loop, not `some` with a closure: this runs on every
   * event). An order works while t < `expiresAt`: a child living one slice must not also trade on
   * the bar that opens at its expiry, beside the next child of its schedule.
   */
  const anyExpired = (now: number): boolean => {
    for (const w of orders) if (w.order.expiresAt <= now) return true;
    return false;
  };
  /** The orders that expired by `now`, removed; undefined when none did (nothing is allocated then). */
  const expire = (now: number): VenueExpiry[] | undefined => {
    if (!anyExpired(now)) return undefined;
    const out: VenueExpiry[] = [];
    const keep: Working[] = [];
    for (const w of orders) {
      if (w.order.expiresAt > now) {
        keep.push(w);
        continue;
      }
      st.expired++;
      const o = w.order;
      out.push({ type: 'exec.expired', orderId: o.id, ts: Math.max(o.expiresAt, w.arrivalTs), strategy: o.strategy, venue: o.venue, symbol: o.symbol, filledQty: w.filled, remainingQty: w.remaining });
    }
    orders = keep;
    return out;
  };

  /** What `md` offers to one side; undefined when it offers nothing to this order. */
  const offerFor = (md: MarketData, w: Working, half: number): Offer | undefined => {
    const side = w.order.side;
    const s = sideSign(side);
    const share = opts.maxVolumeShare;
    if (md.type === 'md.quote') {
      const touch = side === 'buy' ? md.ask : md.bid;
      return { touch, through: (l) => (side === 'buy' ? md.ask <= l : md.bid >= l), capacity: share * (side === 'buy' ? md.askSize : md.bidSize), ref: (md.bid + md.ask) / 2, ts: md.ts };
    }
    if (md.type === 'md.trade') return { touch: md.price * (1 + s * half), through: (l) => (side === 'buy' ? md.price < l : md.price > l), capacity: share * md.qty, ref: md.price, ts: md.ts };
    if (md.ts >= w.eligibleTs) return { touch: md.open * (1 + s * half), through: (l) => (side === 'buy' ? md.low < l : md.high > l), capacity: share * md.volume, ref: md.open, ts: md.ts };
    // The latency ends inside this bar, which opened once the order existed (fillMarket skips the
    // others; with no latency none comes here): the part after it, if the order still lives then.
    if (w.order.expiresAt <= w.eligibleTs) return undefined;
    const barMs = TIMEFRAME_MS[md.tf];
    const f = (md.ts + barMs - w.eligibleTs) / barMs;
    if (!(f > 0)) return undefined;
    const ref = md.open + (md.close - md.open) * (1 - f);
    // What it traded after the latency: from ref to the close, and f of the bar's wicks beyond its body.
    const low = Math.min(ref, md.close) - f * (Math.min(md.open, md.close) - md.low);
    const high = Math.max(ref, md.close) + f * (md.high - Math.max(md.open, md.close));
    return { touch: ref * (1 + s * half), through: (l) => (side === 'buy' ? low < l : high > l), capacity: share * md.volume * f, ref, ts: w.eligibleTs };
  };

  const slippageBps = (qty: number, book: Book, volume: number | null): number => {
    const sigma = book.est.vol.value;
    if (sigma === null || volume === null || !(volume > 0) || opts.slippage.impactCoeff === 0) return 0;
    return opts.slippage.impactCoeff * sigma * Math.sqrt(qty / volume) * 1e4;
  };

  const fillMarket = (md: MarketData, book: Book): Fill[] => {
    const fills: Fill[] = [];
    const used = { buy: 0, sell: 0 };
    const volume = md.type === 'md.bar' ? md.volume : book.est.volume;
    let done = false;
    for (const w of orders) {
      const o = w.order;
      // A bar opening after the order's arrival but before its latency ran out may still offer the
      // rest of it (see offerFor); with no latency, eligibleTs = arrivalTs and this is md.ts < eligibleTs.
      if (o.symbol !== md.symbol || (md.ts < w.eligibleTs && (md.type !== 'md.bar' || md.ts < w.arrivalTs))) continue;
      const offer = offerFor(md, w, halfOf(book, md.ts));
      if (offer === undefined) continue;
      if (!(w.refMid > 0)) w.refMid = offer.ref;
      const limit = o.limitPrice;
      if (w.liquidity === undefined) w.liquidity = o.orderType === 'market' || (limit !== null && (o.side === 'buy' ? offer.touch <= limit : offer.touch >= limit)) ? 'taker' : 'maker';
      let price: number;
      if (w.liquidity === 'taker') {
        if (limit !== null && !(o.side === 'buy' ? offer.touch <= limit : offer.touch >= limit)) {
          // The market moved away from a marketable limit: it now rests on the book.
          w.liquidity = 'maker';
          continue;
        }
        price = Number.NaN; // priced below, once the size is known
      } else {
        if (limit === null || !offer.through(limit)) continue;
        price = limit;
      }
      const capacity = offer.capacity - used[o.side];
      const q = Math.min(w.remaining, capacity);
      if (!(q > 0)) continue;
      used[o.side] += q;
      if (w.liquidity === 'taker') {
        price = takerPrice(offer.touch, o.side, slippageBps(q, book, volume));
        if (limit !== null) price = o.side === 'buy' ? Math.min(price, limit) : Math.max(price, limit);
      }
      w.remaining -= q;
      w.filled += q;
      const final = w.remaining <= DUST_SHARE * o.qty;
      if (final) {
        w.remaining = 0;
        done = true;
      }
      const feeBps = w.liquidity === 'taker' ? opts.takerFeeBps : opts.makerFeeBps;
      fills.push({
        type: 'exec.fill',
        v: 1,
        id: fillId(o.id, w.n++),
        ts: Math.max(offer.ts, w.eligibleTs),
        orderId: o.id,
        strategy: o.strategy,
        venue: o.venue,
        symbol: o.symbol,
        side: o.side,
        qty: q,
        price,
        fee: (q * price * feeBps) / 1e4,
        liquidity: w.liquidity,
        slippageBps: (sideSign(o.side) * (price - w.refMid) * 1e4) / w.refMid,
        final,
      });
      st.fills++;
    }
    if (done) orders = orders.filter((w) => w.remaining > 0);
    return fills;
  };

  /** Book-keeping after the fills: σ and volume from this event count from the next one. */
  const learn = (md: MarketData, book: Book): void => {
    const known = knownAt(md);
    if (known > book.known) book.known = known;
    if (md.type === 'md.quote') {
      book.mid = (md.bid + md.ask) / 2;
      // A crossed or one-sided quote says nothing of the spread: the last good one keeps standing.
      if (md.ask >= md.bid && md.bid > 0) {
        book.quotedHalf = (md.ask - md.bid) / (md.ask + md.bid);
        book.quotedTs = md.ts;
      }
    } else if (md.type === 'md.trade') book.mid = md.price;
    else {
      if (known > book.tfEnd) book.tfEnd = known;
      book.mid = md.close;
      learnBar(book.est, md, known);
    }
  };

  return {
    onOrder(o, now) {
      if (o.venue !== opts.venue) {
        st.ignored++;
        return EMPTY;
      }
      if (known.has(o.id)) {
        st.duplicates++;
        return EMPTY;
      }
      known.add(o.id);
      knownOrder.push(o.id);
      if (knownOrder.length > 100_000) known.delete(knownOrder.shift() as string);
      st.orders++;
      const book = bookOf(o.symbol);
      // Decided on a bar, an order exists from the bar's close on: the bar is stamped with its open
      // time, and without this a latency up to one bar would cost nothing.
      const arrival = Math.max(now, book.known);
      const w: Working = { order: o, arrivalTs: arrival, eligibleTs: arrival + latencyMs, refMid: book.mid, remaining: o.qty, filled: 0, n: 0, liquidity: undefined };
      // Stable insert by (arrival, id): replays that deliver equal-time orders in another order still match.
      let i = orders.length;
      while (i > 0 && ((orders[i - 1] as Working).arrivalTs > arrival || ((orders[i - 1] as Working).arrivalTs === arrival && (orders[i - 1] as Working).order.id > o.id))) i--;
      orders.splice(i, 0, w);
      const expired = expire(now);
      return expired === undefined ? EMPTY : { fills: NO_FILLS, expired };
    },
    onMarket(md) {
      if (md.venue !== opts.venue) return EMPTY;
      const book = bookOf(md.symbol);
      let prev = lastSeen.get(md.symbol);
      // The gap limit of the timeframe read up to this event: at a switch, a hole is one in it.
      const gapMs = book.gapMs;
      if (md.type === 'md.bar' && md.tf !== book.tf) {
        if (md.ts < book.tfEnd) {
          // Part of its interval was lent already by the bars filled on (a coarser bar spans them; a
          // finer one came late or backfilled): filling on it would lend that volume a second time,
          // and mixing it into σ, the volume or the spread estimate would pair an hour with a minute.
          // Only its close time counts (an order decided on it arrives then).
          const k = knownAt(md);
          if (k > book.known) book.known = k;
          learnBeside(book, md, k);
          return EMPTY;
        }
        // The first bars, or another timeframe taking over after the close of the last bar filled
        // on (bars are stamped with their open time): a gap counts from the newest close known.
        if (book.tf !== undefined && prev !== undefined) prev = Math.max(prev, book.known);
        switchTimeframe(book, md.tf, md.ts);
      }
      let expired = expire(md.ts);
      lastSeen.set(md.symbol, md.ts);
      // Stamped when the data resumed, when the venue learns of the hole (an order whose TTL fell
      // in the hole expired at it, just above): before, the time of the last data before it.
      if (orders.length > 0 && prev !== undefined && md.ts - prev > gapMs) cancelAtGap(md.symbol, md.ts, (expired ??= []));
      const fills = orders.length === 0 ? NO_FILLS : fillMarket(md, book);
      learn(md, book);
      return fills.length === 0 && (expired === undefined || expired.length === 0) ? EMPTY : { fills, expired: expired ?? NO_EXPIRIES };
    },
    onTime(now) {
      const expired = expire(now);
      return expired === undefined ? EMPTY : { fills: NO_FILLS, expired };
    },
    working: () => orders.map((w) => ({ orderId: w.order.id, remaining: w.remaining, filled: w.filled, liquidity: w.liquidity ?? 'undecided' })),
    snapshot: () => ({
      v: 3,
      working: orders.map((w) => ({
        order: w.order,
        arrivalTs: w.arrivalTs,
        eligibleTs: w.eligibleTs,
        refMid: Number.isFinite(w.refMid) ? w.refMid : null,
        remaining: w.remaining,
        filled: w.filled,
        n: w.n,
        liquidity: w.liquidity ?? null,
      })),
      symbols: [...books.keys()].map((symbol) => {
        const k = (books.get(symbol) as Book).known;
        return [symbol, Number.isFinite(k) ? k : null, lastSeen.get(symbol) ?? null] as [string, number | null, number | null];
      }),
      books: [...books].map(([symbol, book]) => bookState(symbol, book)),
    }),
    stats: () => ({ ...st }),
  };
}
