import { z } from 'zod';
import { OrderSideSchema } from '../../streams/messages/order-side.js';

/** A child of a stored plan, as the policy planned it (`ChildPlan`). */
const ChildPlanSchema = z.object({
  atTs: z.number().int(),
  qty: z.number().finite().positive(),
  orderType: z.enum(['limit', 'market']),
  limitOffsetBps: z.number().finite(),
  ttlMs: z.number().int().positive(),
});

/**
 * A parent under way: its whole plan and how many of its children were sent (`next`), so the
 * children after a restart keep their ids (`suggestionId(id, next)`), sizes, times and counts.
 * `flatten`: worked by the flatten policy (a close risk asked for) where closes have a policy of
 * their own, else by the strategy's policy; `policy` is that policy's name when it was planned.
 */
const ParentSchema = z
  .object({
    id: z.string().min(1),
    source: z.string().min(1),
    policy: z.string().min(1),
    flatten: z.boolean(),
    side: OrderSideSchema,
    qty: z.number().finite().positive(),
    target: z.number().finite(),
    /** When the parent was decided (its schedule's start, event time) and the time it may take. */
    startTs: z.number().int(),
    horizonMs: z.number().int().positive(),
    plan: z.array(ChildPlanSchema).min(1),
    next: z.number().int().nonnegative(),
  })
  .refine((p) => p.next < p.plan.length, { message: 'a parent whose children were all sent is not under way', path: ['next'] })
  .refine((p) => p.plan.every((c, i) => i === 0 || c.atTs >= (p.plan[i - 1] as { atTs: number }).atTs), { message: 'children out of time order', path: ['plan'] });

/** `null` stands for "none yet" (NaN or −∞ in memory), as JSON has neither. */
const maybe = z.number().finite().nullable();

/**
 * What execution knows of one asset besides the risk book's position and orders in flight (those
 * are restored from the book): its reference prices and estimates with their times, the last
 * prediction's price and horizon, when the next close may open, and its parent under way.
 */
const AssetStateSchema = z.object({
  venue: z.string().min(1),
  symbol: z.string().min(1),
  knownAt: maybe,
  mid: maybe,
  midAt: maybe,
  last: maybe,
  lastAt: maybe,
  spreadBps: maybe,
  spreadAt: maybe,
  vectorSpread: maybe,
  volatility: maybe,
  volume: maybe,
  predPrice: maybe,
  predHorizonMs: z.number().int().nonnegative(),
  flattenAfter: maybe,
  parent: ParentSchema.nullable(),
});

/**
 * The execution core's state stored with the risk book, in the same row and taken at the same
 * moment (`execution`, cli/risk-persist.ts): a restarted engine goes on with the parents that were
 * under way, sending their later children as an uninterrupted engine would (before, they were
 * dropped: a TWAP half-way through ended half-built, a close half-way through half-closed, and
 * nothing said so). A row stored before it has none: execution starts without parents.
 */
export const ExecutionSnapshotSchema = z.object({
  v: z.literal(1),
  strategy: z.string().min(1),
  assets: z.array(AssetStateSchema),
});
export type ExecutionSnapshot = z.infer<typeof ExecutionSnapshotSchema>;
export type ExecutionAssetState = z.infer<typeof AssetStateSchema>;
export type ExecutionParentState = z.infer<typeof ParentSchema>;

/** `n` as stored: NaN and ±∞ ("none yet") as null. */
export const storedNumber = (n: number): number | null => (Number.isFinite(n) ? n : null);
