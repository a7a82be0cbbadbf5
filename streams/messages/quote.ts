import { z } from 'zod';
import { epochMs, sourceId, nonNegative, positive, symbol, token } from './common.js';

/** Best bid/ask, v1. */
export const QuoteSchema = z
  .object({
    type: z.literal('md.quote'),
    v: z.literal(1),
    id: sourceId,
    venue: token,
    symbol,
    bid: positive,
    bidSize: nonNegative,
    ask: positive,
    askSize: nonNegative,
    ts: epochMs,
    recvTs: epochMs.optional(),
  })
  .readonly();
export type Quote = z.infer<typeof QuoteSchema>;

/** Deterministic id: a venue has one best bid/ask per symbol per instant and update sequence. */
export const quoteId = (venue: string, sym: string, ts: number, seq = 0): string => `q:${venue}:${sym}:${ts}:${seq}`;
