import type { RiskCore, TradingSnapshot } from '../models/risk/risk-core.js';
import { riskStateId } from '../models/risk/risk-core.js';
import type { RiskState } from '../streams/messages/risk-state.js';

/**
 * Puts a restored change of the trading state (an operator's change stored before a restart and
 * not covered by the restored book: `DueChanges`) in force on `risk`, and returns the risk.state
 * message to announce it with: the id the first run announced it with (its `seq`), `previous` the
 * state it replaces, `ts` the engine clock's `now`. A dashboard, the websocket gateway's last state
 * or the metrics started after the restart heard nothing else of it, and showed ACTIVE while
 * halted. It is stored already (the trading row's `pending`).
 */
export function restoreTradingChange(risk: Pick<RiskCore, 'trading' | 'restoreTrading' | 'status'>, t: TradingSnapshot, now: number): RiskState {
  const previous = risk.trading().state;
  risk.restoreTrading(t);
  const account = risk.status().account;
  return {
    type: 'risk.state',
    v: 1,
    id: riskStateId(account, t.seq),
    ts: now,
    account,
    state: t.state,
    previous,
    reason: t.reason,
    scopedHalts: t.scopedHalts.map((h) => ({ scope: h.scope, value: h.value, reason: h.reason })),
  };
}
