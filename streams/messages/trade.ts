import { z } from 'zod';
import { epochMs, sourceId, positive, symbol, token } from './common.js';

/** A trade tick, v1. `side` is the taker's side when the venue reports it. */
export const TradeSchema = z
  .object({
    type: z.literal('md.trade'),
    v: z.literal(1),
    id: sourceId,
    venue: token,
    symbol,
    price: positive,
    qty: positive,
    side: z.enum(['buy', 'sell', 'unknown']),
    ts: epochMs,
    recvTs: epochMs.optional(),
  })
  .readonly();
export type Trade = z.infer<typeof TradeSchema>;

/** Deterministic id: venue, symbol and the venue's trade id identify a trade. */
export const tradeId = (venue: string, sym: string, venueTradeId: string | number): string => `t:${venue}:${sym}:${venueTradeId}`;
