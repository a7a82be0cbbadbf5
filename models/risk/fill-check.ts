import type { Fill } from '../../streams/messages/fill.js';
import type { OrderSide } from '../../streams/messages/order-side.js';
import { REPORT_TOLERANCE } from '../quantity-dust.js';
import { bookKey } from './risk-book.js';
import type { RiskBook } from './risk-book.js';

/** Why a reported fill is not booked: it names no order of this account, or not as that order was approved. */
export type FillMismatch = Readonly<{ reason: 'UNKNOWN_ORDER' | 'ORDER_MISMATCH'; detail: string }>;

/**
 * How far past its limit (in bps of the limit) a fill's price may be by default
 * (`validation.fillPriceToleranceBps`): the engine's limits are not rounded to the venue's tick
 * (40150.064925), so a venue, or a desk placing the order, rounds them, a buy's possibly up.
 */
export const DEFAULT_FILL_PRICE_TOLERANCE_BPS = 5;

/** The largest `validation.fillPriceToleranceBps`: 10 000 bps, a price twice a buy's limit (or 0 for a sell's). */
export const MAX_FILL_PRICE_TOLERANCE_BPS = 10_000;

/**
 * How far (in bps of it) a market order's fill may be from the order's `refPrice`, the mid its risk
 * approval collared against, or from the latest mid known of its market, by default
 * (`validation.marketFillBandBps`): 1000 bps, 10 %. A market order has no limit to hold its fills
 * to, and the market moves while it is worked, so the band is wide: it is there for a price or unit
 * error (a fill at ten times the market), not slippage, nor a move since approval (`refPrice` may
 * be two hours old with 1h bars: the latest mid then has the market's move). A limit order's fill
 * better than its limit is held to it on that side (a buy's below the mids).
 */
export const DEFAULT_MARKET_FILL_BAND_BPS = 1_000;

/** The largest `validation.marketFillBandBps`: 10 000 bps, from 0 to twice the reference price. */
export const MAX_MARKET_FILL_BAND_BPS = 10_000;

/**
 * Checks a fill reported from outside (a live trading consumer) against the order it names, before
 * it is booked: only orders this risk actor approved reach a venue, so a fill of another order is
 * a consumer's mistake — a mistyped id, a trade made outside the engine — and booking it would put
 * a position into the risk book that no order explains. The order must be one the book holds, in
 * flight or retired (filled, expired or released) within the dedup window, and the fill must be of
 * its venue and symbol, its side and its strategy, no more than it had left (a `final` fill
 * leaves nothing), and at its limit price or better, give or take `priceToleranceBps`, and no
 * better than its reference price by more than `marketBandBps`, or, a market order's, within
 * `marketBandBps` of its reference price either way — or of the latest mid the book holds for the
 * order's venue × symbol (its mark, which the price collar reads) when the fill is checked (see
 * {@link priceProblem}). Marks move with market data's event time only, never older (see
 * `RiskBook.mark`), so the latest is at least as new as the `refPrice` it was approved against.
 * A fill already applied (same id) passes: applying it again changes nothing.
 * The paper venue's fills are not checked: it fills the orders it is handed.
 */
export function fillMismatch(book: RiskBook, f: Fill, priceToleranceBps = DEFAULT_FILL_PRICE_TOLERANCE_BPS, marketBandBps: number | null = DEFAULT_MARKET_FILL_BAND_BPS): FillMismatch | undefined {
  if (book.hasFill(f.id)) return undefined;
  const o = book.orderOf(f.orderId);
  if (o === undefined) return { reason: 'UNKNOWN_ORDER', detail: `fill ${f.id} names order ${f.orderId}, ${unknownOrderText(book)}` };
  const mark = book.marks.get(o.key);
  return orderMismatch(o, f, priceToleranceBps, marketBandBps, mark === undefined ? [] : [mark]);
}

/**
 * Why the book holds no order of that id, for UNKNOWN_ORDER's detail: the book forgets an order
 * `retireWindowMs` of event time after it retired, so "never approved" alone would mislead a desk
 * reading the dead letter of a late report.
 */
export function unknownOrderText(book: RiskBook): string {
  return `which the risk book does not know: never approved by this account, or retired (filled, expired or released) more than ${durationText(book.retireWindowMs)} of event time ago, longer than the book keeps retired orders`;
}

