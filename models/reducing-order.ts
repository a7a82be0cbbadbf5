import type { OrderSide } from '../streams/messages/order-side.js';

/**
 * An order is *reducing* when it is against the position and, with the same-side orders already
 * out (`sameSideOut`), cannot take the position through zero. One rule for the risk checks (what
 * REDUCING lets through) and the execution core (what it proposes while reducing).
 */
export const reducesPosition = (side: OrderSide, qty: number, position: number, sameSideOut: number): boolean =>
  side === 'buy' ? position < 0 && sameSideOut + qty <= -position : position > 0 && sameSideOut + qty <= position;
