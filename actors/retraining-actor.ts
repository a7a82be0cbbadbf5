import { createActor } from 'xstate';
import { lastRecordedCycle } from '../models/retraining/cycle-challenger.js';
import { copyCounters, emptyCounters, parseRetrainingSnapshot } from '../models/retraining/retraining-snapshot.js';
import { createTriggerState } from '../models/retraining/triggers.js';
import { createOnnxRuntime } from '../models/runtime/onnx-runtime.js';
import { restoreRetrainingSnapshot, retrainingMachine } from '../state/retraining-machine.js';
import type { RetrainingPhase } from '../state/retraining-machine.js';
import type { Consumption, Delivery, Subscription } from '../streams/bus.js';
import { encode } from '../streams/codec.js';
import type { DlqEntry } from '../streams/messages/dlq-entry.js';
import { LabelSchema } from '../streams/messages/label.js';
import type { Label } from '../streams/messages/label.js';
import { ModelEventSchema } from '../streams/messages/model-event.js';
import type { ModelEvent } from '../streams/messages/model-event.js';
import { decodeInput } from '../models/execution/decode-input.js';
import { toDlqEntry } from '../streams/validation/dlq.js';
import type { Refusal } from '../streams/validation/refusal.js';
import { samplesOfLabels } from '../models/retraining/label-samples.js';
import { commit, phase, queueStep, statusOf } from './retraining-actor-state.js';
import type { RetrainingActorDeps, RetrainingActorState, Scored } from './retraining-actor-state.js';
import { clearOrphanedCandidate } from './retraining-candidate.js';
import { pauseRetraining, resumeRetraining, triggerCycle } from './retraining-commands.js';
import { dispose, disposeWatched } from './retraining-loaded-models.js';
import { followProduction, unrecordedPromotion } from './retraining-production.js';
import { settleRestored } from './retraining-restore-settling.js';
import { applyScored } from './retraining-scoring.js';
import type { RetrainingStatus } from './retraining-status.js';

// The actor's steps live beside it, one job a file: retraining-actor-state.ts (what they share,
// the commit and the chain), retraining-production.ts (following the registry's production model),
// retraining-loaded-models.ts, retraining-scoring.ts (each label), retraining-fit.ts (a cycle's
// fit and validation), retraining-challenger-registration.ts, retraining-verdicts.ts (shadow and
// rollback watch), retraining-commands.ts (the operator's) and retraining-restore-settling.ts.

export type { RetrainingActorDeps } from './retraining-actor-state.js';
export type { RetrainingStatus } from './retraining-status.js';

export type RetrainingActorHandle = Readonly<{
  key: string;
  strategy: string;
  /** Its durable consumer (the strategy's labels). */
  consumers: readonly Readonly<{ stream: string; durable: string }>[];
  status(): RetrainingStatus;
  /** Operator trigger: starts a cycle now (idle only); refused with a reason otherwise. */
  trigger(reason: string, operator: string): Readonly<{ accepted: boolean; reason: string; status: RetrainingStatus }>;
  pause(reason: string, operator: string): RetrainingStatus;
  /** `reason`: why (`ctl retrain resume --reason`; empty: none given), kept in the status until the next pause. */
  resume(reason: string, operator: string): RetrainingStatus;
  /** Resolves once everything received so far is handled (tests). */
  idle(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves when stopped; rejects when a batch failed (the actor has stopped consuming: start a new one). */
  done: Promise<void>;
}>;

export const retrainingActorKey = (strategy: string): string => `retraining:${strategy}`;
const durableToken = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '_');
const LABEL_SCHEMAS = { label: LabelSchema } as const;
const MODEL_EVENT_SCHEMAS = { 'model.event': ModelEventSchema } as const;

