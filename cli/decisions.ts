import type { AssetEvent, EventSequencer } from '../actors/event-sequencer.js';
import { createEventSequencer } from '../actors/event-sequencer.js';
import type { Decided, DecisionObserver, DecisionPath } from '../actors/decision-path.js';
import { createDecisionPath } from '../actors/decision-path.js';
import { assetActorKey } from '../actors/asset-actor.js';
import { startRiskActor } from '../actors/risk-actor.js';
import type { RiskActorHandle } from '../actors/risk-actor.js';
import type { Config } from '../config/schema.js';
import { checkSizing, equityFractionWarning } from '../config/sizing.js';
import { paperVenueOptions } from './paper-venue-options.js';
import { restoredDecidedMarks } from './restored-decided-marks.js';
import { restoredOperatorState } from './restored-operator-state.js';
import { createOperatorChanges } from '../actors/operator-changes.js';
import { restoreTradingChange } from '../actors/restored-change.js';
import type { DecidedMark } from '../actors/decided-marks.js';
import { ownOutputs, restoredPublished } from './restored-published.js';
import { createPublishedOutputs } from '../actors/published-outputs.js';
import { streamName } from '../streams/provision.js';
import { restoredExecution, restoredExecutionState } from './restored-execution.js';
import { releaseUnworkedOrders, restoredPaperVenue } from './restored-paper-venue.js';
import { createExecutionCore } from '../models/execution/execution-core.js';
import type { ExecutionCore } from '../models/execution/execution-core.js';
import { createPaperVenue } from '../models/execution/paper-venue-core.js';
import { engineFitProblem, UnservableModelError } from '../models/inference/engine-fit.js';
import type { StrategyCore, StrategyModel } from '../models/inference/strategy-core.js';
import { createStrategyCore } from '../models/inference/strategy-core.js';
import type { ModelRegistry, ModelVersion } from '../models/registry/model-registry.js';
import { ModelNotFoundError, parseModelRef } from '../models/registry/model-registry.js';
import { sequenceWindowOf } from '../models/registry/sequence-window.js';
import { createOnnxRuntime } from '../models/runtime/onnx-runtime.js';
import type { ExecutionInfo, InferencePlacement, RuntimeWarning } from '../models/runtime/model-runtime.js';
import type { Clock } from '../state/clock.js';
import type { EngineCounters } from '../state/counters.js';
import type { Logger } from '../state/logger.js';
import type { FeatureReader } from '../state/feature-store.js';
import type { TimeseriesReader } from '../state/timeseries-store.js';
import { maxAckPending } from '../streams/nats-pull-consumer.js';
import { windowHistory } from './window-history.js';
import type { RiskStore } from '../state/risk-store.js';
import type { Bus, Subscription } from '../streams/bus.js';
import { encode } from '../streams/codec.js';
import { RefusalReason } from '../streams/messages/dlq-entry.js';
import type { FeatureVector } from '../streams/messages/feature-vector.js';
import { toDlqEntry } from '../streams/validation/dlq.js';
import { refuse, schemaIssues } from '../streams/validation/refusal.js';
import type { Refusal } from '../streams/validation/refusal.js';
import type { Expiry } from '../streams/messages/expiry.js';
import type { Fill } from '../streams/messages/fill.js';
import type { RiskState } from '../streams/messages/risk-state.js';
import { ModelEventSchema } from '../streams/messages/model-event.js';
import { TIMEFRAME_MS } from '../streams/messages/bar.js';
import type { Subjects } from '../streams/subjects.js';
import { executionSettings } from './execution-settings.js';
import { consumeExternalExpiries } from './external-expiries.js';
import { consumeExternalFills } from './external-fills.js';
import { watchIdle } from './idle-watch.js';
import { waitForRecovery } from './recovery-wait.js';
import { createRiskPersister } from './risk-persist.js';
import type { StageTiming } from './stage-timing.js';
import { timedRelease } from './stage-timing.js';
import type { DecisionCounts } from './stored-decision-counts.js';
import { countStoredDecisions } from './stored-decision-counts.js';

