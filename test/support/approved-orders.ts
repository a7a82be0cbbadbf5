import type { CoreBookSnapshot } from '../../models/risk/risk-core.js';
import { bookKey } from '../../models/risk/risk-book.js';
import type { OrderSide } from '../../streams/messages/order-side.js';

/**
 * `limitPrice`: a limit order's (its fills are checked against it); left out, a market order's.
 * `refPrice`: a market order's, the mid risk approved it against (its fills are held to a band around it).
 */
export type ApprovedOrder = Readonly<{ id: string; venue: string; symbol: string; side: OrderSide; qty: number; strategy: string; expiresAt: number; limitPrice?: number; refPrice?: number }>;

/**
 * A risk book that holds `orders` in flight and nothing else: what a risk actor restarted after
 * approving them loads. External fills are booked only against orders risk approved
 * (models/risk/fill-check.ts), so a test that sends a consumer's fills starts from one.
 */
export function bookWithOrders(orders: readonly ApprovedOrder[]): CoreBookSnapshot {
  return {
    book: {
      positions: [],
      marks: [],
      inFlight: orders.map((o) => ({ orderId: o.id, key: bookKey(o.venue, o.symbol), side: o.side, remaining: o.qty, expiresAt: o.expiresAt, strategy: o.strategy, qty: o.qty, ...(o.limitPrice !== undefined ? { limitPrice: o.limitPrice } : {}), ...(o.refPrice !== undefined ? { refPrice: o.refPrice } : {}) })),
      orderTimes: [],
      fillIds: [],
      day: null,
      dayStartEquity: 0,
      peakEquity: 0,
    },
    seen: [],
  };
}
