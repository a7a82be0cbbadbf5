import { z } from 'zod';
import { epochMs, messageId, positive, symbol, token } from './common.js';
import { decidedNotBeforeTs } from './decided-at.js';
import { OrderSideSchema } from './order-side.js';

/** An order the risk actor approved, v1: the only actionable message (`sx.exec.order.…`). */
export const OrderSchema = z
  .object({
    type: z.literal('exec.order'),
    v: z.literal(1),
    id: messageId,
    ts: epochMs,
    strategy: token,
    venue: token,
    symbol,
    suggestionId: messageId,
    side: OrderSideSchema,
    qty: positive,
    orderType: z.enum(['limit', 'market']),
    limitPrice: positive.nullable(),
    /** Event time from which the order must not be worked any more (it works while event time is before it): its time-to-live counted from when it exists (a bar decision's close, not the bar's open `ts`). */
    expiresAt: epochMs,
    /** True when the order only reduces exposure (what REDUCING lets through). */
    reducing: z.boolean(),
    /**
     * Event time its suggestion was decided at (`Suggestion.decidedAt`): when the newest market data
     * it was decided with was known — a bar decision's close, a tick's time —, at or after `ts` (refused before it). `ts`
     * alone cannot say it: an order released by a tick or a 1m bar stamped on an hour is stamped
     * like the hourly bar of that open time, decided an hour later. The labeler measures the order
     * from the last bar closed by then. Optional: orders published before it existed have none.
     */
    decidedAt: epochMs.optional(),
    /**
     * The reference price the risk actor approved the order against: the mid its price collar
     * compared the order with (a limit order's limit, a market order's expected price). A market
     * order has no other price: a live consumer's fill of one further from it, and from the latest
     * mid the risk book holds when the fill comes, than `validation.marketFillBandBps` is refused
     * (ORDER_MISMATCH), a price or unit error. Optional:
     * orders published before it existed have none (their fills are not checked against it).
     */
    refPrice: positive.optional(),
  })
  .readonly()
  .superRefine(decidedNotBeforeTs);
export type Order = z.infer<typeof OrderSchema>;

export const orderId = (suggestionId: string): string => `o:${suggestionId}`;