/** What asset actors push their events into: the sequencer, and when the risk state covers what was decided. */

/**
 * How long an operator's command waits for the restart's recovery (normally well under a second:
 * the events after the last risk write decided again) before it is put in force regardless.
 */
const COMMAND_RECOVERY_WAIT_MS = 5_000;
export type DecisionFeed = EventSequencer & Readonly<{ covered(prompt?: boolean): Promise<void> }>;

/**
 * The engine's risk actor as the engine and its operators reach it (status, limits, halt, resume,
 * reduce), without the actor's push-in `suggestion` and `fill`: in the engine the decision path
 * decides on the risk core with the paper venue beside it, and writes the book with the venue's
 * working orders and estimates in the same row (cli/risk-persist.ts). The push-in paths are a risk
 * actor's on its own (no venue in the process): here they would write the book without the venue's
 * orders (lost at the next restart) and approve orders the venue never sees.
 */
export type EngineRisk = Omit<RiskActorHandle, 'suggestion' | 'fill'>;

/** A version the served alias moved to that the engine refused to swap to, and why. */
export type RefusedModel = Readonly<{ name: string; version: number; alias: string | null; reason: string }>;

export type Decisions = Readonly<{
  sequencer: DecisionFeed;
  path: DecisionPath;
  strategy: StrategyCore;
  /** The execution core's view of each asset (position, working children, parent) and its counts. */
  execution: Pick<ExecutionCore, 'asset' | 'stats'>;
  risk: EngineRisk;
  /** The model being served now. */
  model(): Readonly<{ name: string; version: number }>;
  /**
   * Where that model's inference runs (engine, device, thread) and what the runtime worked around
   * while loading it (e.g. `models.device: cuda` asked for, CUDA unavailable: CPU, with a warning).
   */
  inference(): Readonly<{ execution: ExecutionInfo; warnings: readonly RuntimeWarning[] }>;
  /**
   * The version the served alias moved to that the engine refused (it does not fit the engine,
   * or could not be loaded) while it keeps serving {@link Decisions.model}; null once it serves
   * what the alias names again.
   */
  refused(): RefusedModel | null;
  /**
   * Loads `ref` from the registry and swaps it in between two batches. A version the engine
   * cannot serve (`engineFitProblem`: other bars, features it does not compute, a window of other
   * steps; or one that does not load) is refused with {@link UnservableModelError}: the served
   * model stays, the refusal is logged as an error, counted (`modelsRefused`) and kept in
   * {@link Decisions.refused}.
   */
  swapTo(ref: string): Promise<Readonly<{ name: string; version: number }>>;
  stop(): Promise<void>;
}>;

export type DecisionDeps = Readonly<{
  bus: Bus;
  subjects: Subjects;
  registry: ModelRegistry;
  riskStore: RiskStore;
  clock: Clock;
  log: Logger;
  /** Where inference runs; default the config's `models.inferenceThread` (`main` for backtests). */
  thread?: InferencePlacement;
  /** Watches the decided stream (backtests sample equity and collect fills through it). */
  observer?: DecisionObserver;
  /** Times each release (`decide`, `publish` stages); absent, releases run untimed. */
  stages?: StageTiming;
  /** Counts each prediction, order and reject once, when its stream first stores it (cli/stored-decision-counts.ts). */
  counts?: DecisionCounts;
  /**
   * Recent feature vectors per asset (the feature store's capped history): a sequence model's
   * windows are filled from them at start and after a swap, instead of waiting `steps` bars.
   */
  features?: Pick<FeatureReader, 'history'>;
  /**
   * Every vector stored (PostgreSQL): a sequence model's windows are filled from it where the
   * feature store's history holds fewer than `steps` bars (Redis restarted empty: cli/window-history.ts).
   */
  timeseries?: Pick<TimeseriesReader, 'barFeatures'>;
  /** Events before this event time only warm the strategy (actors/decision-path.ts `decideFrom`). */
  decideFrom?: number;
  /** The engine's counters: each refused external fill is counted in `refused` by its reason. */
  counters?: EngineCounters;
  /** The registry is the in-process one (no PostgreSQL): it starts empty and `sextant train` cannot reach it. */
  registryInMemory?: boolean;
  /** How long `stop` waits for the last risk-state write to land; default {@link STOP_WRITE_WAIT_MS}. */
  stopWaitMs?: number;
}>;

