import { z } from 'zod';
import { epochMs, messageId, symbol, token } from './common.js';
import { RiskReasonSchema } from './risk-reason.js';

/** A suggestion the risk actor refused, v1, with every reason that applied. */
export const RejectSchema = z
  .object({
    type: z.literal('exec.reject'),
    v: z.literal(1),
    id: messageId,
    ts: epochMs,
    strategy: token,
    venue: token,
    symbol,
    suggestionId: messageId,
    reasons: z.array(RiskReasonSchema).min(1).readonly(),
    detail: z.string(),
  })
  .readonly();
export type Reject = z.infer<typeof RejectSchema>;

export const rejectId = (suggestionId: string): string => `r:${suggestionId}`;
