import { z } from 'zod';
import { epochMs, messageId } from './common.js';

export const TradingStateSchema = z.enum(['ACTIVE', 'REDUCING', 'HALTED']);
export type TradingState = z.infer<typeof TradingStateSchema>;

/** A change of the risk actor's trading state, v1 (`sx.risk.state`). */
export const RiskStateSchema = z
  .object({
    type: z.literal('risk.state'),
    v: z.literal(1),
    id: messageId,
    ts: epochMs,
    account: z.string().min(1).max(64),
    state: TradingStateSchema,
    previous: TradingStateSchema,
    reason: z.string(),
    /** Halts scoped to a strategy or symbol that are in force (the global state aside). */
    scopedHalts: z.array(z.object({ scope: z.enum(['strategy', 'symbol']), value: z.string() }).readonly()).readonly(),
  })
  .readonly();
export type RiskState = z.infer<typeof RiskStateSchema>;
