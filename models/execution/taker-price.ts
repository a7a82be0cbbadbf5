/**
 * A taker sell never fills below this share of the price it crossed at: square-root impact past
 * 100 % (an absurd `impactCoeff`, or a volatile coin at a large share of a thin bar) would price it
 * at or below zero, which no fill can be.
 */
export const MIN_SELL_PRICE_SHARE = 1e-4;

/**
 * The price a taker pays (buy) or gets (sell) `slippageBps` away from `touch`.
 *
 * @example takerPrice(100, 'sell', 25) // 99.75
 */
export function takerPrice(touch: number, side: 'buy' | 'sell', slippageBps: number): number {
  if (side === 'buy') return touch * (1 + slippageBps / 1e4);
  return touch * Math.max(MIN_SELL_PRICE_SHARE, 1 - slippageBps / 1e4);
}
