import { assign, setup } from 'xstate';
import type { SnapshotFrom } from 'xstate';
import type { ShadowResult, ShadowVerdictResult } from '../models/retraining/shadow-evaluation.js';
import type { TriggerReason } from '../models/retraining/triggers.js';

export const RetrainingPhase = {
  idle: 'idle',
  collecting: 'collecting',
  training: 'training',
  validating: 'validating',
  shadow: 'shadow',
  promoted: 'promoted',
  rejected: 'rejected',
  paused: 'paused',
} as const;
export type RetrainingPhase = (typeof RetrainingPhase)[keyof typeof RetrainingPhase];

/** Where RESUME returns to: a paused cycle keeps its place, except mid-training (the fit is cancelled). */
type ResumeTo = 'idle' | 'collecting' | 'shadow';

export type ModelVersionRef = Readonly<{ name: string; version: number }>;

/**
 * How the last cycle ended, as data: `deployed` is a challenger someone else deployed during its
 * shadow run, `failed` a fit or validation that failed, `abandoned` a cycle a pause ended mid-fit
 * or mid-validation. A restart between a verdict and the cycle's end reads it to end the cycle as
 * the live path does (`lastOutcome` is the operator's text of it).
 */
export type RetrainingOutcome = Readonly<{ kind: 'promoted' | 'deployed' | 'rejected' | 'failed' | 'abandoned'; reason: string }>;

export type RetrainingMachineContext = {
  /** Why the current (or last) cycle started. */
  trigger: TriggerReason | null;
  /**
   * The candidate of the current cycle once registered; null again once the cycle ends (its
   * promotion or rejection settled, its fit failed, or a pause abandoned it mid-fit or
   * mid-validation): `lastOutcome` names the last cycle's.
   */
  challenger: ModelVersionRef | null;
  resumeTo: ResumeTo;
  /** Operator text of the last pause. */
  pauseReason: string;
  /** Who paused it (absent in snapshots written before it was kept). */
  pausedBy?: string | null;
  /** Who ended the last pause, null again at the next pause (absent in snapshots written before it was kept). */
  resumedBy?: string | null;
  /** Why the last pause was ended (`ctl retrain resume --reason`), null when none was given and again at the next pause (absent in snapshots written before it was kept). */
  resumeReason?: string | null;
  /** How the last cycle ended (promotion, rejection, failure), for `ctl retrain status`. */
  lastOutcome: string | null;
  /**
   * The same, as data. Absent in snapshots stored before it was kept: a restart reads those from
   * `lastOutcome`'s text, as it did before.
   */
  outcome?: RetrainingOutcome | null;
  /**
   * The shadow run the last cycle was judged on (its numbers at the verdict), null when that cycle
   * had no verdict of its own (its fit failed or was invalid, a pause abandoned it, someone else
   * deployed its challenger). Absent in snapshots stored before it was kept.
   */
  lastShadow?: ShadowVerdictResult | null;
  cycles: number;
};

export type RetrainingMachineEvent =
  | Readonly<{ type: 'TRIGGER'; reason: TriggerReason }>
  | Readonly<{ type: 'SAMPLES_READY' }>
  | Readonly<{ type: 'TRAINED'; challenger: ModelVersionRef }>
  | Readonly<{ type: 'TRAIN_FAILED'; error: string }>
  | Readonly<{ type: 'VALID' }>
  | Readonly<{ type: 'INVALID'; error: string }>
  /** `deployed`: someone else deployed the challenger during its shadow run (the cycle ends as promoted, by them). */
  | Readonly<{ type: 'SHADOW_PROMOTE'; reason: string; deployed?: boolean; shadow?: ShadowResult }>
  | Readonly<{ type: 'SHADOW_REJECT'; reason: string; shadow?: ShadowResult }>
  | Readonly<{ type: 'SETTLED' }>
  | Readonly<{ type: 'DEPLOYED_WHILE_PAUSED'; reason: string }>
  | Readonly<{ type: 'PAUSE'; reason: string; operator?: string }>
  | Readonly<{ type: 'RESUME'; reason?: string; operator?: string }>;

