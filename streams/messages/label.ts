import { z } from 'zod';
import { epochMs, finite, messageId, symbol, token } from './common.js';
import { BarrierSchema, LabeledSubjectSchema, ModelRefSchema, OutcomeClassSchema, TripleBarrierLabelSchema } from './outcome.js';

/**
 * The training label of a prediction or order, v1, on `sx.label.<strategy>.<venue>.<sym>`:
 * the triple-barrier label (+1 take-profit first, −1 stop-loss first or both in one bar, 0
 * vertical), the five-class outcome, and what a trainer needs to join it to its features
 * (`featureId` = the decision-time vector, model and feature-spec hash). `ts` as the outcome's.
 */
export const LabelSchema = z
  .object({
    type: z.literal('label'),
    v: z.literal(1),
    id: messageId,
    ts: epochMs,
    strategy: token,
    venue: token,
    symbol,
    subject: LabeledSubjectSchema,
    decisionTs: epochMs,
    label: TripleBarrierLabelSchema,
    barrier: BarrierSchema,
    hitTs: epochMs,
    outcomeClass: OutcomeClassSchema,
    /** Log return over the horizon (see the outcome). */
    forwardReturn: finite,
    netReturnBps: finite,
    featureId: messageId,
    model: ModelRefSchema.nullable(),
    featureSpecHash: z.string().min(1).max(128).nullable(),
  })
  .readonly();
export type Label = z.infer<typeof LabelSchema>;

/** `lbl:<prediction or order id>`. */
export const labelId = (subjectId: string): string => `lbl:${subjectId}`;
