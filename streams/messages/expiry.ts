import { z } from 'zod';
import { epochMs, messageId, nonNegative, positive, symbol, token, unknownFields } from './common.js';

/**
 * Why a venue stopped working an order with quantity left: `ttl` its `expiresAt` came (the paper
 * venue), `gap` the paper venue cancelled it because its symbol's data resumed after a hole
 * (`paperVenue.maxGapMs`), `venue` a live venue cancelled or expired it (a live trading consumer's report).
 */
export const ExpiryReasonSchema = z.enum(['ttl', 'gap', 'venue']);
export type ExpiryReason = z.infer<typeof ExpiryReasonSchema>;

/**
 * An approved order the venue works no more, quantity left, v1: from the paper venue (at its TTL,
 * or at a hole in the data) or a live trading consumer (its exchange cancelled or expired it). On
 * `sx.exec.expired.<venue>.<sym>`, `Nats-Msg-Id` = `id` = `e:<orderId>` (one per order). The risk
 * actor stops counting the order in flight (position, exposure and reduce-only limits) at once
 * rather than at its `expiresAt`, and execution no longer counts it working. Fills of the order
 * before it come first; a fill after it of the same order is still booked (a venue's late report:
 * fills travel on their own subject). `filledQty + remainingQty` is the order's quantity, give or
 * take the venue's rounding to its lot step (`REPORT_TOLERANCE`, models/quantity-dust.ts); what
 * `filledQty` says beyond the fills booked stays in flight (and working) until those fills come.
 * A field it has not is refused (`unknownFields`), not stripped.
 */
export const ExpirySchema = z
  .strictObject(
    {
      type: z.literal('exec.expired'),
      v: z.literal(1),
      id: messageId,
      /** Event time the venue stopped working the order. */
      ts: epochMs,
      orderId: messageId,
      strategy: token,
      venue: token,
      symbol,
      /** Quantity filled before it stopped. */
      filledQty: nonNegative,
      /** Quantity left unfilled. */
      remainingQty: positive,
      reason: ExpiryReasonSchema,
      /** The venue's own words (a live exchange's cancel reason), for people. */
      text: z.string().max(500).optional(),
    },
    { error: unknownFields('expiry') },
  )
  .superRefine((e, ctx) => {
    if (e.id !== expiryId(e.orderId)) ctx.addIssue({ code: 'custom', path: ['id'], message: `must be ${JSON.stringify(expiryId(e.orderId))} (e:<orderId>): one expiry per order` });
  })
  .readonly();
export type Expiry = z.infer<typeof ExpirySchema>;

/** The id (and `Nats-Msg-Id`) of an order's expiry: one per order, so a second report of it is dropped. */
export const expiryId = (orderId: string): string => `e:${orderId}`;
