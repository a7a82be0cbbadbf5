import type { Expiry } from '../../streams/messages/expiry.js';
import { REPORT_TOLERANCE } from '../quantity-dust.js';
import { unknownOrderText } from './fill-check.js';
import type { FillMismatch, OrderTerms } from './fill-check.js';
import { bookKey } from './risk-book.js';
import type { InFlightOrder, RiskBook } from './risk-book.js';

/**
 * Checks an expiry reported from outside (a live trading consumer: its exchange cancelled or
 * expired an order) against the order it names, before the order is released: the order must be
 * one the book holds, in flight or retired within the dedup window (UNKNOWN_ORDER), of the
 * expiry's venue, symbol and strategy, not filled in full already (ORDER_MISMATCH: nothing was
 * left to expire, so the report is a consumer's mistake; an order whose `final` fill left some of it
 * unfilled expired with that fill, and its expiry must leave that much), and its quantities must be the order's:
 * `filledQty + remainingQty` its quantity, and `remainingQty` no more than the book has left of it
 * (else the venue says it filled less than the fills booked already). `filledQty` above the fills
 * booked is fine: fills and expiries travel on different subjects, so a last fill may come after
 * the expiry ({@link awaitedFills}). An order already released (its expiry applied before, or its
 * `expiresAt` passed) passes: releasing it again changes nothing.
 */
export function expiryMismatch(book: RiskBook, e: Expiry): FillMismatch | undefined {
  const o = book.orderOf(e.orderId);
  if (o === undefined) return { reason: 'UNKNOWN_ORDER', detail: `expiry ${e.id} names order ${e.orderId}, ${unknownOrderText(book)}` };
  return expiryTermsMismatch(o, e);
}

/** What an expiry is checked against: its order's venue × symbol (`bookKey`), strategy (when known), what the fills booked left of it and its quantity. */
export type ExpiryTerms = Readonly<Pick<OrderTerms, 'key' | 'strategy' | 'remaining' | 'qty'> & { unfilled?: number | undefined }>;

/**
 * ORDER_MISMATCH when `e` is not an expiry of the order `o` as approved and booked (see
 * {@link expiryMismatch}); undefined when it is. The labeling actor keeps the expiries the engine
 * would take with it, as it keeps the fills (`orderMismatch`).
 */
export function expiryTermsMismatch(o: ExpiryTerms, e: Expiry): FillMismatch | undefined {
  const problems: string[] = [];
  const key = bookKey(e.venue, e.symbol);
  if (key !== o.key) problems.push(`order ${e.orderId} is for ${o.key.replace('|', ' ')}, the expiry for ${e.venue} ${e.symbol}`);
  if (o.strategy !== undefined && e.strategy !== o.strategy) problems.push(`order ${e.orderId} is strategy ${o.strategy}'s, the expiry says ${e.strategy}`);
  if (o.remaining === 0 && o.unfilled === undefined) problems.push(`order ${e.orderId} was filled in full already: nothing was left to expire`);
  else {
    const tol = REPORT_TOLERANCE * (o.qty ?? Math.max(o.remaining, o.unfilled ?? 0));
    if (o.qty !== undefined && Math.abs(e.filledQty + e.remainingQty - o.qty) > tol) {
      problems.push(`the expiry's filledQty ${e.filledQty} + remainingQty ${e.remainingQty} is not order ${e.orderId}'s quantity ${o.qty}`);
    } else if (o.unfilled !== undefined) {
      // Its final fill expired it already: the same news when it leaves the same quantity unfilled.
      if (Math.abs(e.remainingQty - o.unfilled) > tol) problems.push(`the expiry leaves ${e.remainingQty} unfilled, order ${e.orderId}'s final fill left ${o.unfilled}`);
    } else if (e.remainingQty > o.remaining + tol) {
      problems.push(`the expiry leaves ${e.remainingQty} unfilled, more than the ${o.remaining} order ${e.orderId} had left after the fills booked: the venue says it filled less than they did`);
    }
  }
  return problems.length === 0 ? undefined : { reason: 'ORDER_MISMATCH', detail: problems.join('; ') };
}

/**
 * Of order `o` (as the book holds it), what its expiry leaves to come: the quantity the venue says
 * it filled that no fill booked yet (what the book has left of it less what the venue left
 * unfilled), 0 when none (within {@link REPORT_TOLERANCE}). The paper venue's fills come before
 * its expiry, so its expiries leave 0.
 */
export function awaitedFills(o: Readonly<Pick<InFlightOrder, 'remaining' | 'qty'>>, remainingQty: number): number {
  const awaited = o.remaining - remainingQty;
  return awaited <= REPORT_TOLERANCE * (o.qty ?? o.remaining) ? 0 : awaited;
}
