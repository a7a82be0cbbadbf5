import type { Actor } from 'xstate';
import type { RetrainingTracker } from '../models/mlflow/retraining-tracker.js';
import type { ModelRegistry, ModelVersion } from '../models/registry/model-registry.js';
import type { RetrainingConfig } from '../models/retraining/retraining-config.js';
import type { BeforeMove, RetrainingCounters, RetrainingCycle, RetrainingRollback, RetrainingSnapshot } from '../models/retraining/retraining-snapshot.js';
import { copyCounters, cyclesStarted } from '../models/retraining/retraining-snapshot.js';
import type { RollbackWatch, ShadowStats } from '../models/retraining/shadow-evaluation.js';
import type { TriggerState } from '../models/retraining/triggers.js';
import type { ModelRuntime } from '../models/runtime/model-runtime.js';
import type { Clock } from '../state/clock.js';
import type { Logger } from '../state/logger.js';
import { phaseOf } from '../state/retraining-machine.js';
import type { ModelVersionRef, RetrainingPhase, retrainingMachine } from '../state/retraining-machine.js';
import type { TrainingSample, TrainingSampleStore } from '../state/training-sample-store.js';
import type { CoreSubscriber, DurableConsumer, DurablePublisher } from '../streams/bus.js';
import type { Label } from '../streams/messages/label.js';
import type { Subjects } from '../streams/subjects.js';
import { retrainingStatusOf } from './retraining-status.js';
import type { RetrainingStatus } from './retraining-status.js';

export type RetrainingActorDeps = Readonly<{
  /** Its labels (durable), the registry's announcements of its model (core, `sx.model.<model>.*`) and the dead letters. */
  bus: DurablePublisher & DurableConsumer & CoreSubscriber;
  subjects: Subjects;
  samples: Pick<TrainingSampleStore, 'samples' | 'countSamples' | 'commit' | 'loadSnapshot'>;
  registry: ModelRegistry;
  /** Stamps dead-letter entries and paces the wait for a label's sample; decisions run on event time. */
  clock: Clock;
  log: Logger;
  strategy: string;
  /** Registry name of the model family (its `production` alias is the champion). */
  model: string;
  config: RetrainingConfig;
  /** JetStream stream names (with the configured prefix). */
  streams: Readonly<{ OUTCOMES: string }>;
  tracker?: RetrainingTracker;
  /** ONNX runtime for champion and challenger scoring; default onnxruntime-node on a worker thread. */
  loadRuntime?: (bytes: Uint8Array) => Promise<ModelRuntime>;
  /** Where challengers are fitted: `worker` (default, training-job.ts) or `main`. */
  trainingThread?: 'worker' | 'main';
  /**
   * The wall clock that paces a challenger's training process (`config.training.pace`): live
   * wiring passes it; a backtest, whose clock is event time, leaves it out and trains unpaced.
   */
  trainingClock?: Clock;
  /** How long to wait for a label's training sample to be committed (the labeling actor publishes first). */
  sampleWaitMs?: number;
}>;

/** The actor's name in the registry's audit trail. */
export const ACTOR = 'sextant-retraining';

/** `RetrainingActorState.unrecorded`: production is `version`, promoted by this actor over `previous`. */
export type UnrecordedPromotion = Readonly<{ version: number; previous: number }>;

export type Scored = Readonly<{ label: Label; sample: TrainingSample }>;
export type Loaded = { version: ModelVersion; runtime: ModelRuntime };

/**
 * What one retraining actor's steps share (actors/retraining-actor.ts builds it from the stored
 * snapshot). The steps in the other retraining-*.ts files read and change it in place; they run
 * one at a time on `chain`, but for an operator's command, which changes it at once (the reply
 * says so) and queues the rest.
 */
