import { z } from 'zod';
import type { OrderSide } from '../../streams/messages/order-side.js';

/**
 * The ExecutionPolicy port: how a parent order is worked, never whether or which way to trade
 * (the strategy's intent and the position decide side and size). Immediate, TWAP and
 * Almgren–Chriss policies ship here; a learned policy implements the same port later. A policy
 * is a pure function of its inputs: the same parent and context give the same schedule.
 */

/** What the execution actor decided to trade: side and size are fixed, the policy only slices. */
export type ParentOrder = Readonly<{
  id: string;
  side: OrderSide;
  /** Unsigned size in base units, > 0. */
  qty: number;
  /** Reference price when the parent was created: the newest of the last mid and the last trade or bar close, else the prediction's price. */
  arrivalPrice: number;
  /** Event time the parent starts, ms. */
  startTs: number;
  /** Time the schedule may use, ms; every child is placed before startTs + horizonMs. */
  horizonMs: number;
}>;

/** What the market looked like at the parent's start; null where not known yet. */
export type MarketContext = Readonly<{
  /** Quoted spread in bps of the mid. */
  spreadBps: number | null;
  /** Volatility of 1-bar log returns (the `ewma_vol` feature), σ per bar. */
  volatility: number | null;
  /** Length of the bar `volatility` is measured over, ms. */
  barMs: number;
  /** Volume of the last bar in base units, per bar of `barMs` (a bar of another timeframe scaled to it). */
  volume: number | null;
}>;

/** One planned child: placed at `atTs`, worked for `ttlMs`. */
export type ChildPlan = Readonly<{
  atTs: number;
  qty: number;
  orderType: 'limit' | 'market';
  /** Offset of the limit from the reference price in bps; positive = passive, negative crosses. */
  limitOffsetBps: number;
  ttlMs: number;
}>;

/**
 * A schedule never places two children within one bar of `ctx.barMs` (the strategy's bar): they
 * would go out on one event at one price, and the paper venue would fill them against one bar's
 * volume. A policy of N slices over a horizon of fewer than N bars places one per whole bar
 * ({@link slicesWithinBars}).
 */
export type ExecutionPolicy = Readonly<{
  /** Name carried on every suggestion (`policy` field). */
  name: string;
  schedule(parent: ParentOrder, ctx: MarketContext): readonly ChildPlan[];
}>;

const finitePositive = z.number().refine((n) => Number.isFinite(n) && n > 0, { message: 'must be a finite number > 0' });

export const ParentOrderSchema = z.object({
  id: z.string().min(1),
  side: z.enum(['buy', 'sell']),
  qty: finitePositive,
  arrivalPrice: finitePositive,
  startTs: z.number().int().nonnegative(),
  horizonMs: z.number().int().positive(),
});

export class ExecutionPolicyError extends Error {
  override readonly name = 'ExecutionPolicyError';
}

/** Refuses a malformed parent with a clear error: a policy bug must not become odd orders. */
export function checkParent(parent: ParentOrder): void {
  const r = ParentOrderSchema.safeParse(parent);
  if (!r.success) throw new ExecutionPolicyError(`bad parent order ${parent.id}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
}

/**
 * How many children a schedule of `slices` may place over `horizonMs`: at most one per whole bar
 * of `barMs` (at least one), so that, evenly spaced, consecutive children are a bar or more apart
 * and never fall in one bar, however the horizon lies against the bar boundaries. A horizon of
 * fewer bars than slices (a re-plan over what is left after a hole, or horizon < slices × bar)
 * gets fewer, bigger children.
 */
export function slicesWithinBars(slices: number, horizonMs: number, barMs: number): number {
  if (!(Number.isFinite(barMs) && barMs > 0)) throw new RangeError(`barMs must be finite and > 0, got ${barMs}`);
  return Math.max(1, Math.min(slices, Math.floor(horizonMs / barMs)));
}

/**
 * Slice sizes from a target inventory path `x_0 = X ≥ x_1 ≥ … ≥ x_n = 0`: slice j is
 * `x_j − x_{j+1}`. The last slice takes what is left, so the slices sum to exactly X whatever
 * the rounding of the path.
 */
export function slicesFromPath(total: number, path: readonly number[]): number[] {
  const out: number[] = [];
  let done = 0;
  for (let j = 0; j + 1 < path.length; j++) {
    const q = j + 2 === path.length ? total - done : (path[j] as number) - (path[j + 1] as number);
    out.push(q);
    done += q;
  }
  return out;
}

/** Children placed at the start of each of `qtys.length` equal intervals of the horizon. */
export function evenlyTimed(parent: ParentOrder, qtys: readonly number[], child: Readonly<{ orderType: 'limit' | 'market'; limitOffsetBps: number; ttlMs?: number }>): ChildPlan[] {
  const n = qtys.length;
  const step = parent.horizonMs / n;
  const ttlMs = child.ttlMs ?? Math.max(1, Math.floor(step));
  const out: ChildPlan[] = [];
  for (let j = 0; j < n; j++) {
    const qty = qtys[j] as number;
    if (!(qty > 0)) continue;
    out.push({ atTs: parent.startTs + Math.floor(j * step), qty, orderType: child.orderType, limitOffsetBps: child.limitOffsetBps, ttlMs });
  }
  return out;
}
