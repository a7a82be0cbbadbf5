import type { ChildPlan, ExecutionPolicy, MarketContext, ParentOrder } from './execution-policy.js';
import { checkParent, evenlyTimed, slicesFromPath, slicesWithinBars } from './execution-policy.js';

export type TwapPolicyOptions = Readonly<{
  /** Number of equal slices over the horizon (default 5); fewer where the horizon holds fewer whole bars (one child per bar at most). */
  slices?: number;
  orderType?: 'limit' | 'market';
  /** Offset of each child's limit, bps; positive = passive (default 0: at the mid). */
  limitOffsetBps?: number;
  /** Child lifetime, ms (default: one slice interval, so children do not overlap). */
  ttlMs?: number;
}>;

/** The linear inventory path `x_j = X·(1 − j/n)`: the λ → 0 limit of Almgren–Chriss. */
export function linearPath(total: number, n: number): number[] {
  const path: number[] = [];
  for (let j = 0; j <= n; j++) path.push(total * (1 - j / n));
  return path;
}

/**
 * Time-weighted average price: `slices` equal children at equal intervals across the horizon, or
 * one per whole bar of `ctx.barMs` where the horizon holds fewer bars than slices (equal still).
 */
export function twapPolicy(opts: TwapPolicyOptions = {}): ExecutionPolicy {
  const n = opts.slices ?? 5;
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`twapPolicy: slices must be an integer >= 1, got ${n}`);
  const child = { orderType: opts.orderType ?? 'limit', limitOffsetBps: opts.limitOffsetBps ?? 0, ...(opts.ttlMs === undefined ? {} : { ttlMs: opts.ttlMs }) } as const;
  return {
    name: 'twap',
    schedule(parent: ParentOrder, ctx: MarketContext): readonly ChildPlan[] {
      checkParent(parent);
      const m = slicesWithinBars(n, parent.horizonMs, ctx.barMs);
      return evenlyTimed(parent, slicesFromPath(parent.qty, linearPath(parent.qty, m)), child);
    },
  };
}
