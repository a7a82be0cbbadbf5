import type { TradingState } from '../../streams/messages/risk-state.js';

/** One trading-state change the risk actor announced (`at`: ISO event time). */
export type RiskTransition = Readonly<{ at: string; state: TradingState; previous: TradingState; reason: string }>;

/** The risk actor over a replayed window (a backtest, an experiment's arm): every change, in order, and the state at the end. */
export type RiskOverWindow = Readonly<{ transitions: readonly RiskTransition[]; finalState: TradingState }>;

/** The risk state at the end, in a table cell: `ACTIVE`, or `HALTED 2022-05-09` (since when). */
export function riskCell(risk: RiskOverWindow): string {
  const last = risk.transitions.at(-1);
  return risk.finalState === 'ACTIVE' || last === undefined ? risk.finalState : `${risk.finalState} ${last.at.slice(0, 10)}`;
}
