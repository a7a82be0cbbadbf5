import { assign, cancel, raise, setup } from 'xstate';
import type { SnapshotFrom } from 'xstate';

export type AssetMachineInput = Readonly<{ venue: string; symbol: string; staleAfterMs: number }>;

export type AssetMachineContext = {
  venue: string;
  symbol: string;
  staleAfterMs: number;
  /** Newest event time reported by DATA; never goes back. */
  lastDataTs: number | null;
  /** Whether the last DATA said every feature has warmed up. */
  warm: boolean;
  /**
   * No DATA for `staleAfterMs`. Tracked in every state, halted included, so RESUME can return
   * to `stale` when the feed died during the halt: the machine has no `now()` to ask later.
   */
  stale: boolean;
  haltReason: string | null;
};

/**
 * Sent once per checkpoint, not per tick or batch: data up to event time `ts` is handled and
 * saved; `warm` = all features had warmed up by then.
 */
export type DataEvent = Readonly<{ type: 'DATA'; ts: number; warm: boolean }>;
export type HaltEvent = Readonly<{ type: 'HALT'; reason: string }>;
export type ResumeEvent = Readonly<{ type: 'RESUME' }>;
/** What an asset actor sends its machine. */
export type AssetMachineEvent = DataEvent | HaltEvent | ResumeEvent;
/** Raised by the machine itself, on the injected clock, `staleAfterMs` after the last DATA. */
export type DataTimeoutEvent = Readonly<{ type: 'DATA_TIMEOUT' }>;

export const AssetStatus = { warming: 'warming', live: 'live', stale: 'stale', halted: 'halted' } as const;
export type AssetStatus = (typeof AssetStatus)[keyof typeof AssetStatus];

const STALE_TIMER = 'staleTimer';

/**
 * Lifecycle of an asset actor: `warming → live ⇄ stale`, and `halted` from anywhere until
 * RESUME, which lands in `warming`, `live` or `stale` according to what the data did meanwhile.
 *
 * Pure: no driver, no wall clock. Staleness is a delayed event on the clock given to
 * `createActor`, so a simulated clock driven by event time makes it deterministic. Every DATA
 * cancels and re-arms it. It is a machine-level timer (`raise` with an id and a delay taken
 * from context) rather than an `after` on `live`, because an `after` is cancelled when HALT
 * leaves `live`: a halted machine would then have to restart the countdown from the halt and
 * could resume `live` on data up to twice `staleAfterMs` old.
 *
 * @example
 * const actor = createActor(assetMachine, { clock, input: { venue, symbol, staleAfterMs } }).start();
 * actor.send({ type: 'DATA', ts: savedTs, warm: engine.warm() }); // once per checkpoint
 */
export const assetMachine = setup({
  types: {
    context: {} as AssetMachineContext,
    events: {} as AssetMachineEvent | DataTimeoutEvent,
    input: {} as AssetMachineInput,
  },
  delays: {
    staleAfter: ({ context }) => context.staleAfterMs,
  },
  guards: {
    warmData: ({ event }) => event.type === 'DATA' && event.warm,
    resumeLive: ({ context }) => context.warm && !context.stale,
    resumeStale: ({ context }) => context.warm && context.stale,
  },
  actions: {
    recordData: assign(({ context, event }) =>
      event.type === 'DATA' ? { lastDataTs: Math.max(event.ts, context.lastDataTs ?? event.ts), warm: event.warm, stale: false } : {},
    ),
    cancelStaleTimer: cancel(STALE_TIMER),
    armStaleTimer: raise({ type: 'DATA_TIMEOUT' }, { id: STALE_TIMER, delay: 'staleAfter' }),
    markStale: assign({ stale: true }),
    recordHalt: assign({ haltReason: ({ event }) => (event.type === 'HALT' ? event.reason : null) }),
    clearHalt: assign({ haltReason: null }),
  },
}).createMachine({
  id: 'asset',
  context: ({ input }) => ({
    venue: input.venue,
    symbol: input.symbol,
    staleAfterMs: input.staleAfterMs,
    lastDataTs: null,
    warm: false,
    stale: false,
    haltReason: null,
  }),
  initial: 'warming',
  on: {
    HALT: { target: '.halted', actions: 'recordHalt' },
    DATA_TIMEOUT: { actions: 'markStale' },
  },
  states: {
    warming: {
      on: {
        DATA: [
          { guard: 'warmData', target: 'live', actions: ['recordData', 'cancelStaleTimer', 'armStaleTimer'] },
          { actions: ['recordData', 'cancelStaleTimer', 'armStaleTimer'] },
        ],
      },
    },
    live: {
      on: {
        // Features can fall back to cold (the engine reset after a gap): warm up again.
        DATA: [
          { guard: 'warmData', actions: ['recordData', 'cancelStaleTimer', 'armStaleTimer'] },
          { target: 'warming', actions: ['recordData', 'cancelStaleTimer', 'armStaleTimer'] },
        ],
        DATA_TIMEOUT: { target: 'stale', actions: 'markStale' },
      },
    },
    stale: {
      on: {
        DATA: [
          { guard: 'warmData', target: 'live', actions: ['recordData', 'cancelStaleTimer', 'armStaleTimer'] },
          { target: 'warming', actions: ['recordData', 'cancelStaleTimer', 'armStaleTimer'] },
        ],
      },
    },
    halted: {
      on: {
        // A second HALT only updates the reason; data keeps the context current for RESUME.
        HALT: { actions: 'recordHalt' },
        DATA: { actions: ['recordData', 'cancelStaleTimer', 'armStaleTimer'] },
        RESUME: [
          { guard: 'resumeLive', target: 'live', actions: 'clearHalt' },
          { guard: 'resumeStale', target: 'stale', actions: 'clearHalt' },
          { target: 'warming', actions: 'clearHalt' },
        ],
      },
    },
  },
});

export type AssetMachineSnapshot = SnapshotFrom<typeof assetMachine>;

/** The lifecycle state as a string, for `status()` replies, logs and the dashboard. */
export const assetStatus = (snapshot: AssetMachineSnapshot): AssetStatus => snapshot.value;
