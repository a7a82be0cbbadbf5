import { z } from 'zod';
import { epochMs, finite, messageId, positive, symbol, token, unknownFields } from './common.js';
import { OrderSideSchema } from './order-side.js';

/**
 * Largest rebate a fill may carry, as a share of its notional (qty × price): 1 %. Venues pay makers
 * a few bps at most; a rebate past this can only be a sign or unit error, and booking it would
 * credit the risk book money it never got.
 */
export const MAX_REBATE_SHARE = 0.01;

/**
 * A fill of an approved order, v1, from the paper venue or a live trading consumer. `fee` is in
 * quote currency, paid (positive) or received (negative: a maker rebate, at most
 * `MAX_REBATE_SHARE` of qty × price); `slippageBps` is the fill price against the order's
 * reference mid, signed so that positive is worse for the trader. A field it has not is refused
 * (`unknownFields`), not stripped.
 */
export const FillSchema = z
  .strictObject(
    {
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
      fee: finite.meta({ description: `Quote currency: paid, or negative for a rebate received (a maker rebate), of at most ${MAX_REBATE_SHARE * 100} % of qty × price; the risk book's realised PnL is net of it.` }),
      liquidity: z.enum(['maker', 'taker']),
      slippageBps: finite,
      /**
       * True when the order has nothing left to fill: filled in full, or expired after this fill (the
       * venue works the rest no more: the risk book releases it and counts the order expired
       * part-filled; an exec.expired of it after, leaving that rest, is acknowledged, not needed). No
       * fill of the order may follow a final one.
       */
      final: z.boolean(),
    },
    { error: unknownFields('fill') },
  )
  .superRefine((f, ctx) => {
    // A fee paid, or a fill whose qty or price is refused already (zod runs this on it too): no
    // rebate to bound. Else a negative qty read as a rebate bound below 0 and a paid fee as a rebate
    // over it ('a rebate of -0.01 is over 1 % of the fill's notional (qty × price = -67373.3)').
    if (!(f.fee < 0 && f.qty > 0 && f.price > 0)) return;
    const cap = MAX_REBATE_SHARE * f.qty * f.price;
    // A paper venue's maker fee of −100 bps gives a rebate of the cap, give or take rounding.
    if (f.fee < -cap * (1 + 1e-9)) ctx.addIssue({ code: 'custom', path: ['fee'], message: `a rebate of ${-f.fee} is over ${MAX_REBATE_SHARE * 100} % of the fill's notional (qty × price = ${f.qty * f.price}): at most ${cap}` });
  })
  .readonly();
export type Fill = z.infer<typeof FillSchema>;

export const fillId = (orderId: string, n: number): string => `x:${orderId}:${n}`;
