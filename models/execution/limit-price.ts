import type { OrderSide } from '../../streams/messages/order-side.js';

/**
 * A limit `offsetBps` from `ref`: below for buys and above for sells when positive (passive),
 * through the reference when negative (crossing the spread).
 */
export function limitPriceOf(side: OrderSide, ref: number, offsetBps: number): number {
  return side === 'buy' ? ref * (1 - offsetBps / 1e4) : ref * (1 + offsetBps / 1e4);
}