/** PAUSE from a phase: remember where to resume; a fit or validation in flight is abandoned. */
const pauseFrom = (phase: RetrainingPhase) => ({ target: 'paused' as const, actions: { type: 'pause' as const, params: { phase } } });

/**
 * One retraining cycle: idle → (a trigger) collecting → (enough samples) training → (a
 * registered candidate) validating → (loads, ONNX matches tfjs) shadow → promoted | rejected →
 * (the registry recorded it) idle. Operators can pause at any point and resume where it stood
(pausing again while paused keeps the first pause's reason);
 * pausing mid-training or mid-validation abandons that fit and resumes at idle. Promoted and
 * rejected wait for SETTLED (the registry call) and cannot be paused in between. Pure: the actor
 * sends the events and does the work the states ask for.
 *
 * @example
 * const a = createActor(retrainingMachine).start();
 * a.send({ type: 'TRIGGER', reason: { kind: 'schedule', detail: '500 labels' } }); // 'collecting'
 */
export const retrainingMachine = setup({
  types: { context: {} as RetrainingMachineContext, events: {} as RetrainingMachineEvent },
  actions: {
    keepTrigger: assign({ trigger: ({ event }) => (event.type === 'TRIGGER' ? event.reason : null), challenger: () => null }),
    keepChallenger: assign({ challenger: ({ event }) => (event.type === 'TRAINED' ? event.challenger : null) }),
    failed: assign({
      lastOutcome: ({ event, context }) => {
        const which = event.type === 'INVALID' && context.challenger !== null ? ` ${context.challenger.name}@${context.challenger.version}` : '';
        return event.type === 'TRAIN_FAILED' || event.type === 'INVALID' ? `failed${which}: ${event.error}` : 'failed';
      },
      outcome: ({ event }) => ({ kind: 'failed' as const, reason: event.type === 'TRAIN_FAILED' || event.type === 'INVALID' ? event.error : 'failed' }),
      lastShadow: () => null,
    }),
    decided: assign({
      lastOutcome: ({ event, context }) => `${event.type === 'SHADOW_PROMOTE' ? 'promoted' : 'rejected'} ${context.challenger?.name}@${context.challenger?.version}: ${event.type === 'SHADOW_PROMOTE' || event.type === 'SHADOW_REJECT' ? event.reason : ''}`,
      outcome: ({ event }) => ({
        kind: event.type === 'SHADOW_PROMOTE' ? (event.deployed === true ? ('deployed' as const) : ('promoted' as const)) : ('rejected' as const),
        reason: event.type === 'SHADOW_PROMOTE' || event.type === 'SHADOW_REJECT' ? event.reason : '',
      }),
      lastShadow: ({ event }) =>
        (event.type === 'SHADOW_PROMOTE' || event.type === 'SHADOW_REJECT') && event.shadow !== undefined ? { ...event.shadow, verdict: event.type === 'SHADOW_PROMOTE' ? ('promoted' as const) : ('rejected' as const) } : null,
    }),
    resumed: assign({
      resumedBy: ({ event }) => (event.type === 'RESUME' ? (event.operator ?? null) : null),
      // A resume's reason is optional: none given is null, not the empty text.
      resumeReason: ({ event }) => (event.type === 'RESUME' && event.reason !== undefined && event.reason !== '' ? event.reason : null),
    }),
    endCycle: assign({ cycles: ({ context }) => context.cycles + 1, challenger: () => null }),
    deployedWhilePaused: assign(({ context, event }) => ({
      lastOutcome: `promoted ${context.challenger?.name}@${context.challenger?.version}: ${event.type === 'DEPLOYED_WHILE_PAUSED' ? event.reason : ''}`,
      outcome: { kind: 'deployed' as const, reason: event.type === 'DEPLOYED_WHILE_PAUSED' ? event.reason : '' },
      lastShadow: null,
      cycles: context.cycles + 1,
      challenger: null,
      resumeTo: 'idle' satisfies ResumeTo,
    })),
    pause: assign(({ context, event }, params: { phase: RetrainingPhase }) => ({
      pauseReason: event.type === 'PAUSE' ? event.reason : '',
      pausedBy: event.type === 'PAUSE' ? (event.operator ?? null) : null,
      resumedBy: null,
      resumeReason: null,
      resumeTo: (params.phase === 'collecting' || params.phase === 'shadow' ? params.phase : 'idle') satisfies ResumeTo,
      lastOutcome: params.phase === 'training' || params.phase === 'validating' ? `paused while ${params.phase}: cycle abandoned` : context.lastOutcome,
      outcome: params.phase === 'training' || params.phase === 'validating' ? { kind: 'abandoned' as const, reason: `paused while ${params.phase}` } : (context.outcome ?? null),
      lastShadow: params.phase === 'training' || params.phase === 'validating' ? null : (context.lastShadow ?? null),
      challenger: params.phase === 'training' || params.phase === 'validating' ? null : context.challenger,
    })),
  },
}).createMachine({
  id: 'retraining',
  context: { trigger: null, challenger: null, resumeTo: 'idle', pauseReason: '', pausedBy: null, resumedBy: null, resumeReason: null, lastOutcome: null, outcome: null, lastShadow: null, cycles: 0 },
  initial: 'idle',
  states: {
    idle: { on: { TRIGGER: { target: 'collecting', actions: 'keepTrigger' }, PAUSE: pauseFrom('idle') } },
    collecting: { on: { SAMPLES_READY: 'training', PAUSE: pauseFrom('collecting') } },
    training: {
      on: {
        TRAINED: { target: 'validating', actions: 'keepChallenger' },
        TRAIN_FAILED: { target: 'idle', actions: ['failed', 'endCycle'] },
        PAUSE: pauseFrom('training'),
      },
    },
    validating: {
      on: {
        VALID: 'shadow',
        INVALID: { target: 'rejected', actions: 'failed' },
        PAUSE: pauseFrom('validating'),
      },
    },
    shadow: {
      on: {
        SHADOW_PROMOTE: { target: 'promoted', actions: 'decided' },
        SHADOW_REJECT: { target: 'rejected', actions: 'decided' },
        PAUSE: pauseFrom('shadow'),
      },
    },
    promoted: { on: { SETTLED: { target: 'idle', actions: 'endCycle' } } },
    rejected: { on: { SETTLED: { target: 'idle', actions: 'endCycle' } } },
    paused: {
      on: {
        // A second pause changes nothing: the first reason stands until a resume (an operator who
        // paused for an inspection is not overwritten by another who did not know it was paused).
        RESUME: [
          { guard: ({ context }) => context.resumeTo === 'collecting', target: 'collecting', actions: 'resumed' },
          { guard: ({ context }) => context.resumeTo === 'shadow', target: 'shadow', actions: 'resumed' },
          { target: 'idle', actions: 'resumed' },
        ],
        // A shadow run held by the pause whose challenger someone else deployed: the cycle ends
        // now (it was promoted, by them), still paused, and the resume goes to idle.
        DEPLOYED_WHILE_PAUSED: { guard: ({ context }) => context.resumeTo === 'shadow' && context.challenger !== null, actions: 'deployedWhilePaused' },
      },
    },
  },
});

export type RetrainingMachineSnapshot = SnapshotFrom<typeof retrainingMachine>;

/**
 * A snapshot in `phase` with `context`, to restart a persisted actor where it stood. With no cycle
 * running (idle, or paused from idle) the challenger is null: snapshots stored before a cycle's end
 * cleared it still name the last cycle's, which `ctl retrain status` showed until the next trigger.
 */
export function restoreRetrainingSnapshot(phase: RetrainingPhase, context: RetrainingMachineContext): RetrainingMachineSnapshot {
  const noCycle = phase === 'idle' || (phase === 'paused' && context.resumeTo === 'idle');
  return retrainingMachine.resolveState({ value: phase, context: noCycle ? { ...context, challenger: null } : context });
}

export const phaseOf = (s: RetrainingMachineSnapshot): RetrainingPhase => s.value as RetrainingPhase;
