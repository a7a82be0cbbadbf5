import type { OrderSide } from '../streams/messages/order-side.js';
import { DUST_SHARE } from './quantity-dust.js';

/**
 * An order is *reducing* when it is against the position and, with the same-side orders already
 * out (`sameSideOut`), cannot take the position through zero. One rule for the risk checks (what
 * REDUCING lets through) and the execution core (what it proposes while reducing).
 *
 * "Through zero" allows floating-point dust ({@link DUST_SHARE} of the quantities): a schedule's
 * last slice is the total less the earlier ones, summed in another order than the fills that
 * brought the position down, so it can exceed what is left by an ulp; the book counts what such a
 * fill leaves behind as flat.
 */
export const reducesPosition = (side: OrderSide, qty: number, position: number, sameSideOut: number): boolean => {
  const held = side === 'buy' ? -position : position;
  if (!(held > 0)) return false;
  const closing = sameSideOut + qty;
  return closing <= held + DUST_SHARE * Math.max(held, closing);
};
