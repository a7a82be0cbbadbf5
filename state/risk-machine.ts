import { assign, setup } from 'xstate';
import type { SnapshotFrom } from 'xstate';
import type { TradingState } from '../streams/messages/risk-state.js';

/** Which self-triggered limit switched the account off. */
export type BreachKind = 'DAILY_LOSS' | 'DRAWDOWN';

export type RiskMachineContext = {
  /** Why the account is in its current state (operator text or the breached limit). */
  reason: string;
  /**
   * REDUCING only: execution is to close every position (not only let reducing orders through),
   * and the account halts once it is flat. Set by a breach under `onBreach: flatten` or by an
   * operator's `reduce --flatten`.
   */
  flattening: boolean;
};

export type RiskMachineEvent =
  | Readonly<{ type: 'HALT'; reason: string }>
  | Readonly<{ type: 'REDUCE'; reason: string; flatten?: boolean }>
  | Readonly<{ type: 'RESUME'; reason: string }>
  /** A loss limit is past: HALTED at once, or (`flatten`) REDUCING and flattening first. */
  | Readonly<{ type: 'LIMIT_BREACH'; kind: BreachKind; detail: string; flatten?: boolean }>
  /** A flattening account holds nothing the venue would take an order for any more. */
  | Readonly<{ type: 'FLAT' }>;

const breachReason = (kind: BreachKind, detail: string, flatten: boolean): string => `${kind}: ${detail}${flatten ? '; flattening' : ''}`;

/**
 * The account's trading state: ACTIVE passes orders within limits, REDUCING only orders that
 * shrink a position, HALTED nothing. Operators move it with HALT / REDUCE / RESUME; a daily-loss
 * or drawdown breach halts it by itself (LIMIT_BREACH) and only an operator RESUME lifts that.
 * A breach that asks to flatten first goes to REDUCING with `flattening` set, and the FLAT event
 * (the risk core's, once no position is left) halts it. Pure: no clock and no driver; the risk
 * core sends events and persists what comes out.
 *
 * @example
 * const actor = createActor(riskMachine, { snapshot: restoreRiskSnapshot('HALTED', 'operator') }).start();
 */
export const riskMachine = setup({
  types: { context: {} as RiskMachineContext, events: {} as RiskMachineEvent },
  guards: {
    flattenFirst: ({ event }) => event.type === 'LIMIT_BREACH' && event.flatten === true,
    /** Closing every position: a breach changes nothing then (the first reason stays), FLAT halts. */
    flattening: ({ context }) => context.flattening,
  },
  actions: {
    keepReason: assign({
      reason: ({ event, context }) =>
        event.type === 'LIMIT_BREACH' ? breachReason(event.kind, event.detail, event.flatten === true) : event.type === 'FLAT' ? `${context.reason.replace(/; flattening$/, '')}; flattened` : event.reason,
      flattening: ({ event }) => (event.type === 'LIMIT_BREACH' ? event.flatten === true : event.type === 'REDUCE' ? event.flatten === true : false),
    }),
  },
}).createMachine({
  id: 'risk',
  context: { reason: 'start', flattening: false },
  initial: 'ACTIVE',
  states: {
    ACTIVE: {
      on: {
        HALT: { target: 'HALTED', actions: 'keepReason' },
        LIMIT_BREACH: [
          { guard: 'flattenFirst', target: 'REDUCING', actions: 'keepReason' },
          { target: 'HALTED', actions: 'keepReason' },
        ],
        REDUCE: { target: 'REDUCING', actions: 'keepReason' },
      },
    },
    REDUCING: {
      on: {
        HALT: { target: 'HALTED', actions: 'keepReason' },
        LIMIT_BREACH: [
          { guard: 'flattening' },
          { guard: 'flattenFirst', target: 'REDUCING', actions: 'keepReason' },
          { target: 'HALTED', actions: 'keepReason' },
        ],
        REDUCE: { target: 'REDUCING', actions: 'keepReason' },
        RESUME: { target: 'ACTIVE', actions: 'keepReason' },
        FLAT: { guard: 'flattening', target: 'HALTED', actions: 'keepReason' },
      },
    },
    HALTED: {
      on: {
        // An operator may step a halted account down to reducing (or flattening), or back to ACTIVE.
        REDUCE: { target: 'REDUCING', actions: 'keepReason' },
        RESUME: { target: 'ACTIVE', actions: 'keepReason' },
      },
    },
  },
});

export type RiskMachineSnapshot = SnapshotFrom<typeof riskMachine>;

/** A snapshot in `state` with `reason` (and, REDUCING only, `flattening`), to restart a persisted account where it stood. */
export function restoreRiskSnapshot(state: TradingState, reason: string, flattening = false): RiskMachineSnapshot {
  return riskMachine.resolveState({ value: state, context: { reason, flattening: state === 'REDUCING' && flattening } });
}

/** The trading state a snapshot is in. */
export const tradingStateOf = (s: RiskMachineSnapshot): TradingState => s.value as TradingState;
