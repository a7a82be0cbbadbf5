import { assign, setup } from 'xstate';
import type { SnapshotFrom } from 'xstate';
import type { TradingState } from '../streams/messages/risk-state.js';

/** Which self-triggered limit switched the account off. */
export type BreachKind = 'DAILY_LOSS' | 'DRAWDOWN';

export type RiskMachineContext = {
  /** Why the account is in its current state (operator text or the breached limit). */
  reason: string;
};

export type RiskMachineEvent =
  | Readonly<{ type: 'HALT'; reason: string }>
  | Readonly<{ type: 'REDUCE'; reason: string }>
  | Readonly<{ type: 'RESUME'; reason: string }>
  | Readonly<{ type: 'LIMIT_BREACH'; kind: BreachKind; detail: string }>;

/**
 * The account's trading state: ACTIVE passes orders within limits, REDUCING only orders that
 * shrink a position, HALTED nothing. Operators move it with HALT / REDUCE / RESUME; a daily-loss
 * or drawdown breach halts it by itself (LIMIT_BREACH) and only an operator RESUME lifts that.
 * Pure: no clock and no driver; the risk core sends events and persists what comes out.
 *
 * @example
 * const actor = createActor(riskMachine, { snapshot: restoreRiskSnapshot('HALTED', 'operator') }).start();
 */
export const riskMachine = setup({
  types: { context: {} as RiskMachineContext, events: {} as RiskMachineEvent },
  actions: {
    keepReason: assign({
      reason: ({ event }) => (event.type === 'LIMIT_BREACH' ? `${event.kind}: ${event.detail}` : event.reason),
    }),
  },
}).createMachine({
  id: 'risk',
  context: { reason: 'start' },
  initial: 'ACTIVE',
  states: {
    ACTIVE: {
      on: {
        HALT: { target: 'HALTED', actions: 'keepReason' },
        LIMIT_BREACH: { target: 'HALTED', actions: 'keepReason' },
        REDUCE: { target: 'REDUCING', actions: 'keepReason' },
      },
    },
    REDUCING: {
      on: {
        HALT: { target: 'HALTED', actions: 'keepReason' },
        LIMIT_BREACH: { target: 'HALTED', actions: 'keepReason' },
        RESUME: { target: 'ACTIVE', actions: 'keepReason' },
      },
    },
    HALTED: {
      on: {
        // An operator may step a halted account down to flattening only, or back to ACTIVE.
        REDUCE: { target: 'REDUCING', actions: 'keepReason' },
        RESUME: { target: 'ACTIVE', actions: 'keepReason' },
      },
    },
  },
});

export type RiskMachineSnapshot = SnapshotFrom<typeof riskMachine>;

/** A snapshot in `state` with `reason`, to restart a persisted account where it stood. */
export function restoreRiskSnapshot(state: TradingState, reason: string): RiskMachineSnapshot {
  return riskMachine.resolveState({ value: state, context: { reason } });
}

/** The trading state a snapshot is in. */
export const tradingStateOf = (s: RiskMachineSnapshot): TradingState => s.value as TradingState;
