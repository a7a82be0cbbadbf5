import { createActor } from 'xstate';
import type { Actor } from 'xstate';
import { startCycleRun, trackRollback } from '../models/mlflow/retraining-runs.js';
import type { RetrainingTracker } from '../models/mlflow/retraining-tracker.js';
import type { ModelRegistry, ModelVersion } from '../models/registry/model-registry.js';
import { ModelNotFoundError, RegistryError } from '../models/registry/model-registry.js';
import { sha256Hex } from '../models/registry/artifact-files.js';
import { AliasMovedError, ModelRejectedError, NoRollbackTargetError } from '../models/registry/registry-errors.js';
import type { RetrainingConfig } from '../models/retraining/retraining-config.js';
import type { BeforeMove, RetrainingCounters, RetrainingCycle, RetrainingRollback, RetrainingSnapshot } from '../models/retraining/retraining-snapshot.js';
import { copyCounters, emptyCounters, parseRetrainingSnapshot } from '../models/retraining/retraining-snapshot.js';
import { openCycleChallengers } from '../models/retraining/cycle-challenger.js';
import { referenceSamples } from '../models/retraining/reference-samples.js';
import { rowOf } from '../models/retraining/sample-dataset.js';
import { samplesOfLabels } from '../models/retraining/label-samples.js';
import { probabilitiesOfSamples } from '../models/retraining/sample-probabilities.js';
import { scoreRow } from '../models/retraining/scoring.js';
import { classOfSample, classRuleOf } from '../models/retraining/sample-class.js';
import { addShadow, addWatch, addWatchAnchor, addWatchPair, judgeShadow, judgeWatch, startShadow, startWatch } from '../models/retraining/shadow-evaluation.js';
import type { RollbackWatch, ShadowStats } from '../models/retraining/shadow-evaluation.js';
import { fitChallenger } from '../models/retraining/train-challenger.js';
import type { ChallengerFit } from '../models/retraining/train-challenger.js';
import { afterTraining, createTriggerState, firedTrigger, observe, withReference } from '../models/retraining/triggers.js';
import type { TriggerReason, TriggerState } from '../models/retraining/triggers.js';
import { validateChallenger } from '../models/retraining/validate-challenger.js';
import type { ModelRuntime } from '../models/runtime/model-runtime.js';
import { createOnnxRuntime } from '../models/runtime/onnx-runtime.js';
import { TrainingCancelledError } from '../models/training/training-errors.js';
import type { Clock } from '../state/clock.js';
import type { Logger } from '../state/logger.js';
import { phaseOf, restoreRetrainingSnapshot, retrainingMachine } from '../state/retraining-machine.js';
import type { ModelVersionRef, RetrainingOutcome, RetrainingPhase } from '../state/retraining-machine.js';
import type { TrainingSample, TrainingSampleStore } from '../state/training-sample-store.js';
import type { Consumption, CoreSubscriber, Delivery, DurableConsumer, DurablePublisher, Subscription } from '../streams/bus.js';
import { encode } from '../streams/codec.js';
import type { DlqEntry } from '../streams/messages/dlq-entry.js';
import { LabelSchema } from '../streams/messages/label.js';
import type { Label } from '../streams/messages/label.js';
import { ModelEventSchema } from '../streams/messages/model-event.js';
import type { ModelEvent } from '../streams/messages/model-event.js';
import type { Subjects } from '../streams/subjects.js';
import { decodeInput } from '../models/execution/decode-input.js';
import { toDlqEntry } from '../streams/validation/dlq.js';
import type { Refusal } from '../streams/validation/refusal.js';
import { sequenceWindowOf } from '../models/registry/sequence-window.js';
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
  resume(operator: string): RetrainingStatus;
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
/** Samples are re-counted (a count in the store, no rows read) every this many labels while collecting. */
const COLLECT_STEP = 25;
const ACTOR = 'sextant-retraining';
/** The reason of a cycle ended because someone else deployed its challenger during its shadow run. */
const DEPLOYED_MEANWHILE = 'deployed to production by someone else during its shadow run';

/**
 * The outcome `lastOutcome`'s text names, for a snapshot stored before the context kept it as data
 * (`RetrainingMachineContext.outcome`): `promoted|rejected|failed [model@version]: reason`, a
 * promotion for {@link DEPLOYED_MEANWHILE} being a deploy; text of another form is the phase's.
 */
const outcomeOfText = (text: string | null, phase: 'promoted' | 'rejected'): RetrainingOutcome => {
  const m = /^(promoted|rejected|failed)(?: \S+)?: (.*)$/s.exec(text ?? '');
  const kind = m?.[1];
  const reason = m?.[2] ?? text ?? '';
  if (kind === 'failed') return { kind, reason: m?.[2] ?? 'failed' };
  if (kind === 'promoted' && reason === DEPLOYED_MEANWHILE) return { kind: 'deployed', reason };
  return { kind: phase, reason };
};

