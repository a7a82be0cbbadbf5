import { z } from 'zod';
import { epochMs, finite, messageId, positive, suggestionMessageId, symbol, token } from './common.js';
import { decidedNotBeforeTs } from './decided-at.js';
import { OrderSideSchema } from './order-side.js';

/**
 * A suggested child order from the execution actor, v1 — before risk, never actionable.
 * `limitOffsetBps` is how far from the reference price the limit sits, positive = less
 * aggressive (below for buys, above for sells); `limitPrice` is null for a market order.
 */
export const SuggestionSchema = z
  .object({
    type: z.literal('exec.suggest'),
    v: z.literal(1),
    id: suggestionMessageId,
    ts: epochMs,
    strategy: token,
    venue: token,
    symbol,
    /** The parent order this child belongs to, and the prediction that caused it. */
    parentId: messageId,
    source: messageId,
    policy: z.string().min(1).max(64),
    side: OrderSideSchema,
    qty: positive,
    orderType: z.enum(['limit', 'market']),
    refPrice: positive,
    limitPrice: positive.nullable(),
    limitOffsetBps: finite,
    ttlMs: z.number().int().positive(),
    /** Index of this child in the parent's schedule, and how many the schedule has. */
    child: z.number().int().nonnegative(),
    children: z.number().int().positive(),
    /**
     * Event time the child was decided at: when the newest market data it was decided with was
     * known (a bar's close for a bar's decision, whose `ts` is the bar's open; a tick's time),
     * at or after `ts` (one before it is refused: decided before its own time). Optional:
     * suggestions published before it existed have none.
     */
    decidedAt: epochMs.optional(),
  })
  .readonly()
  .superRefine(decidedNotBeforeTs);
export type Suggestion = z.infer<typeof SuggestionSchema>;

export const suggestionId = (parentId: string, child: number): string => `s:${parentId}:${child}`;