/**
 * The retraining actor of one strategy and model family. It consumes the strategy's labels
 * (durable consumer on `sx.label.>`), joins each to its training sample (the decision-time
 * feature vector) and scores the production model on it: rolling log loss and hit rate, ADWIN
 * on the misses, PSI of the recent inputs against the training range. A trigger (schedule,
 * decay, drift, ADWIN, operator) starts a cycle (state/retraining-machine.ts): once enough
 * samples are stored a challenger is fitted on a worker thread, registered as `candidate`,
 * checked (the stored ONNX artifact reproduces the fit), then shadowed — champion and challenger
 * score the same labeled predictions — and promoted through the registry only when it wins by
 * the margin, or rejected. A promoted model is watched and rolled back if it decays. Paused,
 * it changes no model: the watch goes on scoring and is judged again after the resume.
 *
 * Determinism: every decision is taken label by label on event time; a challenger is trained on
 * the samples labeled before the label at which its cycle found enough of them, with a fixed seed. The
 * actor's own consumption waits for the fit (which runs on a worker: the engine's decision path
 * never does). After each batch the state (consumer position, machine, accumulators, shadow
 * stats, watch) is committed as a snapshot and only then acknowledged; a restart continues
 * from it and skips redelivered labels at or below the committed sequence.
 */