type Scored = Readonly<{ label: Label; sample: TrainingSample }>;
type Loaded = { version: ModelVersion; runtime: ModelRuntime };

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
  const { config: cfg, strategy, registry } = deps;
  const key = retrainingActorKey(strategy);
  const log = deps.log.child({ actor: key });
  const tracker = deps.tracker;
  const loadRuntime = deps.loadRuntime ?? ((bytes: Uint8Array) => createOnnxRuntime({ bytes }));
  const sampleWaitMs = deps.sampleWaitMs ?? 5_000;

  const restored = parseRetrainingSnapshot(await deps.samples.loadSnapshot(key));
  let seq = restored?.seq ?? 0;
  let lastTs = restored?.lastTs ?? 0;
  let triggers: TriggerState = restored?.triggers ?? createTriggerState(cfg.triggers);
  let championRef = restored?.champion ?? null;
  let cycle: RetrainingCycle | null = restored?.cycle ?? null;
  let shadow: ShadowStats | null = restored?.shadow ?? null;
  let watch: RollbackWatch | null = restored?.watch ?? null;
  /** The last production model this actor did not put there itself: where a chain of its promotions started. */
  let anchor: ModelVersionRef | null = restored?.anchor ?? null;
  /** The version this actor just made production (a promotion or a rollback): not a new anchor. */
  let ownMove: number | null = null;
  let collectingLabels = restored?.collectingLabels ?? 0;
  /** The last promotion the watch rolled back (status: a `lastOutcome` of `promoted` may have been undone since). */
  let lastRollback: RetrainingRollback | null = restored?.lastRollback ?? null;
  /** What someone else's move of production replaced, until the next label is scored (`BeforeMove`). */
  let beforeMove: BeforeMove | null = restored?.beforeMove ?? null;
  const counters: RetrainingCounters = restored !== undefined ? copyCounters(restored.counters) : emptyCounters();
  // A fit or validation cut short by a restart is redone from `collecting` (same samples, same seed).
  // A cycle stored between its verdict and its end (`promoted` or `rejected`) is restored there and
  // ended below (`settleRestored`), as the live path ends it.
  const restoredPhase: RetrainingPhase | undefined = restored === undefined ? undefined : restored.phase === 'training' || restored.phase === 'validating' ? 'collecting' : restored.phase;
  // A cycle in `collecting` without its cycle (stored by an operator trigger racing a batch's commit,
  // before that was fixed) can never fit: it goes back to idle, and the next trigger starts afresh.
  const cycleLost = restoredPhase === 'collecting' && cycle === null;
  const machine: Actor<typeof retrainingMachine> = createActor(retrainingMachine, {
    ...(restored !== undefined && restoredPhase !== undefined ? { snapshot: restoreRetrainingSnapshot(cycleLost ? 'idle' : restoredPhase, restored.context) } : {}),
    clock: deps.clock,
  }).start();
  const phase = (): RetrainingPhase => phaseOf(machine.getSnapshot());
  if (cycleLost) log.warn({}, 'the stored state was collecting without its cycle: back to idle (trigger again to retrain)');

  let champion: Loaded | undefined;
  let challenger: Loaded | undefined;
  /** While a promoted model is watched: the model it replaced, scored beside it on the same labels. */
  let previous: Loaded | undefined;
  /** …and the chain's anchor, when the watch scores it (`RollbackWatch.anchor`). */
  let anchorModel: Loaded | undefined;
  let cancelFit: (() => void) | undefined;
  let chain: Promise<void> = Promise.resolve();
  let dirty = false;
  /** Stops this actor after a failed batch and rejects `done` (set once the consumption exists). */
  let failWith: (e: unknown) => void = () => {};

  const snapshot = (): RetrainingSnapshot => ({
    v: 1,
    seq,
    lastTs,
    phase: phase(),
    context: machine.getSnapshot().context,
    triggers,
    champion: championRef,
    cycle,
    shadow,
    watch,
    anchor,
    collectingLabels,
    counters: copyCounters(counters),
    lastRollback,
    beforeMove,
  });
  const commit = async (): Promise<void> => {
    await deps.samples.commit({ samples: [], snapshot: { actor: key, state: snapshot(), ts: lastTs } });
  };

  const dispose = async (m: Loaded | undefined): Promise<void> => {
    if (m !== undefined) await m.runtime.dispose().catch(() => {});
  };
  const load = async (v: ModelVersion): Promise<Loaded> => ({ version: v, runtime: await loadRuntime(await registry.artifact(v)) });

  /**
   * PSI reference: the champion's training samples when stored (its training range, spread over
   * the whole range when it holds more than `REFERENCE_SAMPLES`), else its first window of live inputs.
   */
  const referenceFor = async (v: ModelVersion): Promise<TriggerState> => {
    const fresh = createTriggerState(cfg.triggers);
    const base = { ...fresh, lastTrainTs: triggers.lastTrainTs };
    const rows: number[][] = [];
    const row = new Array<number>(v.featureSpec.features.length);
    const stored = await referenceSamples(deps.samples, { strategy, from: v.trainRange.from, to: v.trainRange.to });
    for (const s of stored) if (rowOf(s.features, v.featureSpec, row)) rows.push([...row]);
    return rows.length >= cfg.triggers.psiWindow ? withReference(base, v.featureSpec.features, rows, cfg.triggers) : base;
  };

  /** The production version last found to be a sequence model, which retraining leaves alone. */
  let unsupported: number | undefined;
  /** Loads the production model when it changed (a promotion, a rollback, an operator deploy). */
  const ensureChampion = async (): Promise<boolean> => {
    let v: ModelVersion;
    try {
      v = await registry.get(`${deps.model}@production`);
    } catch (e) {
      if (e instanceof ModelNotFoundError) return false;
      throw e;
    }
    if (champion !== undefined && champion.version.version === v.version) return true;
    if (sequenceWindowOf(v) !== undefined) {
      // Champion and challenger are scored on one stored row per sample, and challengers are
      // one-row MLPs: a sequence model (GRU) in production is left alone, said once per version.
      if (unsupported !== v.version) log.warn({ champion: `${v.name}@${v.version}` }, 'retraining idles: the production model reads a window of bars (sequence model), and retraining scores and trains one-row models only');
      unsupported = v.version;
      return false;
    }
    const next = await load(v);
    await dispose(champion);
    champion = next;
    if (championRef?.version !== v.version && backTo(v)) {
      ownMove = null;
      log.info({ champion: `${v.name}@${v.version}` }, 'champion loaded again: production moved back before the next label, and what the actor held for it is kept');
      return true;
    }
    if (championRef?.version !== v.version) {
      // Someone else's move: what it replaces is kept until the next label (`backTo`), the first
      // move's only, as the next label's turn compares with what the last one saw.
      if (ownMove !== v.version && beforeMove === null && championRef !== null) beforeMove = { champion: championRef, anchor, triggers, watch, shadow };
      championRef = { name: v.name, version: v.version };
      // Put there by an operator, `sextant train` or anyone but this actor: a chain starts here.
      if (ownMove !== v.version || anchor === null || anchor.name !== v.name) anchor = { name: v.name, version: v.version };
      triggers = await referenceFor(v);
      if (watch !== null && watch.version !== v.version) watch = null; // someone else moved production
      if (watch === null) await disposeWatched();
    }
    ownMove = null;
    log.info({ champion: `${v.name}@${v.version}` }, 'champion loaded');
    return true;
  };

  /**
   * Production moved back, before the next label, to the champion someone else's move replaced
   * (a deploy rolled back, `BeforeMove`): what the actor held for it is put back — its trigger
   * accumulators and PSI reference, the anchor, the watch, and the shadow run's stats when the
   * same challenger is still shadowed (a cycle that ended meanwhile stays ended). Before, each
   * move's announcement started the shadow run again, so a deploy undone before the next label
   * started it twice and lost its stats, where that label's turn, finding the same champion, kept
   * them. False when `v` is not that champion.
   */
  const backTo = (v: ModelVersion): boolean => {
    const b = beforeMove;
    if (b === null || b.champion.name !== v.name || b.champion.version !== v.version) return false;
    beforeMove = null;
    championRef = b.champion;
    anchor = b.anchor;
    // A fit since (an operator's resume) restarted the accumulators: those stand.
    triggers = b.triggers.lastTrainTs === triggers.lastTrainTs ? b.triggers : triggers;
    watch = b.watch; // the move ended it (its model no longer served); loaded again at the next label (`ensureWatched`)
    const held = phase() === 'shadow' || (phase() === 'paused' && machine.getSnapshot().context.resumeTo === 'shadow');
    const same = (x: ModelVersionRef, y: ModelVersionRef): boolean => x.name === y.name && x.version === y.version;
    if (held && shadow !== null && b.shadow !== null && same(shadow.challenger, b.shadow.challenger) && same(b.shadow.champion, v)) shadow = b.shadow;
    return true;
  };

  /**
   * Production changed while a challenger is shadowed (an operator's deploy or rollback, or this
   * actor's rollback of an earlier promotion): the challenger has to beat the model now serving,
   * so its shadow run starts again against it — the stats so far compared it with a model that no
   * longer serves, and a promotion on them replaced the new one on a comparison it never had. When
   * the new production model is the challenger itself, the cycle ends there: it was deployed.
   */
  const shadowAgainst = async (v: ModelVersion): Promise<void> => {
    // Checked on every turn, not only when the champion loads. A shadow run held by a pause
    // follows production too, at once: before, the status named the new champion beside a shadow
    // run against the old one until the resume. Paused, the shadow scores no label, so starting it
    // again now or at the resume gives the same run.
    const held = phase() === 'paused' && machine.getSnapshot().context.resumeTo === 'shadow';
    if (shadow === null || (phase() !== 'shadow' && !held) || shadow.champion.version === v.version) return;
    const ch = shadow.challenger;
    if (ch.name === v.name && ch.version === v.version) {
      const c = cycle;
      const reason = DEPLOYED_MEANWHILE;
      // Paused, the cycle ends too (the machine stays paused and resumes at idle).
      machine.send(held ? { type: 'DEPLOYED_WHILE_PAUSED', reason } : { type: 'SHADOW_PROMOTE', reason, deployed: true });
      log.info({ challenger: `${ch.name}@${ch.version}` }, 'challenger deployed meanwhile: the cycle ends');
      await tracker?.endRun(c?.runId ?? undefined, 'FINISHED', lastTs, { 'sextant.outcome': 'deployed', 'sextant.challenger': `${ch.name}@${ch.version}` });
      if (!held) machine.send({ type: 'SETTLED' });
      shadow = null;
      cycle = null;
      await dispose(challenger);
      challenger = undefined;
      return;
    }
    log.info({ challenger: `${ch.name}@${ch.version}`, was: `${shadow.champion.name}@${shadow.champion.version}`, champion: `${v.name}@${v.version}`, n: shadow.n }, 'production changed during the shadow run: it starts again against the new champion');
    shadow = startShadow({ name: v.name, version: v.version }, ch);
  };

  /** The models a watch scores beside the promoted one: the model it replaced (a paired watch, see `RollbackWatch`) and the chain's anchor when it scores one. */
  const ensureWatched = async (): Promise<void> => {
    if (watch === null) return;
    if (watch.paired !== undefined && previous?.version.version !== watch.previousVersion) {
      await dispose(previous);
      previous = await load(await registry.get(`${watch.name}@${watch.previousVersion}`));
    }
    const a = watch.anchor?.champion;
    if (a !== undefined && anchorModel?.version.version !== a.version) {
      await dispose(anchorModel);
      anchorModel = await load(await registry.get(`${a.name}@${a.version}`));
    }
  };
  const disposeWatched = async (): Promise<void> => {
    await dispose(previous);
    await dispose(anchorModel);
    previous = undefined;
    anchorModel = undefined;
  };

  const ensureChallenger = async (): Promise<void> => {
    const c = machine.getSnapshot().context.challenger;
    if (phase() !== 'shadow' || c === null || challenger?.version.version === c.version) return;
    await dispose(challenger);
    challenger = await load(await registry.get(`${c.name}@${c.version}`));
  };

  /** The model's probabilities for each item's sample (null where the sample lacks a feature). */
  const probsOf = (m: Loaded, items: readonly Scored[]): Promise<(Float32Array | null)[]> => probabilitiesOfSamples(m.runtime, m.version.featureSpec, items.map((it) => it.sample));

  const fail = async (cycleRun: string | null, ts: number, why: string): Promise<void> => {
    await tracker?.endRun(cycleRun ?? undefined, 'FAILED', ts, { 'sextant.outcome': why.slice(0, 250) });
  };

  const startCycle = async (reason: TriggerReason, ts: number): Promise<void> => {
    machine.send({ type: 'TRIGGER', reason });
    counters.triggered[reason.kind]++;
    collectingLabels = 0;
    const runId = await startCycleRun(tracker, { model: deps.model, strategy, trigger: reason, ts, champion: championRef, cfg });
    cycle = { trigger: reason, ts, runId, challenger: null };
    log.info({ trigger: reason }, 'retraining triggered');
  };

  /**
   * Collecting: enough samples labeled before `nowTs` (the event time of the label being applied)
   * → fit, register, validate. Strictly before: the samples of labels at `nowTs` itself may be
   * committed by another batch of the labeling actor (another asset's bars) that this actor has not
   * seen yet, so counting them would make the fit depend on timing. A cycle started with fewer
   * than `minSamples` stored keeps collecting until the later labels bring them. The check counts
   * them in the store, `minSamples` at most; the newest `maxSamples` are read, once, for the fit
   * (a read of the strategy's whole history grew without bound).
   */
  const collectStep = async (nowTs: number): Promise<void> => {
    if (phase() !== 'collecting' || cycle === null || champion === undefined) return;
    const c = cycle;
    const known = { strategy, to: nowTs, labeledBefore: nowTs } as const;
    if ((await deps.samples.countSamples({ ...known, atMost: cfg.training.minSamples })) < cfg.training.minSamples) return;
    const use = await deps.samples.samples({ ...known, newest: cfg.training.maxSamples });
    if (use.length < cfg.training.minSamples) return;
    machine.send({ type: 'SAMPLES_READY' });
    counters.trainings++;
    let fit: ChallengerFit;
    try {
      fit = await fitChallenger(use, champion.version, {
        seed: cfg.training.seed,
        epochs: cfg.training.epochs,
        validationFraction: cfg.training.validationFraction,
        thread: deps.trainingThread ?? 'worker',
        ...(deps.trainingClock !== undefined ? { pace: { clock: deps.trainingClock, ...cfg.training.pace } } : {}),
        trigger: { ...c.trigger, ts: c.ts },
        strategy,
        rule: classRuleOf(champion.version, cfg.classes.kAtr),
        onCancel: (cancel) => (cancelFit = cancel),
        ...(cfg.training.warmStart.enabled ? { warmStart: { onnx: await registry.artifact(champion.version), learningRate: cfg.training.warmStart.learningRate } } : {}),
      });
    } catch (e) {
      const why = e instanceof TrainingCancelledError ? 'cancelled' : (e as Error).message;
      log.warn({ err: why }, 'challenger fit failed');
      machine.send({ type: 'TRAIN_FAILED', error: why });
      triggers = afterTraining(triggers, c.ts, cfg.triggers);
      // Cancelled by a pause (or failed as one came): the pause abandoned the cycle and ended its
      // run. Ended here too, the resume's "abandoned by a pause" then replaced this outcome.
      if (cycle !== c) return;
      await fail(c.runId, c.ts, why);
      if (phase() === 'idle') cycle = null;
      return;
    } finally {
      cancelFit = undefined;
    }
    if (phase() !== 'training') return; // paused meanwhile: the fit is abandoned
    const v = await registerChallenger(fit, c, champion.version.version);
    if (phase() !== 'training') return abandonChallenger(v, c);
    cycle = { ...c, challenger: { name: v.name, version: v.version } };
    machine.send({ type: 'TRAINED', challenger: { name: v.name, version: v.version } });
    triggers = afterTraining(triggers, c.ts, cfg.triggers);
    await tracker?.logMetrics(c.runId ?? undefined, { val_log_loss: fit.valLogLoss, fit_rows: fit.rows.fit, validation_rows: fit.rows.validation, samples: fit.rows.samples, skipped_samples: fit.rows.skipped }, c.ts);
    await tracker?.logModelVersion(c.runId ?? undefined, { name: v.name, version: v.version, source: `sextant-registry://${v.name}/${v.version}` });
    let loaded: Loaded | undefined;
    let verdict: Awaited<ReturnType<typeof validateChallenger>>;
    try {
      loaded = await load(v);
      verdict = await validateChallenger(fit, loaded.runtime);
    } catch (e) {
      verdict = { ok: false, reason: `artifact does not load: ${(e as Error).message}` };
    }
    if (verdict.ok && phase() !== 'validating') {
      await dispose(loaded);
      return abandonChallenger(v, c);
    }
    if (verdict.ok) {
      await dispose(challenger);
      challenger = loaded;
      shadow = startShadow({ name: champion.version.name, version: champion.version.version }, { name: v.name, version: v.version });
      machine.send({ type: 'VALID' });
      log.info({ challenger: `${v.name}@${v.version}`, parity: verdict.parity, valLogLoss: fit.valLogLoss }, 'challenger in shadow');
      return;
    }
    await dispose(loaded);
    // The registry first, then the verdict, as a shadow verdict does: the machine says `rejected`
    // only once the registry has rejected the challenger. Before, INVALID came first, and a
    // snapshot stored in between restored to a rejected cycle whose challenger stayed `candidate`.
    await registry.reject(v.name, v.version, { actor: ACTOR, reason: verdict.reason });
    counters.rejections++;
    if (phase() !== 'validating') return; // paused meanwhile: the pause abandoned the cycle and ended its run
    machine.send({ type: 'INVALID', error: verdict.reason });
    machine.send({ type: 'SETTLED' });
    if (cycle !== c) return;
    await fail(c.runId, c.ts, verdict.reason);
    cycle = null;
  };

  /**
   * Registers the cycle's challenger as `candidate`, or takes the one an earlier fit of this cycle
   * registered. Nothing is committed during a batch, so an actor stopped anywhere between a
   * challenger's registration and the commit of its shadow run (a crash, a failed write) restarts
   * from the cycle's `collecting` snapshot and fits it again. Before, that fit registered another
   * version and the first was left unrejected, with no alias, promotable by mistake and a stray
   * candidate in `ctl model list`. The registry says what was registered whenever the stop came
   * (a version stored in the snapshot right after `register` would miss a stop before that
   * commit): a version fitted for this cycle (`openCycleChallengers`) with the same artifact bytes
   * on the same champion (same samples, same seed) is taken as it stands; any other is rejected as
   * superseded, once this fit is registered, so a stop in between finds both again and ends the same.
   */
  const registerChallenger = async (fit: ChallengerFit, c: RetrainingCycle, parent: number): Promise<ModelVersion> => {
    const open = openCycleChallengers(await registry.list(deps.model), { strategy, trigger: c.trigger, ts: c.ts });
    const sha = sha256Hex(fit.onnx);
    const same = open.find((x) => x.artifactSha256 === sha && x.parentVersion === parent);
    const v = same ?? (await registry.register(fit.model, fit.onnx, { actor: ACTOR, reason: `retraining (${c.trigger.kind}: ${c.trigger.detail})` }));
    if (same !== undefined) log.info({ challenger: `${v.name}@${v.version}` }, 'restarted mid-cycle: the challenger this cycle registered before the restart is taken again (same fit)');
    for (const x of open) {
      if (x === same) continue;
      const reason = `superseded by ${v.name}@${v.version}: fitted again for the same cycle after a restart`;
      await registry.reject(x.name, x.version, { actor: ACTOR, reason });
      log.warn({ challenger: `${x.name}@${x.version}`, by: `${v.name}@${v.version}` }, 'restarted mid-cycle: a challenger this cycle registered before the restart is rejected (superseded)');
    }
    if (!v.aliases.includes('candidate')) await registry.promote(v.name, v.version, { alias: 'candidate', actor: ACTOR, reason: 'challenger for shadow evaluation' });
    return v;
  };

  /**
   * Paused while the fitted challenger was registered or validated: the pause abandoned the cycle
   * (state/retraining-machine.ts), so the challenger is not shadowed — it went on to a shadow run
   * that the status showed while paused and idle and nothing judged — and its candidate is
   * rejected, not left under the `candidate` alias. The pause ended the cycle's run (`abandon`).
   */
  const abandonChallenger = async (v: ModelVersion, c: RetrainingCycle): Promise<void> => {
    triggers = afterTraining(triggers, c.ts, cfg.triggers);
    await registry.reject(v.name, v.version, { actor: ACTOR, reason: 'abandoned: retraining was paused while it was validated' });
    log.info({ challenger: `${v.name}@${v.version}` }, 'challenger abandoned: retraining was paused while it was validated');
  };

  const productionVersion = async (): Promise<number | undefined> => {
    try {
      return (await registry.get(`${deps.model}@production`)).version;
    } catch (e) {
      if (e instanceof ModelNotFoundError) return undefined;
      throw e;
    }
  };

  /** Shadow verdict: promote through the registry (then watch), or reject. */
  const shadowStep = async (ts: number): Promise<boolean> => {
    if (phase() !== 'shadow' || shadow === null || cycle === null) return false;
    const v = judgeShadow(shadow, cfg.shadow);
    if (v.kind === 'pending') return false;
    const c = cycle;
    const ch = shadow.challenger;
    await tracker?.logMetrics(c.runId ?? undefined, { shadow_n: v.n, shadow_champion_log_loss: v.championLogLoss, shadow_challenger_log_loss: v.challengerLogLoss, shadow_champion_hit_rate: shadow.championHits / v.n, shadow_challenger_hit_rate: shadow.challengerHits / v.n }, ts);
    if (v.kind === 'promote') {
      ownMove = ch.version;
      let e: Awaited<ReturnType<ModelRegistry['promote']>>;
      try {
        // Over the champion it was compared with only: a deploy made since (mid-batch) stands.
        e = await registry.promote(ch.name, ch.version, { actor: ACTOR, reason: v.reason, ifCurrent: shadow.champion.version });
      } catch (err) {
        if (!(err instanceof AliasMovedError)) throw err;
        ownMove = null;
        log.warn({ challenger: `${ch.name}@${ch.version}`, production: err.current ?? null }, 'challenger not promoted: production was moved by someone else meanwhile; its shadow run starts again against the new champion');
        return true; // the next turn loads the new champion (ensureChampion → shadowAgainst)
      }
      const chainStart = cfg.rollback.anchor && anchor !== null && anchor.name === ch.name ? anchor.version : undefined;
      watch = startWatch(ch.name, ch.version, e.previousVersion ?? shadow.champion.version, v.championLogLoss, ts, chainStart);
      counters.promotions++;
      machine.send({ type: 'SHADOW_PROMOTE', reason: v.reason });
    } else {
      try {
        await registry.reject(ch.name, ch.version, { actor: ACTOR, reason: v.reason });
      } catch (err) {
        // Refused because someone deployed the challenger meanwhile (mid-batch): the registry
        // keeps production unrejectable. The next turn loads it and ends the cycle (shadowAgainst);
        // before, the batch failed and the actor restarted to find that out.
        if (!(err instanceof RegistryError) || (await productionVersion()) !== ch.version) throw err;
        log.warn({ challenger: `${ch.name}@${ch.version}`, reason: v.reason }, 'challenger not rejected: it was deployed to production meanwhile');
        return true;
      }
      counters.rejections++;
      machine.send({ type: 'SHADOW_REJECT', reason: v.reason });
    }
    log.info({ challenger: `${ch.name}@${ch.version}`, verdict: v.kind, reason: v.reason }, 'shadow decided');
    await tracker?.endRun(c.runId ?? undefined, 'FINISHED', ts, { 'sextant.outcome': v.kind === 'promote' ? 'promoted' : 'rejected', 'sextant.challenger': `${ch.name}@${ch.version}` });
    machine.send({ type: 'SETTLED' });
    shadow = null;
    cycle = null;
    await dispose(challenger);
    challenger = undefined;
    return v.kind === 'promote';
  };

  /**
   * Back to where the chain started: one registry rollback of several steps (`to`), since
   * everything after the anchor on the registry's stack of promotions is this actor's own — one
   * transaction and one `rolled_back` event, and an operator's later rollback goes on from the
   * anchor. Where the stack does not hold it (its history was changed meanwhile), the anchor is
   * promoted instead.
   */
  const rollbackTo = async (name: string, version: number, from: number, reason: string): Promise<void> => {
    try {
      await registry.rollback(name, { actor: ACTOR, reason, to: version, ifCurrent: from });
    } catch (e) {
      if (!(e instanceof NoRollbackTargetError)) throw e;
      log.warn({ model: `${name}@${version}`, err: String(e) }, 'the registry cannot roll back to the chain\'s anchor: promoting it');
      await registry.promote(name, version, { actor: ACTOR, reason: `rollback: ${reason}`, ifCurrent: from });
    }
  };

  /**
   * Rolls back the watched promotion, only while production still holds it (`ifCurrent`, checked in
   * the registry's transaction): an operator's deploy or rollback made since — mid-batch, before
   * this actor saw it — is theirs to keep, and undoing it would move production to a version the
   * operator had just replaced. False (said in the log) when production had moved.
   */
  const rollbackWatched = async (w: RollbackWatch, to: number | undefined, reason: string): Promise<boolean> => {
    try {
      if (to !== undefined) await rollbackTo(w.name, to, w.version, reason);
      else await registry.rollback(w.name, { actor: ACTOR, reason, ifCurrent: w.version });
      return true;
    } catch (e) {
      if (!(e instanceof AliasMovedError)) throw e;
      log.warn({ model: `${w.name}@${w.version}`, production: e.current ?? null, reason }, 'promoted model not rolled back: production was moved by someone else meanwhile, and their change stands');
      return false;
    }
  };

  const watchStep = async (ts: number): Promise<boolean> => {
    if (watch === null) return false;
    const v = judgeWatch(watch, cfg.rollback);
    if (v.kind === 'watching') return false;
    const w = watch;
    watch = null;
    await disposeWatched();
    if (v.kind === 'cleared') return false;
    const to = v.to ?? w.previousVersion;
    ownMove = to;
    if (!(await rollbackWatched(w, v.to, v.reason))) {
      ownMove = null;
      return true; // production moved: load it (the next turn's champion)
    }
    counters.rollbacks++;
    lastRollback = { from: { name: w.name, version: w.version }, to: { name: w.name, version: to }, reason: v.reason, ts };
    log.warn({ model: `${w.name}@${w.version}`, reason: v.reason }, 'promoted model rolled back');
    await trackRollback(tracker, { strategy, watch: w, to, reason: v.reason, ts, cfg });
    return true;
  };

  /**
   * Applies labels one by one. Probabilities are computed for the rest of the batch at once and
   * again after any step that changes the champion or the challenger, so the decision for each
   * label is the same however the stream was cut into batches.
   */
  const applyScored = async (items: readonly Scored[]): Promise<void> => {
    let i = 0;
    /** Whether the last label decided changed a model (re-score the rest, or load the new champion after the batch). */
    let changed = false;
    while (i < items.length) {
      if (!(await ensureChampion()) || champion === undefined) return;
      await shadowAgainst(champion.version);
      // A label is scored against this champion: a move back now is a move like any other.
      beforeMove = null;
      await ensureChallenger();
      await ensureWatched();
      const rest = items.slice(i);
      const champ = await probsOf(champion, rest);
      const chall = phase() === 'shadow' && challenger !== undefined ? await probsOf(challenger, rest) : null;
      const prev = watch?.paired !== undefined && previous !== undefined ? await probsOf(previous, rest) : null;
      const anc = watch?.anchor !== undefined && anchorModel !== undefined ? await probsOf(anchorModel, rest) : null;
      // The champion's classes, for its whole turn (a change of champion ends the turn).
      const rule = classRuleOf(champion.version, cfg.classes.kAtr);
      changed = false;
      for (let j = 0; j < rest.length && !changed; j++, i++) {
        const { label, sample } = rest[j] as Scored;
        const p = champ[j] ?? null;
        lastTs = Math.max(lastTs, label.ts);
        // The champion's class of what the price did (not the direction-relative barrier label).
        const cls = classOfSample(sample, rule);
        if (p === null || cls === undefined) continue;
        counters.scored++;
        const score = scoreRow(p, 0, cls);
        const row = new Array<number>(champion.version.featureSpec.features.length);
        const features = rowOf(sample.features, champion.version.featureSpec, row) ? row : null;
        if (phase() !== 'paused') triggers = observe(triggers, { ts: label.ts, logLoss: score.logLoss, hit: score.hit, features }, cfg.triggers);
        if (triggers.reference === null && triggers.recent.length >= cfg.triggers.psiWindow) {
          triggers = { ...withReference(triggers, champion.version.featureSpec.features, triggers.recent, cfg.triggers), recent: [] };
        }
        if (watch !== null) {
          watch = addWatch(watch, score.logLoss, cfg.rollback.minLabels, label.ts);
          const r = prev?.[j] ?? null;
          if (r !== null) watch = addWatchPair(watch, { previous: scoreRow(r, 0, cls), promoted: score }, cfg.shadow.blockLabels);
          const a = anc?.[j] ?? null;
          if (a !== null) watch = addWatchAnchor(watch, { anchor: scoreRow(a, 0, cls), promoted: score }, cfg.shadow.blockLabels);
        }
        const q = chall?.[j] ?? null;
        // Purged: a label whose horizon began before the challenger's last training label was known
        // shares part of its outcome with the challenger's training labels (leakage in its favour).
        const purged = challenger === undefined || sample.ts < challenger.version.trainRange.to;
        if (phase() === 'shadow' && shadow !== null && q !== null && !purged) shadow = addShadow(shadow, { champion: score, challenger: scoreRow(q, 0, cls) }, cfg.shadow.blockLabels);
        changed = await decide(label.ts);
      }
    }
    // A promotion or rollback on the batch's last label: the new production model is loaded now,
    // not with the next batch, so `status()` names it (as after a change mid-batch).
    if (changed) await ensureChampion();
  };

  /** Decisions after one label at event time `ts`; true when a model changed (re-score the rest). */
  const decide = async (ts: number): Promise<boolean> => {
    // Paused, retraining changes no model: a promoted model's watch keeps scoring it (it still
    // serves), and the watch's verdict — a rollback, or the end of the watch — is taken at the
    // first label after the resume. Before, the watch rolled production back while paused.
    if (phase() === 'paused') return false;
    if (await watchStep(ts)) return true;
    if (phase() === 'idle' && !(cfg.rollback.holdTriggers && watch !== null)) {
      const t = firedTrigger(triggers, ts, cfg.triggers);
      if (t !== null) await startCycle(t, ts);
    }
    if (phase() === 'collecting') {
      if (collectingLabels++ % COLLECT_STEP === 0) await collectStep(ts);
      return phase() !== 'collecting';
    }
    return shadowStep(ts);
  };

  const dlqOf = (d: Delivery, r: Refusal): DlqEntry => {
    counters.refused++;
    log.warn({ subject: d.subject, reason: r.reason, detail: r.detail }, 'refused retraining input');
    return toDlqEntry({ source: 'retraining', subject: d.subject, data: d.data, refusal: r, ts: deps.clock.now(), streamSeq: d.streamSeq });
  };

  const handle = (batch: readonly Delivery[]): Promise<void> => {
    const run = chain.then(async () => {
      if (dirty) throw new Error('retraining actor state is stale after a failed batch: a new actor resumes from the last commit');
      const labels: Label[] = [];
      const dlq: DlqEntry[] = [];
      let last = seq;
      for (const d of batch) {
        if (d.streamSeq <= seq) {
          counters.skippedSeq++;
          continue;
        }
        last = Math.max(last, d.streamSeq);
        const r = decodeInput<Label>(d.data, LABEL_SCHEMAS);
        if (!r.ok) {
          dlq.push(dlqOf(d, r));
          continue;
        }
        if (r.msg.strategy !== strategy || r.msg.subject.kind !== 'prediction') continue;
        counters.labels++;
        labels.push(r.msg);
      }
      for (const e of dlq) await deps.bus.publish(deps.subjects.dlq('retraining'), encode(e), { msgId: e.id });
      try {
        const found = await samplesOfLabels(deps.samples, { strategy, labels, clock: deps.clock, waitMs: sampleWaitMs });
        const items: Scored[] = [];
        for (const l of labels) {
          const s = found.get(l.subject.id);
          if (s === undefined) counters.missingSamples++;
          else items.push({ label: l, sample: s });
        }
        await applyScored(items);
        seq = last;
        await commit();
      } catch (e) {
        // The in-memory state may be half applied: this actor stops rather than count twice on the
        // redelivery, and `done` rejects — its supervisor starts a new one from the last commit.
        dirty = true;
        log.error({ err: String(e) }, 'retraining batch failed; the actor stops (a new one resumes from its last commit)');
        failWith(e);
        throw e;
      }
    });
    chain = run.catch(() => {});
    return run;
  };

  /** Queues `step` on the actor's chain, after what is queued; a failure stops the actor (a new one resumes from its last commit). */
  const queueStep = (what: string, step: () => Promise<void>): void => {
    chain = chain
      .then(async () => {
        if (!dirty) await step();
      })
      .catch((err: unknown) => {
        dirty = true;
        log.error({ err: String(err) }, `retraining step ${what} failed; the actor stops (a new one resumes from its last commit)`);
        failWith(err);
      });
  };
  /**
   * Queues on the actor's chain the check a model event prompts: production read from the
   * registry, and when it is not the champion this actor holds, the new one loaded, the shadow run
   * ended or started again against it (`shadowAgainst`), and the state committed.
   */
  const followProduction = (on: string): void =>
    queueStep(on, async () => {
      const now = await productionVersion();
      if (now === undefined || now === (champion?.version.version ?? championRef?.version)) return;
      if (!(await ensureChampion()) || champion === undefined) return;
      await shadowAgainst(champion.version);
      await commit();
    });

  /**
   * The challenger of a snapshot stored in `rejected` after a failed validation: stored before
   * the registry's reject (the machine was sent INVALID first, before that order was fixed), so a
   * stop in between left it `candidate` and promotable. It is rejected now; one already rejected,
   * or deployed since (production cannot be rejected), is left as it is.
   */
  const rejectRestored = async (ch: ModelVersionRef, reason: string): Promise<void> => {
    try {
      await registry.reject(ch.name, ch.version, { actor: ACTOR, reason });
      counters.rejections++;
      log.info({ challenger: `${ch.name}@${ch.version}` }, 'restored after a failed validation: its challenger is rejected now');
    } catch (e) {
      if (e instanceof ModelRejectedError) return;
      if (!(e instanceof RegistryError) || (await productionVersion()) !== ch.version) throw e;
      log.warn({ challenger: `${ch.name}@${ch.version}` }, 'restored after a failed validation: its challenger is production now and is not rejected');
    }
  };

  /**
   * A snapshot stored between a cycle's verdict and its end (phase `promoted` or `rejected`): the
   * cycle ends now as the live path ends it — counted (`cycles`), its challenger cleared, its
   * shadow stats dropped and its tracking run ended with the stored outcome. Before, it was restored
   * as idle, so the cycle was never counted and its MLflow run stayed open. The registry call and
   * the counters came before the verdict and were stored with it. Not committed here: a restart
   * before the next commit ends it again the same way.
   *
   * The outcome is read from the context's `outcome` (its kind, as data); a snapshot stored before
   * that was kept has only `lastOutcome`'s text, read by the rule used before (`outcomeOfText`).
   * Before, every snapshot was read from the text, so rewording it would have ended a failed cycle
   * as a rejection, or a deployed one as a promotion.
   */
  const settleRestored = async (): Promise<void> => {
    if (restoredPhase !== 'promoted' && restoredPhase !== 'rejected') return;
    const c = cycle;
    const { challenger: ch, lastOutcome, outcome: stored } = machine.getSnapshot().context;
    machine.send({ type: 'SETTLED' });
    shadow = null;
    cycle = null;
    const which = ch !== null ? `${ch.name}@${ch.version}` : undefined;
    const o = stored ?? outcomeOfText(lastOutcome, restoredPhase);
    log.info({ phase: restoredPhase, lastOutcome, outcome: o.kind }, 'restored between a cycle\'s verdict and its end: the cycle ends');
    if (o.kind === 'failed') {
      if (restoredPhase === 'rejected' && ch !== null) await rejectRestored(ch, o.reason);
      return fail(c?.runId ?? null, c?.ts ?? lastTs, o.reason);
    }
    const outcome = o.kind === 'promoted' || o.kind === 'deployed' || o.kind === 'rejected' ? o.kind : restoredPhase;
    await tracker?.endRun(c?.runId ?? undefined, 'FINISHED', lastTs, { 'sextant.outcome': outcome, ...(which !== undefined ? { 'sextant.challenger': which } : {}) });
  };
  await settleRestored();
  // Production moved while this actor was down (a `ctl model deploy` or rollback with the engine
  // stopped: its announcement went unheard): the snapshot's shadow run, against the old champion,
  // ends or starts again now, as on the event, not at the next label — hours later live. Before,
  // `ctl retrain status` named a shadow run against a model no longer serving meanwhile, and a
  // trigger was refused as not idle. Queued before any label's batch.
  if (restored !== undefined) followProduction('at start');

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
      counters.refused++;
      log.warn({ subject, reason: r.reason, detail: r.detail }, 'refused model event');
      const e = toDlqEntry({ source: 'retraining', subject, data, refusal: r, ts: deps.clock.now() });
      deps.bus.publish(deps.subjects.dlq('retraining'), encode(e), { msgId: e.id }).catch((err: unknown) => log.error({ err: String(err) }, 'dlq publish failed'));
      return;
    }
    const e = r.msg;
    if (e.name !== deps.model || e.alias !== 'production' || (e.event !== 'promoted' && e.event !== 'rolled_back')) return;
    followProduction('on a model event');
  };
  /** The registry's announcements of this actor's model. */
  const events: Subscription = deps.bus.subscribe(deps.subjects.model(deps.model, '*'), onModelEvent);
  let listening = true;
  const stopEvents = (): void => {
    if (listening) events.unsubscribe();
    listening = false;
  };
  const failed = new Promise<never>((_, reject) => {
    failWith = (e: unknown) => {
      stopEvents();
      void consumption.stop(); // no more deliveries to this instance; not awaited: the failing batch is still in hand
      reject(e instanceof Error ? e : new Error(String(e)));
    };
  });
  const done = Promise.race([consumption.done, failed]);
  done.catch((e: unknown) => log.error({ err: String(e) }, 'retraining consumer ended'));
  log.info({ phase: phase(), seq }, 'retraining actor started');

  const status = (): RetrainingStatus =>
    retrainingStatusOf({ phase: phase(), context: machine.getSnapshot().context, model: deps.model, champion: championRef, shadow, watch, anchor, triggers, counters, lastRollback });
  /**
   * A pause mid-fit or mid-validation abandons the cycle (the machine resumes at idle): its run
   * ends now, once, as abandoned by a pause. The fit or validation still in flight sees that its
   * cycle is gone and ends nothing (before, a cancelled fit ended the run as `cancelled`, and the
   * resume ended it again, replacing that outcome).
   */
  const abandon = (): void => {
    const c = cycle;
    if (c === null) return;
    cycle = null;
    chain = chain.then(() => fail(c.runId, c.ts, 'abandoned by a pause')).catch((e: unknown) => log.warn({ err: String(e) }, 'could not end the abandoned cycle\'s tracking run'));
  };

  /**
   * An operator's trigger or resume, outside any batch: stored first (a restart resumes the cycle
   * it started), then the sample check and maybe a fit. Its failure is a failed batch's: the state
   * may be half applied (a fit whose registration failed leaves the machine in `training`, where
   * no event moves it), so the actor stops and a new one resumes from the last commit.
   */
  const kick = (): void =>
    queueStep('of an operator command', async () => {
      await commit();
      if (await ensureChampion() && champion !== undefined) {
        // Production moved while paused (an operator deployed the challenger, or another model):
        // the shadow run ends or starts again now, not at the next label, which may be hours away
        // (before, the status said shadow, the challenger against itself, and a trigger was refused).
        await shadowAgainst(champion.version);
        await collectStep(lastTs + 1);
      }
      await commit();
    });


  return {
    key,
    strategy,
    consumers: [{ stream: deps.streams.OUTCOMES, durable }],
    status,
    trigger: (reason, operator) => {
      if (phase() !== 'idle') {
        const first = phase() === 'paused' ? ': `sextant ctl retrain resume` comes first' : '';
        return { accepted: false, reason: `retraining is ${phase()}, not idle${first}`, status: status() };
      }
      const t = { kind: 'operator' as const, detail: `${operator}: ${reason}` };
      machine.send({ type: 'TRIGGER', reason: t });
      counters.triggered.operator++;
      // The machine and the cycle move together, now (the reply says so): a batch committing before
      // the chain reaches this trigger stored `collecting` with no cycle, and an actor restarted from
      // that stayed collecting for ever (the sample check needs the cycle). The tracking run and the
      // sample check join the chain.
      const started: RetrainingCycle = { trigger: t, ts: lastTs, runId: null, challenger: null };
      cycle = started;
      collectingLabels = 1;
      chain = chain.then(async () => {
        const runId = await startCycleRun(tracker, { model: deps.model, strategy, trigger: t, ts: started.ts, champion: championRef, cfg });
        if (cycle === started) cycle = { ...started, runId };
      });
      kick();
      return { accepted: true, reason: 'retraining triggered', status: status() };
    },
    pause: (reason, operator) => {
      const from = phase();
      machine.send({ type: 'PAUSE', reason, operator });
      cancelFit?.();
      if (phase() === 'paused' && (from === 'training' || from === 'validating')) abandon();
      // The pause holds across a restart only once stored: a failed write is said (the next commit stores it).
      chain = chain.then(commit).catch((e: unknown) => log.error({ err: String(e) }, 'retraining pause not stored yet: a restart before the next commit resumes the earlier phase'));
      return status();
    },
    resume: () => {
      machine.send({ type: 'RESUME' });
      // A cycle still held here was abandoned by a pause stored before the pause ended it itself.
      if (phase() === 'idle') abandon();
      kick();
      return status();
    },
    idle: () => chain,
    stop: async () => {
      stopEvents();
      await consumption.stop();
      await chain;
      machine.stop();
      await dispose(champion);
      await dispose(challenger);
      await disposeWatched();
    },
    done,
  };
}
