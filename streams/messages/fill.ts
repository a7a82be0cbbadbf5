import { z } from 'zod';
import { epochMs, messageId, nonNegative, positive, symbol, token } from './common.js';
import { OrderSideSchema } from './order-side.js';

/**
 * A fill of an approved order, v1, from the paper venue or a live trading consumer. `fee` is in
 * quote currency; `slippageBps` is the fill price against the order's reference mid, signed so
 * that positive is worse for the trader.
 */
export const FillSchema = z
  .object({
    type: z.literal('exec.fill'),
    v: z.literal(1),
    id: messageId,
    ts: epochMs,
    orderId: messageId,
    strategy: token,
    venue: token,
    symbol,
    side: OrderSideSchema,
    qty: positive,
    price: positive,
    fee: nonNegative,
    liquidity: z.enum(['maker', 'taker']),
    slippageBps: z.number().refine(Number.isFinite, { message: 'must be a finite number' }),
    /** True when the order has nothing left to fill (filled, or expired after this fill). */
    final: z.boolean(),
  })
  .readonly();
export type Fill = z.infer<typeof FillSchema>;

export const fillId = (orderId: string, n: number): string => `x:${orderId}:${n}`;
