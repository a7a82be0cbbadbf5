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
    /**
     * The account's trading-state reason (that of the halt, reduce, resume or limit breach that last
     * set its state): a halt or resume of one strategy or symbol leaves it as it was, and gives its
     * own reason in `scopedReason`.
     */
    reason: z.string(),
    /**
     * Present on a change made by an operator's halt or resume of one strategy or symbol
     * (`sextant ctl halt --symbol BTC/USDT --reason "bad feed"`): the reason given for it. Absent on
     * every other change.
     */
    scopedReason: z.string().optional().meta({ description: 'The reason an operator gave for the halt or resume of one strategy or symbol this change made; absent on every other change.' }),
    /**
     * Halts scoped to a strategy or symbol that are in force (the global state aside), each with
     * the reason the operator gave for it (`reason`: the `scopedReason` of the change that halted
     * it, kept on every later change while it holds; absent from an engine older than it).
     */
    scopedHalts: z.array(z.object({ scope: z.enum(['strategy', 'symbol']), value: z.string(), reason: z.string().optional().meta({ description: 'The reason the operator gave for this halt.' }) }).readonly()).readonly(),
    /**
     * `false`: the change is in force in the engine, but storing it failed or had not ended when it
     * was announced (an operator's halt, the halt a `limits set` caused, or a daily-loss or drawdown
     * breach decided by the risk actor or the engine's decision path, on a store that failed or did
     * not answer): a restart before it is stored would not find it. `true`: the same change (same
     * `id`), announced `false` before, stored since by a later write (a retry, the next write of the
     * risk state); sent only while it is the account's last change announced. Absent: stored with
     * the change (the decision path announces a breach once the risk write covering it is stored; a
     * backtest, which stores nothing, as it decides it).
     */
    stored: z
      .boolean()
      .optional()
      .meta({
        description:
          'false: in force in the engine, but its store write failed or had not ended (a restart before it is stored comes back without it). true: the same change (same id), announced false before, stored since by a later write; sent only while it is the last change announced. Absent: stored with the change.',
      }),
  })
  .readonly();
export type RiskState = z.infer<typeof RiskStateSchema>;
