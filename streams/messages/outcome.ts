import { z } from 'zod';
import { epochMs, finite, messageId, nonNegative, positive, symbol, token } from './common.js';

/** What an outcome or label is about: a prediction (`p:…`) or an approved order (`o:…`). */
export const LabeledSubjectSchema = z.object({ kind: z.enum(['prediction', 'order']), id: messageId }).readonly();
export type LabeledSubject = z.infer<typeof LabeledSubjectSchema>;

export const BarrierSchema = z.enum(['take_profit', 'stop_loss', 'vertical']);
export const OutcomeClassSchema = z.enum(['excellent', 'good', 'neutral', 'poor', 'bad']);
export const TripleBarrierLabelSchema = z.union([z.literal(1), z.literal(-1), z.literal(0)]);
export const ModelRefSchema = z.object({ name: token, version: z.number().int().positive() }).readonly();

export const ShortfallSchema = z
  .object({
    decisionPrice: positive,
    orderQty: positive,
    filledQty: nonNegative,
    avgFillPrice: positive.nullable(),
    /** Fees of the order's fills summed, quote currency: negative where maker rebates outweigh them (a fill's `fee` may be a rebate). */
    fees: finite.meta({ description: 'Quote currency, the fills\' fees summed: negative where maker rebates (negative fill fees) outweigh the fees paid.' }),
    executionBps: finite.nullable(),
    opportunityBps: finite,
    totalBps: finite,
  })
  .readonly();

/**
 * The realised outcome of a prediction or order once its horizon passed in event time, v1, on
 * `sx.outcome.<strategy>.<venue>.<sym>`. `ts` is the vertical barrier (open time of the horizon
 * bar): the event time at which the outcome is known. `forwardReturn` is the LOG return from
 * `entryPrice` to the close of the last bar at or before the horizon (`exitPrice`); `mfe`/`mae`
 * are SIMPLE returns from bar highs/lows, signed by `direction`. `entryPrice` is a prediction's
 * decision-time close, an order's average fill price (unfilled: its `refPrice`; an order without
 * one: its decision bar's close). `shortfall` is set for orders only, from their decision price
 * (the decision bar's close).
 */
export const OutcomeSchema = z
  .object({
    type: z.literal('outcome'),
    v: z.literal(1),
    id: messageId,
    ts: epochMs,
    strategy: token,
    venue: token,
    symbol,
    subject: LabeledSubjectSchema,
    /** Open time of the decision bar. */
    decisionTs: epochMs,
    horizonBars: z.number().int().positive(),
    /** Bars actually seen in (decisionTs, ts]: fewer than `horizonBars` when the data has gaps. */
    bars: z.number().int().nonnegative(),
    direction: z.union([z.literal(1), z.literal(-1)]),
    entryPrice: positive,
    exitPrice: positive,
    forwardReturn: finite,
    /** `direction · forwardReturn · 10⁴ − costBps`. */
    netReturnBps: finite,
    costBps: nonNegative,
    mfe: finite,
    mae: finite,
    atr: positive,
    barrier: z
      .object({ label: TripleBarrierLabelSchema, hit: BarrierSchema, hitTs: epochMs, takeProfit: finite, stopLoss: finite })
      .readonly(),
    outcomeClass: OutcomeClassSchema,
    model: ModelRefSchema.nullable(),
    shortfall: ShortfallSchema.nullable(),
  })
  .readonly();
export type Outcome = z.infer<typeof OutcomeSchema>;

/** `out:<prediction or order id>`. */
export const outcomeId = (subjectId: string): string => `out:${subjectId}`;