const durationText = (ms: number): string => (ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

/**
 * What a fill is checked against: its order's venue × symbol (`bookKey`), side, strategy (when
 * known), what it has left and its limit price (a limit order's; null or absent: a market order,
 * or one the book stored before it kept limits); `refPrice`, the mid its risk approval collared
 * against (absent: an order approved, or stored, before orders carried it); `unfilled`, what a
 * `final` fill that closed it left unfilled (see risk-book.ts `finalFill`), when it is known.
 */
export type OrderTerms = Readonly<{
  key: string;
  side: OrderSide;
  strategy?: string | undefined;
  remaining: number;
  qty?: number | undefined;
  unfilled?: number | undefined;
  limitPrice?: number | null | undefined;
  refPrice?: number | undefined;
}>;

/**
 * ORDER_MISMATCH when `f` is not a fill of the order `o` as approved (see {@link fillMismatch});
 * undefined when it is. The risk book, the websocket feed (gateways/ws/booked-fills.ts) and the
 * labeler (models/labeling/pending-horizons.ts) all check with it, with the same
 * `priceToleranceBps` (`validation.fillPriceToleranceBps`) and `marketBandBps`
 * (`validation.marketFillBandBps`; null: no price is held to `refPrice`, a market order's nor a
 * limit order's better than its limit, as with the paper venue on, whose fills are never refused), so they agree on what is booked.
 * `latest`: the latest mids the checker knows of the order's market (the risk book its mark, the
 * feed the newest market data it relayed, the labeler the bar prices around the fill's time: see
 * pending-horizons.ts); a price within the band of any of them, or of `refPrice`, is the market's.
 */
export function orderMismatch(o: OrderTerms, f: Fill, priceToleranceBps: number, marketBandBps: number | null = DEFAULT_MARKET_FILL_BAND_BPS, latest: readonly LatestMid[] = []): FillMismatch | undefined {
  const problems: string[] = [];
  const key = bookKey(f.venue, f.symbol);
  if (key !== o.key) problems.push(`order ${f.orderId} is for ${o.key.replace('|', ' ')}, the fill for ${f.venue} ${f.symbol}`);
  if (f.side !== o.side) problems.push(`order ${f.orderId} is a ${o.side}, the fill a ${f.side}`);
  if (o.strategy !== undefined && f.strategy !== o.strategy) problems.push(`order ${f.orderId} is strategy ${o.strategy}'s, the fill says ${f.strategy}`);
  if (f.qty > o.remaining + REPORT_TOLERANCE * (o.qty ?? o.remaining)) problems.push(overfillText(o, f));
  const price = priceProblem(o, f, priceToleranceBps, marketBandBps, latest);
  if (price !== undefined) problems.push(price);
  return problems.length === 0 ? undefined : { reason: 'ORDER_MISMATCH', detail: problems.join('; ') };
}

/**
 * Why `f` is more than its order had left. Of an order with nothing left it says why: its `final`
 * fill closed it (the rest unfilled, expired with it) or it was filled in full already; "more than
 * the 0 order … had left" read like a quantity the desk got wrong.
 */
function overfillText(o: OrderTerms, f: Fill): string {
  if (o.remaining > 0) return `fill of ${f.qty} is more than the ${o.remaining} order ${f.orderId} had left`;
  if (o.unfilled !== undefined) return `order ${f.orderId} was closed by its final fill, which left ${o.unfilled} of it unfilled (expired with that fill): nothing is left for a fill of ${f.qty}`;
  return `order ${f.orderId} was filled in full already: nothing is left for a fill of ${f.qty}`;
}

/**
 * A mid a fill's price may be held to besides its order's `refPrice`: the latest mid the checker
 * knows of the order's market (the risk book's mark, which the collar read; `ts` its event time).
 * With 1h bars an order's `refPrice` may be two hours old when it fills, and a genuine fill after a
 * fast move is far from it but near the market now.
 */
export type LatestMid = Readonly<{ mid: number; ts: number }>;

/**
 * Why `f`'s price is not one its order could fill at. A limit order's: worse than the limit (a buy
 * above it, a sell below it) by more than `toleranceBps` of it, the venue's rounding of an unrounded
 * limit; or better than the limit and further past both its `refPrice`, the mid risk approved it
 * against, and the latest mid (`latest`), than `marketBandBps` of them (see
 * {@link improvementProblem}). A market order's (no limit): further from its `refPrice` and from the
 * latest mid than `marketBandBps` of each, either way (a market buy filled at a tenth of the
 * market is as much a unit error). The band catches a price or unit error (50000 reported for ETH
 * bought at 2779.79, or 277.98), which booked would move the position's cost and realised PnL by
 * thousands, enough to trip the daily-loss limit; near either price the fill is the market's, of
 * when the order was approved or of now, and booked. An order the book stored before it kept
 * limits or reference prices, or one approved before orders carried one, is checked against what it
 * has (a limit order without `refPrice`: its limit only; the latest mid alone does not check it).
 */
function priceProblem(o: OrderTerms, f: Fill, toleranceBps: number, marketBandBps: number | null, latest: readonly LatestMid[]): string | undefined {
  const limit = o.limitPrice;
  if (limit === null || limit === undefined) return marketPriceProblem(o, f, marketBandBps, latest);
  const share = toleranceBps / 10_000;
  const bound = o.side === 'buy' ? limit * (1 + share) : limit * (1 - share);
  if (!(o.side === 'buy' ? f.price <= bound : f.price >= bound)) {
    const off = (Math.abs(f.price - limit) / limit) * 10_000;
    return `fill price ${f.price} is ${o.side === 'buy' ? 'above' : 'below'} order ${f.orderId}'s ${o.side} limit ${limit} by ${offText(off)} bps, more than the ${toleranceBps} bps tolerance (validation.fillPriceToleranceBps): ${o.side === 'buy' ? 'at most' : 'at least'} ${Number(bound.toPrecision(12))}`;
  }
  return improvementProblem(o, limit, f, marketBandBps, latest);
}

/** The latest mids that are usable prices and not the `refPrice` itself (no newer market data: nothing more to hold the fill to). */
const otherMids = (ref: number, latest: readonly LatestMid[]): LatestMid[] => latest.filter((m) => Number.isFinite(m.mid) && m.mid > 0 && m.mid !== ref);

/** `f`'s price within `bandBps` of `mid` on the side `side` names ('both': either way). Cross-multiplied, as the collar is, so prices on a tick grid compare exactly at the bound. */
const within = (price: number, mid: number, bandBps: number, side: 'below' | 'above' | 'both'): boolean =>
  (side === 'below' ? mid - price : side === 'above' ? price - mid : Math.abs(price - mid)) * 10_000 <= bandBps * mid;

/** How far `price` is from `mid`, in bps of it, and which way, for the detail. */
const offFrom = (price: number, mid: number): string => `${price > mid ? 'above' : 'below'} the latest mid ${mid}`;

/**
 * A limit order's fill better than its limit (a buy below it, a sell above it) by so much that it
 * is also past its `refPrice`, and past every latest mid, by more than `bandBps` of it, on that
 * side (a buy below mid·(1 − band), a sell above mid·(1 + band)): 277.98 for ETH bought at a limit
 * of 2779.79, a unit error that would book a huge unrealised gain. A fill at its limit or within it
 * is never refused by the band, whatever the collar let the limit be. Better than the limit is a
 * fill at the market of when the order was marketable, its arrival at the venue (a resting limit
 * fills at its limit on a continuous book; the paper venue's likewise, a taker only at its first
 * event): the same market a market order arriving then fills at, so it is held to the same band
 * around the same mids. Null band (paper venue) or no `refPrice` (an order approved or stored
 * before orders carried it): not checked.
 */
function improvementProblem(o: OrderTerms, limit: number, f: Fill, bandBps: number | null, latest: readonly LatestMid[]): string | undefined {
  const ref = o.refPrice;
  if (bandBps === null || ref === undefined) return undefined;
  const buy = o.side === 'buy';
  if (buy ? f.price >= limit : f.price <= limit) return undefined;
  const side = buy ? 'below' : 'above';
  const others = otherMids(ref, latest);
  if (within(f.price, ref, bandBps, side) || others.some((m) => within(f.price, m.mid, bandBps, side))) return undefined;
  const share = bandBps / 10_000;
  const mids = [ref, ...others.map((m) => m.mid)];
  const bound = Number((buy ? Math.min(limit, Math.min(...mids) * (1 - share)) : Math.max(limit, Math.max(...mids) * (1 + share))).toPrecision(12));
  const also = others.map((m) => `, and ${offFrom(f.price, m.mid)} (event time ${m.ts}) by ${offText((Math.abs(f.price - m.mid) / m.mid) * 10_000)} bps`).join('');
  return `fill price ${f.price} is ${side} limit ${o.side} order ${f.orderId}'s reference price ${ref} (the mid risk approved it against) by ${offText((Math.abs(f.price - ref) / ref) * 10_000)} bps${also}, better than its limit ${limit} by more than the ${bandBps} bps band (validation.marketFillBandBps) a price past the limit is held to: ${buy ? 'at least' : 'at most'} ${bound}`;
}

/** The prices within `share` of `mid` either way, for the detail. */
const rangeText = (mid: number, share: number): string => `from ${Number((mid * (1 - share)).toPrecision(12))} to ${Number((mid * (1 + share)).toPrecision(12))}`;

/** A market order's fill further from its `refPrice`, and from every latest mid, than `bandBps` of each (see {@link priceProblem}); null band or no `refPrice`: not checked. */
function marketPriceProblem(o: OrderTerms, f: Fill, bandBps: number | null, latest: readonly LatestMid[]): string | undefined {
  const ref = o.refPrice;
  if (bandBps === null || ref === undefined) return undefined;
  const others = otherMids(ref, latest);
  if (within(f.price, ref, bandBps, 'both') || others.some((m) => within(f.price, m.mid, bandBps, 'both'))) return undefined;
  const off = (Math.abs(f.price - ref) / ref) * 10_000;
  const share = bandBps / 10_000;
  const also = others.map((m) => `; and ${offFrom(f.price, m.mid)} (event time ${m.ts}) by ${offText((Math.abs(f.price - m.mid) / m.mid) * 10_000)} bps: ${rangeText(m.mid, share)}`).join('');
  return `fill price ${f.price} is ${f.price > ref ? 'above' : 'below'} market ${o.side} order ${f.orderId}'s reference price ${ref} (the mid risk approved it against) by ${offText(off)} bps, more than the ${bandBps} bps band (validation.marketFillBandBps): ${rangeText(ref, share)}${also}`;
}

const offText = (bps: number): string => (bps >= 100 ? bps.toFixed(0) : bps.toPrecision(3));