export type RetrainingActorState = {
  readonly deps: RetrainingActorDeps;
  readonly cfg: RetrainingConfig;
  /** The actor's key (`retraining:<strategy>`): its snapshot's name. */
  readonly key: string;
  readonly log: Logger;
  readonly tracker: RetrainingTracker | undefined;
  readonly loadRuntime: (bytes: Uint8Array) => Promise<ModelRuntime>;
  readonly machine: Actor<typeof retrainingMachine>;
  readonly counters: RetrainingCounters;

  seq: number;
  lastTs: number;
  triggers: TriggerState;
  championRef: ModelVersionRef | null;
  cycle: RetrainingCycle | null;
  shadow: ShadowStats | null;
  watch: RollbackWatch | null;
  /** The last production model this actor did not put there itself: where a chain of its promotions started. */
  anchor: ModelVersionRef | null;
  /** The version this actor just made production (a promotion or a rollback): not a new anchor. */
  ownMove: number | null;
  /**
   * This actor's promotion of the challenger it shadows, found in the registry at start but not in
   * its snapshot (killed between the registry's transaction and the batch's commit): held as the
   * champion it replaced until the redelivered labels reach the verdict again (`unrecordedPromotion`).
   */
  unrecorded: UnrecordedPromotion | null;
  collectingLabels: number;
  /** The last promotion the watch rolled back (status: a `lastOutcome` of `promoted` may have been undone since). */
  lastRollback: RetrainingRollback | null;
  /** What someone else's move of production replaced, until the next label is scored (`BeforeMove`). */
  beforeMove: BeforeMove | null;
  /** Where this actor's cycle numbers start from (`RetrainingSnapshot.cycleBase`). */
  readonly cycleBase: number;

  champion: Loaded | undefined;
  challenger: Loaded | undefined;
  /** While a promoted model is watched: the model it replaced, scored beside it on the same labels. */
  previous: Loaded | undefined;
  /** …and the chain's anchor, when the watch scores it (`RollbackWatch.anchor`). */
  anchorModel: Loaded | undefined;
  /** The production version last found to be a sequence model, which retraining leaves alone. */
  unsupported: number | undefined;
  cancelFit: (() => void) | undefined;

  chain: Promise<void>;
  dirty: boolean;
  /** Stops this actor after a failed batch and rejects `done` (set once the consumption exists). */
  failWith: (e: unknown) => void;
};

export const phase = (rt: RetrainingActorState): RetrainingPhase => phaseOf(rt.machine.getSnapshot());

const snapshotOf = (rt: RetrainingActorState): RetrainingSnapshot => ({
  v: 1,
  seq: rt.seq,
  lastTs: rt.lastTs,
  phase: phase(rt),
  context: rt.machine.getSnapshot().context,
  triggers: rt.triggers,
  champion: rt.championRef,
  cycle: rt.cycle,
  shadow: rt.shadow,
  watch: rt.watch,
  anchor: rt.anchor,
  collectingLabels: rt.collectingLabels,
  counters: copyCounters(rt.counters),
  lastRollback: rt.lastRollback,
  beforeMove: rt.beforeMove,
  cycleBase: rt.cycleBase,
});

/** The number of the cycle this actor started last (`RetrainingCycle.seq`). */
export const cycleNumber = (rt: RetrainingActorState): number => rt.cycleBase + cyclesStarted(rt.counters);

/** Stores the actor's state (consumer position, machine, accumulators, shadow stats, watch) as its snapshot. */
export const commit = async (rt: RetrainingActorState): Promise<void> => {
  await rt.deps.samples.commit({ samples: [], snapshot: { actor: rt.key, state: snapshotOf(rt), ts: rt.lastTs } });
};

export const statusOf = (rt: RetrainingActorState): RetrainingStatus =>
  retrainingStatusOf({ phase: phase(rt), context: rt.machine.getSnapshot().context, model: rt.deps.model, champion: rt.championRef, shadow: rt.shadow, watch: rt.watch, anchor: rt.anchor, triggers: rt.triggers, counters: rt.counters, lastRollback: rt.lastRollback });

/** Ends a cycle's tracking run as failed, with why. */
export const failRun = async (rt: RetrainingActorState, cycleRun: string | null, ts: number, why: string): Promise<void> => {
  await rt.tracker?.endRun(cycleRun ?? undefined, 'FAILED', ts, { 'sextant.outcome': why.slice(0, 250) });
};

/** Queues `step` on the actor's chain, after what is queued; a failure stops the actor (a new one resumes from its last commit). */
export const queueStep = (rt: RetrainingActorState, what: string, step: () => Promise<void>): void => {
  rt.chain = rt.chain
    .then(async () => {
      if (!rt.dirty) await step();
    })
    .catch((err: unknown) => {
      rt.dirty = true;
      rt.log.error({ err: String(err) }, `retraining step ${what} failed; the actor stops (a new one resumes from its last commit)`);
      rt.failWith(err);
    });
};
