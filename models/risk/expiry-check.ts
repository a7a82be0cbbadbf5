import type { Expiry } from '../../streams/messages/expiry.js';
import type { FillMismatch } from './fill-check.js';
import { bookKey } from './risk-book.js';
import type { RiskBook } from './risk-book.js';

/**
 * Checks an expiry reported from outside (a live trading consumer: its exchange cancelled or
 * expired an order) against the order it names, before the order is released: the order must be
 * one the book holds, in flight or retired within the dedup window (UNKNOWN_ORDER), of the
 * expiry's venue, symbol and strategy, and not filled in full already (ORDER_MISMATCH: nothing was
 * left to expire, so the report is a consumer's mistake). An order already released (its expiry
 * applied before, or its `expiresAt` passed) passes: releasing it again changes nothing.
 */
export function expiryMismatch(book: RiskBook, e: Expiry): FillMismatch | undefined {
  const o = book.orderOf(e.orderId);
  if (o === undefined) return { reason: 'UNKNOWN_ORDER', detail: `expiry ${e.id} names order ${e.orderId}, which this account did not approve (or not within the dedup window)` };
  const problems: string[] = [];
  const key = bookKey(e.venue, e.symbol);
  if (key !== o.key) problems.push(`order ${e.orderId} is for ${o.key.replace('|', ' ')}, the expiry for ${e.venue} ${e.symbol}`);
  if (o.strategy !== undefined && e.strategy !== o.strategy) problems.push(`order ${e.orderId} is strategy ${o.strategy}'s, the expiry says ${e.strategy}`);
  if (o.remaining === 0) problems.push(`order ${e.orderId} was filled in full already: nothing was left to expire`);
  return problems.length === 0 ? undefined : { reason: 'ORDER_MISMATCH', detail: problems.join('; ') };
}