export async function startRetrainingActor(deps: RetrainingActorDeps): Promise<RetrainingActorHandle> {
  const { config: cfg, strategy } = deps;
  const key = retrainingActorKey(strategy);
  const log = deps.log.child({ actor: key });
  const sampleWaitMs = deps.sampleWaitMs ?? 5_000;

  const restored = parseRetrainingSnapshot(await deps.samples.loadSnapshot(key));
  // A fit or validation cut short by a restart is redone from `collecting` (same samples, same seed).
  // A cycle stored between its verdict and its end (`promoted` or `rejected`) is restored there and
  // ended below (`settleRestored`), as the live path ends it.
  const restoredPhase: RetrainingPhase | undefined = restored === undefined ? undefined : restored.phase === 'training' || restored.phase === 'validating' ? 'collecting' : restored.phase;
  const cycle = restored?.cycle ?? null;
  // A cycle in `collecting` without its cycle (stored by an operator trigger racing a batch's commit,
  // before that was fixed) can never fit: it goes back to idle, and the next trigger starts afresh.
  const cycleLost = restoredPhase === 'collecting' && cycle === null;
  // Without a snapshot (deleted, or a new host sharing the registry) the cycles are numbered on
  // from those the registry records for this strategy, not from 1 again (`lastRecordedCycle`).
  const cycleBase = restored !== undefined ? (restored.cycleBase ?? 0) : lastRecordedCycle(await deps.registry.list(deps.model), strategy);
  const machine = createActor(retrainingMachine, {
    ...(restored !== undefined && restoredPhase !== undefined ? { snapshot: restoreRetrainingSnapshot(cycleLost ? 'idle' : restoredPhase, restored.context) } : {}),
    clock: deps.clock,
  }).start();
  const rt: RetrainingActorState = {
    deps,
    cfg,
    key,
    log,
    tracker: deps.tracker,
    loadRuntime: deps.loadRuntime ?? ((bytes: Uint8Array) => createOnnxRuntime({ bytes })),
    machine,
    counters: restored !== undefined ? copyCounters(restored.counters) : emptyCounters(),
    seq: restored?.seq ?? 0,
    lastTs: restored?.lastTs ?? 0,
    triggers: restored?.triggers ?? createTriggerState(cfg.triggers),
    championRef: restored?.champion ?? null,
    cycle,
    shadow: restored?.shadow ?? null,
    watch: restored?.watch ?? null,
    anchor: restored?.anchor ?? null,
    ownMove: null,
    unrecorded: null,
    collectingLabels: restored?.collectingLabels ?? 0,
    lastRollback: restored?.lastRollback ?? null,
    beforeMove: restored?.beforeMove ?? null,
    cycleBase,
    champion: undefined,
    challenger: undefined,
    previous: undefined,
    anchorModel: undefined,
    unsupported: undefined,
    cancelFit: undefined,
    chain: Promise.resolve(),
    dirty: false,
    failWith: () => {},
  };
  if (cycleLost) log.warn({}, 'the stored state was collecting without its cycle: back to idle (trigger again to retrain)');

  const dlqOf = (d: Delivery, r: Refusal): DlqEntry => {
    rt.counters.refused++;
    log.warn({ subject: d.subject, reason: r.reason, detail: r.detail }, 'refused retraining input');
    return toDlqEntry({ source: 'retraining', subject: d.subject, data: d.data, refusal: r, ts: deps.clock.now(), streamSeq: d.streamSeq });
  };

  const handle = (batch: readonly Delivery[]): Promise<void> => {
    const run = rt.chain.then(async () => {
      if (rt.dirty) throw new Error('retraining actor state is stale after a failed batch: a new actor resumes from the last commit');
      const labels: Label[] = [];
      const dlq: DlqEntry[] = [];
      let last = rt.seq;
      for (const d of batch) {
        if (d.streamSeq <= rt.seq) {
          rt.counters.skippedSeq++;
          continue;
        }
        last = Math.max(last, d.streamSeq);
        const r = decodeInput<Label>(d.data, LABEL_SCHEMAS);
        if (!r.ok) {
          dlq.push(dlqOf(d, r));
          continue;
        }
        if (r.msg.strategy !== strategy || r.msg.subject.kind !== 'prediction') continue;
        rt.counters.labels++;
        labels.push(r.msg);
      }
      for (const e of dlq) await deps.bus.publish(deps.subjects.dlq('retraining'), encode(e), { msgId: e.id });
      try {
        const found = await samplesOfLabels(deps.samples, { strategy, labels, clock: deps.clock, waitMs: sampleWaitMs });
        const items: Scored[] = [];
        for (const l of labels) {
          const s = found.get(l.subject.id);
          if (s === undefined) rt.counters.missingSamples++;
          else items.push({ label: l, sample: s });
        }
        await applyScored(rt, items);
        rt.seq = last;
        await commit(rt);
      } catch (e) {
        // The in-memory state may be half applied: this actor stops rather than count twice on the
        // redelivery, and `done` rejects — its supervisor starts a new one from the last commit.
        rt.dirty = true;
        log.error({ err: String(e) }, 'retraining batch failed; the actor stops (a new one resumes from its last commit)');
        rt.failWith(e);
        throw e;
      }
    });
    rt.chain = run.catch(() => {});
    return run;
  };

  await settleRestored(rt, restoredPhase);
  // A `candidate` no cycle of this actor evaluates (its cycle lost with the snapshot, or left by an
  // older build) is removed: `ctl model list` showed it as a candidate for ever (retraining-candidate.ts).
  await clearOrphanedCandidate(rt);
  // Its own promotion made in the registry by a batch a crash kept from committing: not taken for
  // someone else's deploy at the first turn below (`unrecordedPromotion`).
  rt.unrecorded = await unrecordedPromotion(rt);
  if (rt.unrecorded !== null) log.warn({ challenger: `${deps.model}@${rt.unrecorded.version}`, champion: `${deps.model}@${rt.unrecorded.previous}` }, 'restored in shadow after its own promotion went through unrecorded: the redelivered labels take the verdict again');
  // Production moved while this actor was down (a `ctl model deploy` or rollback with the engine
  // stopped: its announcement went unheard): the snapshot's shadow run, against the old champion,
  // ends or starts again now, as on the event, not at the next label — hours later live. Before,
  // `ctl retrain status` named a shadow run against a model no longer serving meanwhile, and a
  // trigger was refused as not idle. Queued before any label's batch.
  if (restored !== undefined) followProduction(rt, 'at start');

  const durable = `retraining_${durableToken(strategy)}_${durableToken(deps.model)}`;
  const consumption: Consumption = deps.bus.consume(
    { stream: deps.streams.OUTCOMES, durable, filterSubject: deps.subjects.streamSubjects.OUTCOMES[1] ?? `${deps.subjects.prefix}.label.>`, batchSize: cfg.consumer.batchSize, ackWaitMs: cfg.consumer.ackWaitMs },
    handle,
  );
  /**
   * Production moved by someone else (`ctl model deploy` or `rollback` without a pause, `sextant
   * train --promote`): the registry announces it on `sx.model.<model>.<event>`, and the new
   * champion is loaded and the shadow run ends (the challenger itself was deployed) or starts again
   * against it now. Before, only the next label's turn saw it — hours later live — and meanwhile
   * `ctl retrain status` named a shadow run against a model no longer serving and a trigger was
   * refused as not idle.
   *
   * Determinism: the event is only a prompt. Model events and labels are on separate subjects (one
   * durable has one filter), so the step is a core subscription, queued on the actor's chain
   * between batches, and it reads production from the registry as each label's turn does: it does
   * what the next label's turn would have done before scoring that label (a deploy's wall-clock
   * timing against the labels already decided what that turn saw): a deploy undone before the
   * next label puts back what the actor held for the champion it returns to, shadow stats
   * included (`backTo`), as that turn, finding the same champion, kept them. It changes nothing when production is the champion this actor
   * holds — its own promotions and rollbacks, loaded in their batch, and every backtest, where
   * nobody else moves production. The sample check and fit (`collectStep`) stay on label boundaries, where the
   * label stream decides the challenger's training samples (an operator's trigger or resume kicks
   * it; a deploy does not). An event lost while the actor was down is made up at its start (the same
   * check, queued before any label), one lost while disconnected at the next label; a bad one is
   * dead-lettered.
   */
  const onModelEvent = (subject: string, data: Uint8Array): void => {
    const r = decodeInput<ModelEvent>(data, MODEL_EVENT_SCHEMAS);
    if (!r.ok) {
      rt.counters.refused++;
      const n = ++rt.counters.refusedModelEvents;
      log.warn({ subject, reason: r.reason, detail: r.detail }, 'refused model event');
      // A core delivery carries no stream sequence: without one the entry's id held only subject,
      // payload and reason, so the DLQ's dedup kept one of two identical bad events, both counted.
      // The actor's count of refused model events stands in, stored with its snapshot (committed
      // now) so the next actor numbers on from it.
      const e = toDlqEntry({ source: 'retraining', subject, data, refusal: r, ts: deps.clock.now(), streamSeq: n });
      deps.bus.publish(deps.subjects.dlq('retraining'), encode(e), { msgId: e.id }).catch((err: unknown) => log.error({ err: String(err) }, 'dlq publish failed'));
      queueStep(rt, 'storing a refused model event\'s count', () => commit(rt));
      return;
    }
    const e = r.msg;
    if (e.name !== deps.model || e.alias !== 'production' || (e.event !== 'promoted' && e.event !== 'rolled_back')) return;
    followProduction(rt, 'on a model event');
  };
  /** The registry's announcements of this actor's model. */
  const events: Subscription = deps.bus.subscribe(deps.subjects.model(deps.model, '*'), onModelEvent);
  let listening = true;
  const stopEvents = (): void => {
    if (listening) events.unsubscribe();
    listening = false;
  };
  const failed = new Promise<never>((_, reject) => {
    rt.failWith = (e: unknown) => {
      stopEvents();
      void consumption.stop(); // no more deliveries to this instance; not awaited: the failing batch is still in hand
      reject(e instanceof Error ? e : new Error(String(e)));
    };
  });
  const done = Promise.race([consumption.done, failed]);
  done.catch((e: unknown) => log.error({ err: String(e) }, 'retraining consumer ended'));
  log.info({ phase: phase(rt), seq: rt.seq }, 'retraining actor started');

  return {
    key,
    strategy,
    consumers: [{ stream: deps.streams.OUTCOMES, durable }],
    status: () => statusOf(rt),
    trigger: (reason, operator) => triggerCycle(rt, reason, operator),
    pause: (reason, operator) => pauseRetraining(rt, reason, operator),
    resume: (reason, operator) => resumeRetraining(rt, reason, operator),
    idle: () => rt.chain,
    stop: async () => {
      stopEvents();
      await consumption.stop();
      await rt.chain;
      machine.stop();
      await dispose(rt.champion);
      await dispose(rt.challenger);
      await disposeWatched(rt);
    },
    done,
  };
}
