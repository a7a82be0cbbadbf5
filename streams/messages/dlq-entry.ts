import { z } from 'zod';
import { epochMs, messageId } from './common.js';

/** Why a message was refused at the edge. Machine-readable; logged, counted and sent to the DLQ. */
export const RefusalReason = {
  MALFORMED_JSON: 'MALFORMED_JSON',
  SCHEMA: 'SCHEMA',
  NON_FINITE: 'NON_FINITE',
  NON_POSITIVE: 'NON_POSITIVE',
  UNKNOWN_SYMBOL: 'UNKNOWN_SYMBOL',
  OVERSIZE: 'OVERSIZE',
  DUPLICATE: 'DUPLICATE',
  OUT_OF_ORDER: 'OUT_OF_ORDER',
  SUBJECT_MISMATCH: 'SUBJECT_MISMATCH',
  /** A fill of an order the risk actor did not approve (or no longer remembers). */
  UNKNOWN_ORDER: 'UNKNOWN_ORDER',
  /** A fill that does not agree with its order: venue, symbol, side, strategy, more than it had left, or a price worse than its limit (past `validation.fillPriceToleranceBps`). */
  ORDER_MISMATCH: 'ORDER_MISMATCH',
  /** A valid message whose handling failed (a policy error on it): refused so the actor goes on. */
  PROCESSING_FAILED: 'PROCESSING_FAILED',
} as const;
export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason];
export const RefusalReasonSchema = z.enum(Object.values(RefusalReason) as [RefusalReason, ...RefusalReason[]]);

/** A refused message, v1: the reason, a human detail and the original payload (truncated). */
export const DlqEntrySchema = z
  .object({
    type: z.literal('dlq.entry'),
    v: z.literal(1),
    id: messageId,
    source: z.string().min(1),
    reason: RefusalReasonSchema,
    detail: z.string(),
    subject: z.string(),
    payload: z.string(),
    ts: epochMs,
  })
  .readonly();
export type DlqEntry = z.infer<typeof DlqEntrySchema>;
