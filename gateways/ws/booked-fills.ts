import { orderMismatch } from '../../models/risk/fill-check.js';
import type { FillMismatch, LatestMid } from '../../models/risk/fill-check.js';
import { marketMid } from '../../models/risk/market-mid.js';
import { expiryTermsMismatch } from '../../models/risk/expiry-check.js';
import { bookKey, finalFill } from '../../models/risk/risk-book.js';
import type { Expiry } from '../../streams/messages/expiry.js';
import type { Fill } from '../../streams/messages/fill.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import type { Order } from '../../streams/messages/order.js';
import type { OrderSide } from '../../streams/messages/order-side.js';

/**
 * The feed's view of what the risk actor books: the orders it approved (seen on `sx.exec.order.…`)
 * with what each has left, so that a fill on `sx.exec.fill.…` is relayed only when the engine books
 * it. The engine refuses a live consumer's fill of an order it never approved (UNKNOWN_ORDER) or not
 * of its order as approved (ORDER_MISMATCH: venue, symbol, side, strategy, more than it had left,
 * a price worse than its limit by more than `validation.fillPriceToleranceBps`, a market order's
 * further from its `refPrice` and from the latest mid the risk book holds than
 * `validation.marketFillBandBps`, a limit order's better than its limit and past both by more than
 * that band)
 * and dead-letters it; the check here is the engine's own (`orderMismatch`,
 * models/risk/fill-check.ts), against the orders the feed saw, so a dashboard never lists a fill
 * the account does not hold. The paper venue's fills are of the orders it is handed and pass.
 * At most `capacity` orders are remembered, the oldest forgotten first (a fill of a forgotten one
 * is withheld, as the risk book forgets its retired orders after a day).
 *
 * The latest mid is the feed's own: the newest market data it was told of (`marked`), the mid
 * the risk book marks from the same message (models/risk/market-mid.ts), per venue × symbol, an
 * older one ignored as the book ignores it. The engine's asset actors read the same market-data
 * subjects, so both hold the same mid once both have read the same messages; a fill that arrives
 * between a market move and the engine's reading of it (or the feed's) is judged on the mid each
 * has, and the two can differ only for a fill outside the band of the older mid and inside the
 * newer one's: a price the market reached, not a unit error.
 */
export type BookedFills = Readonly<{
  /** An order the risk actor approved; one already held is kept as it stands (a republish changes nothing). */
  approved(o: Order): void;
  /** Why the engine refuses `f`, or undefined when it books it: its order's remainder is then reduced. */
  book(f: Fill): FillMismatch | undefined;
  /**
   * Why the engine refuses expiry `e` (`expiryTermsMismatch`, models/risk/expiry-check.ts: of an
   * order it never approved, UNKNOWN_ORDER; of an order filled in full, or not of its order's
   * asset, strategy or quantities, ORDER_MISMATCH), or undefined when it takes it. Nothing changes:
   * a late fill of an expired order is still booked up to what it had left.
   */
  expire(e: Expiry): FillMismatch | undefined;
  /** Market data relayed (validated as the engine's edge validates it): the latest mid of its venue × symbol a fill may be held to. */
  marked(md: MarketData): void;
  /** Orders held (for tests and stats). */
  size(): number;
}>;

/** `unfilled`: what a `final` fill left of it unfilled (it expired with that fill), as the risk book keeps it. */
type Held = { key: string; side: OrderSide; strategy: string; qty: number; remaining: number; limitPrice: number | null; refPrice: number | undefined; unfilled?: number; fills: Set<string> };

/**
 * `priceToleranceBps`: how far past its limit a fill's price may be, the engine's
 * `validation.fillPriceToleranceBps`; `marketBandBps`: how far from its `refPrice` a market order's
 * may be (a limit order's better than its limit, on that side), its `validation.marketFillBandBps` with the paper venue off (null: not checked, as the
 * engine does not check the paper venue's fills).
 */
export function createBookedFills(capacity: number, priceToleranceBps: number, marketBandBps: number | null = null): BookedFills {
  if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`approved-order capacity must be a positive integer, got ${capacity}`);
  // Insertion order is approval order: the first key is the oldest.
  const orders = new Map<string, Held>();
  /** The latest mid per venue × symbol (`bookKey`), one per market the feed relays. */
  const mids = new Map<string, LatestMid>();
  return {
    marked: (md) => {
      const m = marketMid(md);
      if (!Number.isFinite(m.mid) || m.mid <= 0) return;
      const key = bookKey(m.venue, m.symbol);
      const cur = mids.get(key);
      if (cur === undefined || m.ts >= cur.ts) mids.set(key, { mid: m.mid, ts: m.ts });
    },
    approved: (o) => {
      if (orders.has(o.id)) return;
      if (orders.size >= capacity) orders.delete(orders.keys().next().value as string);
      orders.set(o.id, { key: bookKey(o.venue, o.symbol), side: o.side, strategy: o.strategy, qty: o.qty, remaining: o.qty, limitPrice: o.limitPrice, refPrice: o.refPrice, fills: new Set() });
    },
    book: (f) => {
      const o = orders.get(f.orderId);
      if (o === undefined) return { reason: 'UNKNOWN_ORDER', detail: `fill ${f.id} names order ${f.orderId}, which the feed did not see approved` };
      // Applied already (a republish): the engine passes it again, booking nothing more.
      if (o.fills.has(f.id)) return undefined;
      const mid = mids.get(o.key);
      const mismatch = orderMismatch(o, f, priceToleranceBps, marketBandBps, mid === undefined ? [] : [mid]);
      if (mismatch !== undefined) return mismatch;
      o.fills.add(f.id);
      finalFill(o, f);
      return undefined;
    },
    expire: (e) => {
      const o = orders.get(e.orderId);
      if (o === undefined) return { reason: 'UNKNOWN_ORDER', detail: `expiry ${e.id} names order ${e.orderId}, which the feed did not see approved` };
      return expiryTermsMismatch(o, e);
    },
    size: () => orders.size,
  };
}