/**
 * How long a stop waits for the decision path's last risk-state write (engine clock): longer than
 * the ~25 s of a store away that its retries ride out (`RISK_WRITE_RETRY`), so that a write being
 * retried is waited for, bounded so that a store that never answers does not hold the stop forever.
 */
export const STOP_WRITE_WAIT_MS = 30_000;

async function loadModel(deps: DecisionDeps, cfg: Config, v: ModelVersion): Promise<StrategyModel> {
  const bytes = await deps.registry.artifact(v);
  const runtime = await createOnnxRuntime({ bytes }, { thread: deps.thread ?? cfg.models.inferenceThread, inlineMaxMacs: cfg.models.inlineMaxMacs, provider: cfg.models.device });
  const e = runtime.execution;
  deps.log.info({ model: `${v.name}@${v.version}`, engine: `${e.engine} ${e.version}`, device: e.device, asked: cfg.models.device, thread: e.thread }, 'model loaded');
  for (const w of runtime.warnings) deps.log.warn({ model: `${v.name}@${v.version}`, code: w.code }, w.message);
  // A GRU registered before feature specs carried the window has it in its details.
  const window = v.featureSpec.window === undefined ? sequenceWindowOf(v) : undefined;
  return { name: v.name, version: v.version, runtime, featureSpec: v.featureSpec, calibration: v.calibration, featureSpecHash: v.featureSpecHash, ...(window !== undefined ? { window } : {}) };
}

/** The history a sequence model's windows are filled from (cli/window-history.ts), for the model served now. */
const historyOf = (deps: DecisionDeps, cfg: Config, strategy: StrategyCore, log: Logger): Promise<FeatureVector[]> =>
  windowHistory(deps, { assets: cfg.assets, timeframe: cfg.strategy.timeframe, steps: strategy.window()?.steps ?? 0, redelivered: maxAckPending(cfg.consumer.batchSize) }, log);

/** Fills a sequence model's windows from {@link historyOf}; a no-op for a one-row model or without a history. */
async function primeWindows(deps: DecisionDeps, cfg: Config, strategy: StrategyCore, log: Logger): Promise<void> {
  if (strategy.window() === undefined) return;
  await strategy.prime(await historyOf(deps, cfg, strategy, log));
}

/**
 * Why an engine without its model decides nothing, and what to do. `sextant train --promote`
 * registers in PostgreSQL: it cannot help an engine on the in-process registry, which starts empty
 * (`sextant demo --embedded` trains and registers its model in the process instead).
 */
export function noModelMessage(model: string, registryInMemory: boolean): string {
  return registryInMemory
    ? `no model ${model} in the in-process registry (no PostgreSQL: it starts empty, and \`sextant train --promote\` registers in PostgreSQL, which this engine does not use; run with PostgreSQL, or \`sextant demo --embedded\`, which trains its own): decisions are off, features only`
    : `no model ${model} in the registry (train one with \`sextant train --promote\`): decisions are off, features only`;
}

/**
 * Builds the decision path of the configured strategy: the served model from the registry on
 * ONNX Runtime, the execution policy, the risk actor (state from its store), the paper venue,
 * and the sequencer that feeds them the asset actors' events in event-time order. Returns
 * undefined (and says why) when the registry has no model for the configured ref: the engine
 * then computes features only.
 */
