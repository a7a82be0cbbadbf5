import type { RetrainingMachineContext, RetrainingPhase } from '../../state/retraining-machine.js';
import type { RollbackWatch, ShadowStats } from './shadow-evaluation.js';
import type { TriggerKind, TriggerReason, TriggerState } from './triggers.js';

/**
 * The cycle in progress: what triggered it, at which label's event time, its MLflow run and
 * `seq`, its number: the cycles this actor had started with it (`cyclesStarted`) after those the
 * registry recorded when it started without a snapshot (`RetrainingSnapshot.cycleBase`); absent in
 * older snapshots. Trigger and event time alone do not tell two cycles apart: an operator
 * triggering twice with the same reason and no label in between starts both at the same event time.
 */
export type RetrainingCycle = Readonly<{ trigger: TriggerReason; ts: number; seq?: number; runId: string | null; challenger: Readonly<{ name: string; version: number }> | null }>;

/** The cycles an actor has started, from its stored counters: the `seq` of the one it starts last. */
export const cyclesStarted = (c: Pick<RetrainingCounters, 'triggered'>): number => Object.values(c.triggered).reduce((a, b) => a + b, 0);

/** A promotion of this actor that its watch rolled back: from which version to which, why, at which label's event time. */
export type RetrainingRollback = Readonly<{ from: Readonly<{ name: string; version: number }>; to: Readonly<{ name: string; version: number }>; reason: string; ts: number }>;

export type RetrainingCounters = {
  labels: number;
  scored: number;
  missingSamples: number;
  refused: number;
  /**
   * Of `refused`, the model events (absent in older snapshots: counted from 0): the number of each
   * one's dead letter, which a core delivery's lack of a stream sequence leaves to the actor.
   */
  refusedModelEvents: number;
  skippedSeq: number;
  trainings: number;
  promotions: number;
  rejections: number;
  rollbacks: number;
  /** Cycles started, by what triggered them (absent in older snapshots: counted from 0). */
  triggered: Record<TriggerKind, number>;
};

/**
 * What the actor held before production was moved by someone else (an operator's deploy or
 * rollback), kept until the next label is scored: a move undone before that label (a deploy
 * rolled back) puts it back — the champion's trigger accumulators and PSI reference, the chain's
 * anchor, the rollback watch and the shadow run's stats — as the next label's turn, finding the
 * same champion, would have kept them.
 */
export type BeforeMove = Readonly<{
  champion: Readonly<{ name: string; version: number }>;
  anchor: Readonly<{ name: string; version: number }> | null;
  triggers: TriggerState;
  watch: RollbackWatch | null;
  shadow: ShadowStats | null;
}>;

/**
 * Everything a restarted retraining actor needs to continue where its last commit left it:
 * the consumer position, the machine, the trigger accumulators, shadow stats and the rollback
 * watch. Plain JSON, stored with the training sample store's actor snapshots.
 */
export type RetrainingSnapshot = Readonly<{
  v: 1;
  /** Last label-stream sequence applied. */
  seq: number;
  /** Event time of the last label applied. */
  lastTs: number;
  phase: RetrainingPhase;
  context: RetrainingMachineContext;
  triggers: TriggerState;
  /** The champion the accumulators refer to (they restart when it changes). */
  champion: Readonly<{ name: string; version: number }> | null;
  cycle: RetrainingCycle | null;
  shadow: ShadowStats | null;
  watch: RollbackWatch | null;
  /** Where the current chain of this actor's promotions started (absent in older snapshots: the next production change sets it). */
  anchor?: Readonly<{ name: string; version: number }> | null;
  /** Labels seen while collecting (samples are re-counted every few labels, not on each). */
  collectingLabels: number;
  counters: RetrainingCounters;
  /** The last promotion the watch rolled back (absent in older snapshots). */
  lastRollback?: RetrainingRollback | null;
  /** What a move of production by someone else since the last label replaced (absent in older snapshots: none). */
  beforeMove?: BeforeMove | null;
  /**
   * The highest cycle number the registry recorded for this strategy when the actor started
   * without a snapshot (`lastRecordedCycle`): its cycles are numbered on from it (absent in older
   * snapshots: 0). Kept here, not read again at each start, so a restart mid-cycle numbers the
   * cycle as its first fit did, whose challenger the registry now records.
   */
  cycleBase?: number;
}>;

export const emptyCounters = (): RetrainingCounters => ({
  labels: 0,
  scored: 0,
  missingSamples: 0,
  refused: 0,
  refusedModelEvents: 0,
  skippedSeq: 0,
  trainings: 0,
  promotions: 0,
  rejections: 0,
  rollbacks: 0,
  triggered: { schedule: 0, decay: 0, drift: 0, adwin: 0, operator: 0 },
});

/** A copy of `c` (its `triggered` too), filling what an older snapshot lacks with 0. */
export const copyCounters = (c: Readonly<Partial<RetrainingCounters>>): RetrainingCounters => {
  const empty = emptyCounters();
  return { ...empty, ...c, triggered: { ...empty.triggered, ...c.triggered } };
};

/** A stored snapshot, or undefined when it is not one of ours (a different version: start afresh). */
export function parseRetrainingSnapshot(raw: unknown): RetrainingSnapshot | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const s = raw as Partial<RetrainingSnapshot>;
  if (s.v !== 1 || typeof s.seq !== 'number' || typeof s.phase !== 'string' || typeof s.context !== 'object' || typeof s.triggers !== 'object') return undefined;
  return s as RetrainingSnapshot;
}
