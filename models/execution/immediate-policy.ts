import type { ChildPlan, ExecutionPolicy, MarketContext, ParentOrder } from './execution-policy.js';
import { checkParent } from './execution-policy.js';

export type ImmediatePolicyOptions = Readonly<{
  /** `market`, or a marketable limit (default) that crosses the spread by `crossBps` beyond the touch. */
  orderType?: 'limit' | 'market';
  /** Extra bps beyond the far touch for the marketable limit (default 5). */
  crossBps?: number;
  /** Full spread assumed when the context has none, bps (default 10). */
  fallbackSpreadBps?: number;
  /** How long the child lives, ms (default 60,000). */
  ttlMs?: number;
}>;

/**
 * Everything now, in one child. The marketable limit sits at `−(spread/2 + crossBps)` bps from
 * the mid: through the far touch, so it takes liquidity at once, but with a price cap so a thin
 * book cannot fill it anywhere.
 */
export function immediatePolicy(opts: ImmediatePolicyOptions = {}): ExecutionPolicy {
  const orderType = opts.orderType ?? 'limit';
  const crossBps = opts.crossBps ?? 5;
  const fallbackHalf = (opts.fallbackSpreadBps ?? 10) / 2;
  const ttlMs = opts.ttlMs ?? 60_000;
  if (!(crossBps >= 0) || !(fallbackHalf >= 0) || !(Number.isInteger(ttlMs) && ttlMs > 0)) throw new RangeError('immediatePolicy: crossBps, fallbackSpreadBps >= 0 and ttlMs a positive integer');
  return {
    name: orderType === 'market' ? 'immediate-market' : 'immediate',
    schedule(parent: ParentOrder, ctx: MarketContext): readonly ChildPlan[] {
      checkParent(parent);
      const half = ctx.spreadBps === null ? fallbackHalf : ctx.spreadBps / 2;
      const limitOffsetBps = orderType === 'market' ? 0 : -(half + crossBps);
      return [{ atTs: parent.startTs, qty: parent.qty, orderType, limitOffsetBps, ttlMs }];
    },
  };
}