export async function startDecisions(deps: DecisionDeps, cfg: Config): Promise<Decisions | undefined> {
  const log = deps.log.child({ actor: 'decisions' });
  checkSizing(cfg);
  const allowed = new Set(cfg.risk.limits.allowlist);
  const overCommitted = equityFractionWarning(cfg.strategy, cfg.assets.map((a) => a.symbol).filter((sym) => allowed.has(sym)));
  if (overCommitted !== undefined) log.warn({ positionSize: cfg.strategy.positionSize }, overCommitted);
  let version: ModelVersion;
  try {
    version = await deps.registry.get(cfg.strategy.model);
  } catch (e) {
    if (!(e instanceof ModelNotFoundError)) throw e;
    log.warn({ model: cfg.strategy.model }, noModelMessage(cfg.strategy.model, deps.registryInMemory === true));
    return undefined;
  }
  let model = await loadModel(deps, cfg, version);
  const s = cfg.strategy;
  let strategy: StrategyCore;
  try {
    strategy = createStrategyCore({
      strategy: s.name,
      model,
      topK: s.topK,
      minConfidence: s.minConfidence,
      maxIntervalWidth: s.maxIntervalWidth,
      positionSize: s.positionSize,
      sizing: s.sizing,
      allowShort: s.allowShort,
    });
  } catch (e) {
    // A model the core cannot serve (e.g. a sequence model without its window) is refused here, at load.
    await model.runtime.dispose();
    throw e;
  }
  await primeWindows(deps, cfg, strategy, log);
  // One read of the risk state: the risk book and the paper venue's orders stored with it start
  // from the same row (a second read could see a later write, and the venue work orders the book
  // no longer counts in flight, or miss ones it does).
  const stored = await deps.riskStore.load(cfg.risk.account);
  // The decision path starts from the trading state and limits stored with the book; an operator's
  // change stored after that book is applied where it took effect (cli/restored-operator-state.ts).
  const operator = restoredOperatorState(stored, log);
  const changes = createOperatorChanges(operator.pending);
  let decidedNow = (): readonly DecidedMark[] => operator.decided;
  // An operator's command waits for the decision path's recovery after a restart (bounded: a
  // pending change whose point never comes back must not hold commands for ever), then puts what is
  // still pending in force (the decision path's, once it runs).
  let flushOperatorChanges = (): void => undefined;
  let recovered = (): Promise<void> => Promise.resolve();
  const beforeCommand = async (): Promise<void> => {
    if ((await waitForRecovery(recovered, COMMAND_RECOVERY_WAIT_MS)) !== 'recovered') {
      log.warn({ waitedMs: COMMAND_RECOVERY_WAIT_MS }, "an operator's command came while the restart's recovery (deciding again what was published before it) was not over: it is put in force now, and the events still to be decided again are decided under it");
    }
    flushOperatorChanges();
  };
  const risk = await startRiskActor(
    { bus: deps.bus, subjects: deps.subjects, store: deps.riskStore, clock: deps.clock, log: deps.log },
    {
      account: cfg.risk.account,
      limits: cfg.risk.limits,
      currency: { accountCurrency: cfg.risk.accountCurrency, conversions: cfg.risk.conversions },
      fillPriceToleranceBps: cfg.validation.fillPriceToleranceBps,
      marketFillBandBps: cfg.validation.marketFillBandBps,
      consume: false,
      stored: operator.stored,
      controlWriteTimeoutMs: cfg.control.riskWriteTimeoutMs,
      changes,
      decidedNow: () => decidedNow(),
      beforeCommand,
    },
  );
  const pv = cfg.paperVenue;
  // After a restart the venue goes on working the orders it worked at the last risk write (stored
  // with the book). Without them (a book stored before they were, or not valid) no venue works the
  // orders the book holds in flight for it: they are released now, before execution counts them.
  const venueFrom = pv.enabled ? restoredPaperVenue(stored.book, log) : undefined;
  // How far each asset was decided when that book was written: a crash after it redelivers the
  // events since the asset actors' last checkpoint, and those at or below the marks are not decided
  // again against this newer book (actors/decided-marks.ts).
  const decided = restoredDecidedMarks(stored.book, log);
  // The events after the marks are decided again; their outputs that SIGNALS stored already (read
  // from the mark stored with the book) are not published again: past the stream's duplicate window
  // it would keep a second copy. On JetStream only (an in-process bus does not outlive its engine).
  const ownOutput = ownOutputs(deps.subjects.prefix, cfg.strategy.name, pv.enabled);
  const outputsStored = deps.bus.kind === 'nats' ? await restoredPublished(deps.bus, streamName(cfg, 'SIGNALS'), stored.book, log, ownOutput) : undefined;
  const published = outputsStored === undefined ? undefined : createPublishedOutputs(outputsStored, log);
  const tradingAtStart = risk.core.trading();
  // The release of the orders no venue works is a change of this run, at the restored book's
  // marks, before the operator's trading changes stored after that book (`pending`, made by the
  // first run at or past those marks). Left at their points, each is a whole trading state with
  // its change number (`seq`): a release that changes the state (a flattening account it leaves
  // flat halts) took the next number after the book's, the one the first pending change holds,
  // and its write counted that change as covered by the book (`OperatorChanges.covered`): a crash
  // right after it lost the change (a symbol halt gone), the same risk.state id was announced for
  // two states, and the change applied later put the stale state back (flattening though flat).
  // So when it can change the state, those changes are put in force first and the release builds
  // on the newest stored state, as an operator's command during the recovery does (the events
  // still to be decided again are decided under them); the write after it covers them. One that
  // cannot (the account not flattening) leaves them where they took effect. The limits stay
  // pending where they are: the release changes none, and a limits change is placed by its marks,
  // not by a number (test/decision/restart-unworked-release.test.ts).
  let pendingAtStart = operator.pending;
  const restoredAtStart: RiskState[] = [];
  const beforeRelease = (): void => {
    if (operator.pending.trading.length === 0 || risk.core.trading().flattening !== true) return;
    for (const c of operator.pending.trading) restoredAtStart.push(restoreTradingChange(risk.core, c.trading, deps.clock.now()));
    pendingAtStart = { trading: [], limits: operator.pending.limits };
    log.warn(
      { changes: restoredAtStart.map((st) => st.id) },
      "the operator's trading changes stored after the restored risk book are in force from the start, before the orders no venue works are released: that release can change the trading state (the account is flattening), so it builds on the newest stored state; the events still to be decided again are decided under them",
    );
  };
  const unworked = pv.enabled && venueFrom === undefined ? releaseUnworkedOrders(risk.core, stored.book, cfg.venue, log, beforeRelease) : undefined;
  // The venue's minimum notional is the risk actor's current limit (an operator may change it), and
  // execution proposes nothing a halt (or reduce-only) would refuse, and closes what risk asks to flatten.
  // After a restart it starts from what the restored risk book holds and has in flight, not from flat,
  // and goes on with the parents it had under way (stored in the same row).
  const settings = executionSettings(cfg);
  const executionFrom = restoredExecutionState(stored.book, s.name, { policy: settings.policy.name, flattenPolicy: settings.flattenPolicy.name }, log);
  const execution = createExecutionCore({
    strategy: s.name,
    ...settings,
    ...restoredExecution(risk.core.bookSnapshot().book, s.name),
    ...(executionFrom === undefined ? {} : { restored: executionFrom }),
    minQty: 0,
    minNotional: () => risk.getLimits().minOrderNotional,
    trading: risk.core.tradingFor,
    flattening: risk.core.flatteningFor,
  });
  const venue = pv.enabled ? createPaperVenue(paperVenueOptions(cfg, TIMEFRAME_MS[s.timeframe]), venueFrom) : undefined;
  // The book is taken now, written later (after the publications of the releases it covers).
  // A change announced `stored: false` (an operator's halt, a breach) is announced again once a write of it is stored.
  const persistRisk = createRiskPersister(deps.riskStore, deps.clock, tradingAtStart, venue, execution, risk.tradingStored, changes);
  if (unworked !== undefined && unworked.released.length > 0) {
    // Stored at once, with the venue's part (the next start finds it), and a state change announced.
    await persistRisk(risk.core, decided, published?.mark())();
    for (const st of restoredAtStart) deps.bus.emit(deps.subjects.riskState(), encode(st));
    for (const st of unworked.states) {
      log.warn({ state: st.state, previous: st.previous, reason: st.reason }, 'risk state');
      deps.bus.emit(deps.subjects.riskState(), encode(st));
    }
  } else if (outputsStored?.restored === false) {
    // No outputs mark stored yet (a first start, a book stored before the marks were): the stream's
    // end now is stored with the book as it is, so that a stop before the first spaced write finds
    // what this run published. Not stored, it is stored with that write (the decision path's writes
    // report their own failures).
    await persistRisk(risk.core, decided, published?.mark())().catch((e: unknown) => log.warn({ err: String(e) }, 'could not store the outputs mark with the risk book at start: the first risk write stores it'));
  }
  const path = createDecisionPath(
    { bus: deps.counts === undefined ? deps.bus : countStoredDecisions(deps.bus, deps.subjects, deps.counts), subjects: deps.subjects, log: deps.log, clock: deps.clock },
    {
      strategy,
      timeframe: s.timeframe,
      execution,
      risk: risk.core,
      venue,
      ...(deps.observer !== undefined ? { observer: deps.observer } : {}),
      ...(cfg.decision.riskCheckpointMs !== undefined ? { riskCheckpointMs: cfg.decision.riskCheckpointMs } : {}),
      ...(deps.decideFrom !== undefined ? { decideFrom: deps.decideFrom } : {}),
      persistRisk,
      ...(deps.riskStore.label !== undefined ? { riskStore: deps.riskStore.label } : {}),
      riskStateAnnounced: risk.riskStateAnnounced,
      decided,
      ...(published !== undefined ? { published } : {}),
      operatorChanges: pendingAtStart,
      // A change's mark for an asset no longer configured cannot be reached: left out (actors/operator-changes.ts).
      assets: cfg.assets.map((a) => assetActorKey(a)),
      ...(s.sizing === 'equity' && cfg.risk.capital !== undefined ? { equityCapital: cfg.risk.capital } : {}),
    },
  );
  decidedNow = path.decidedNow;
  flushOperatorChanges = path.flushOperatorChanges;
  recovered = path.recovered;

  // Without the paper venue, fills come from live trading consumers on sx.exec.fill.…, and what
  // their exchanges cancelled or expired on sx.exec.expired.… (with it, the decision path publishes both).
  // After a restart a report redelivered (its risk write never landed, so it was not acknowledged)
  // was applied by the first run after every event whose outputs it published: the decision path
  // decides nothing on a report until its write is stored. Applied as soon as it came, it went in
  // before the redelivered market data it came after, and those events were decided on it (a fill's
  // fee breaching the daily loss limit made the account REDUCING hours of event time early, with
  // flatten orders the first run never made). So it waits for the recovery, at most half the ack
  // wait (JetStream delivers it again past the ack wait anyway), and a stop ends the wait without
  // applying it: not acknowledged, the next start applies it.
  let stopping = (): void => {};
  const stopped = new Promise<void>((resolve) => (stopping = resolve));
  const reportWaitMs = Math.floor(cfg.consumer.ackWaitMs / 2);
  const afterRecovery = async (what: string, id: string): Promise<void> => {
    const r = await waitForRecovery(path.recovered, reportWaitMs, stopped);
    if (r === 'stopped') throw new Error(`the engine is stopping during the restart's recovery: ${what} ${id} is not applied (nor acknowledged: the next start applies it)`);
    if (r === 'timed out') {
      log.warn({ waitedMs: reportWaitMs, [what]: id }, `a live ${what} came while the restart's recovery (deciding again what was published before it) was not over: it is applied now, before the events still to be decided again`);
    }
  };
  const onExternalFill = async (f: Fill): Promise<Refusal | undefined> => {
    await afterRecovery('fill', f.id);
    return path.onExternalFill(f);
  };
  const onExternalExpiry = async (e: Expiry): Promise<Refusal | undefined> => {
    await afterRecovery('expiry', e.orderId);
    return path.onExternalExpiry(e);
  };
  const fills = venue === undefined ? consumeExternalFills(deps, cfg, { onExternalFill }, log) : undefined;
  const expiries = venue === undefined ? consumeExternalExpiries(deps, cfg, { onExternalExpiry }, log) : undefined;

  const keys = cfg.assets.map((a) => assetActorKey(a));
  const release = (events: readonly AssetEvent[]): Promise<Decided> => path.onRelease(events);
  const sequencer = createEventSequencer({ assets: keys, onRelease: deps.stages === undefined ? release : timedRelease(release, deps.stages) });
  // A risk-state write that could not be stored covers releases the sequencer already handed back:
  // it stops the sequencer as a failed release would (no push is taken or acknowledged any more),
  // and the engine reports it (`Engine.failed`, `sextant run` exits non-zero).
  void path.failed().then((e) => sequencer.fail(e));
  // An asset that delivers nothing for idleFlushMs stops holding the others back.
  const idleWatch = watchIdle(deps.clock, cfg.decision.idleFlushMs, keys, (k) => sequencer.idle(k));
  // How long a stop waits for the risk writes, from the first close on: the engine closes the feed
  // before it stops the asset actors, whose last checkpoints wait for those writes. A write still
  // not stored then is given up: what waits for it fails (nothing it covers is acknowledged, so the
  // next start decides those inputs again from the write before), and the stop goes on.
  const stopWaitMs = deps.stopWaitMs ?? STOP_WRITE_WAIT_MS;
  let stopWait: ReturnType<Clock['setTimeout']> | undefined;
  const waitForWrites = (): void => {
    stopWait ??= deps.clock.setTimeout(() => {
      if (!path.writing()) return;
      const why = `the last risk state write was not stored within ${stopWaitMs} ms of the stop`;
      log.error(
        { waitedMs: stopWaitMs, account: cfg.risk.account },
        `${why}: the engine stops without it, and the next start restores the risk book from an earlier write (the market data after that write is decided again)`,
      );
      path.abandon(new Error(why));
    }, stopWaitMs);
  };
  const tracked: DecisionFeed = {
    ...sequencer,
    covered: (prompt) => path.covered(prompt),
    close: () => {
      idleWatch.stop();
      waitForWrites();
      // Stopping: what waits for a spaced risk write is written now, and every later release at once.
      path.flush();
      return sequencer.close();
    },
    push: (asset: string, events: readonly AssetEvent[]) => {
      idleWatch.pushed(asset);
      return sequencer.push(asset, events);
    },
  };

  let swapping: Promise<unknown> = Promise.resolve();
  let refused: RefusedModel | null = null;
  /** Keeps the model served, says once per version why `v` is not served, and throws. */
  const refuseModel = (v: ModelVersion, ref: string, reason: string): never => {
    const parsed = parseModelRef(ref);
    const alias = 'alias' in parsed ? parsed.alias : null;
    const at = `${v.name}@${v.version}`;
    const serving = `${model.name}@${model.version}`;
    if (refused?.name !== v.name || refused.version !== v.version || refused.reason !== reason) {
      if (deps.counters !== undefined) deps.counters.modelsRefused++;
      log.error({ model: at, alias, serving, reason }, `${at}${alias !== null ? ` (${v.name}@${alias} now)` : ''} refused: this engine cannot serve it (${reason}); it keeps serving ${serving}`);
    }
    refused = { name: v.name, version: v.version, alias, reason };
    throw new UnservableModelError(at, reason);
  };
  const loadFailed = (e: unknown): string => `could not load it: ${e instanceof Error ? e.message : String(e)}`;
  const swapTo = (ref: string): Promise<{ name: string; version: number }> => {
    const run = swapping.then(async () => {
      const v = await deps.registry.get(ref);
      if (v.name === model.name && v.version === model.version) {
        refused = null;
        return { name: v.name, version: v.version };
      }
      // What `ctl model deploy` checks before it moves the alias: a promotion made anywhere else
      // (another engine's ctl, `sextant train --promote`, a registry call) is held to it here.
      const problem = engineFitProblem(v, { timeframe: cfg.strategy.timeframe });
      if (problem !== undefined) return refuseModel(v, ref, problem);
      let next: StrategyModel;
      try {
        next = await loadModel(deps, cfg, v);
      } catch (e) {
        return refuseModel(v, ref, loadFailed(e));
      }
      let old: StrategyModel;
      try {
        // The history is read and primed in the swap's turn: no bar is scored in between on an empty window.
        old = await strategy.swapModel(next, () => historyOf(deps, cfg, strategy, log));
      } catch (e) {
        await next.runtime.dispose();
        return refuseModel(v, ref, loadFailed(e));
      }
      model = next;
      refused = null;
      await old.runtime.dispose();
      log.info({ model: `${v.name}@${v.version}` }, 'model swapped');
      return { name: v.name, version: v.version };
    });
    swapping = run.catch(() => {});
    return run;
  };
  // Promotions and rollbacks made anywhere (ctl, `sextant train --promote`, the retraining actor).
  const served = parseModelRef(cfg.strategy.model);
  let events: Subscription | undefined;
  if (!('version' in served)) {
    const refuseEvent = (subject: string, data: Uint8Array, reason: RefusalReason, detail: string): void => {
      log.warn({ subject, reason, detail }, 'model event refused');
      const entry = toDlqEntry({ source: 'decisions', subject, data, refusal: refuse(reason, detail), ts: deps.clock.now() });
      deps.bus.publish(deps.subjects.dlq('decisions'), encode(entry), { msgId: entry.id }).catch((err: unknown) => log.error({ err: String(err) }, 'dlq publish failed'));
    };
    events = deps.bus.subscribe(deps.subjects.model(served.name, '*'), (subject, data) => {
      let raw: unknown;
      try {
        raw = JSON.parse(new TextDecoder().decode(data));
      } catch {
        return refuseEvent(subject, data, RefusalReason.MALFORMED_JSON, 'not JSON');
      }
      const e = ModelEventSchema.safeParse(raw);
      if (!e.success) return refuseEvent(subject, data, RefusalReason.SCHEMA, schemaIssues(e.error.issues));
      if ((e.data.event !== 'promoted' && e.data.event !== 'rolled_back') || e.data.alias !== served.alias) return;
      swapTo(cfg.strategy.model).catch((err: unknown) => {
        if (err instanceof UnservableModelError) return; // said and kept in refused()
        log.error({ err: String(err) }, 'model swap failed');
      });
    });
  }

  // Left out at run time too, not only from the type: nothing in the engine can reach them.
  const { suggestion: _suggestion, fill: _fill, ...engineRisk } = risk;
  return {
    sequencer: tracked,
    path,
    strategy,
    execution,
    risk: engineRisk,
    model: () => ({ name: model.name, version: model.version }),
    inference: () => ({ execution: model.runtime.execution, warnings: model.runtime.warnings }),
    refused: () => refused,
    swapTo,
    stop: async () => {
      idleWatch.stop();
      events?.unsubscribe();
      stopping();
      await fills?.stop();
      await expiries?.stop();
      await tracked.close();
      // The close took the book as it is now (a flush): the stop resolves once that write landed
      // (or was given up, above), so that a process ending right after (`sextant run` on SIGTERM)
      // leaves the book it decided with, not an older one the next start would decide the
      // redelivered bars again on.
      await path.written();
      if (stopWait !== undefined) deps.clock.clearTimeout(stopWait);
      await swapping;
      await risk.stop();
      await model.runtime.dispose();
    },
  };
}
