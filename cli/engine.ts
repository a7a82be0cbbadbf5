import type { AssetActorDeps } from '../actors/asset-actor.js';
import type { FeedStatusWatch } from './feed-status-watch.js';
import type { BusConnection } from '../streams/bus-connection.js';
import { createRecorder } from '../actors/recorder-actor.js';
import { createHistoryRefresh } from '../actors/history-refresh.js';
import type { Supervisor } from '../actors/supervisor.js';
import { startSupervisor } from '../actors/supervisor.js';
import { superviseRetraining } from './supervised-retraining.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../state/clock.js';
import type { EngineCounters } from '../state/counters.js';
import { createCounters } from '../state/counters.js';
import type { AssetKey } from '../state/feature-store.js';
import type { Logger } from '../state/logger.js';
import { streamName, streamSpecs } from '../streams/provision.js';
import { subjectsFor } from '../streams/subjects.js';
import { startControlServer } from '../gateways/control/control-server.js';
import { checkControlSubscription } from './control-subscription-check.js';
import type { Subscription } from '../streams/bus.js';
import type { DecisionObserver } from '../actors/decision-path.js';
import type { InferencePlacement } from '../models/runtime/model-runtime.js';
import type { Decisions } from './decisions.js';
import { startDecisions } from './decisions.js';
import { engineControlTarget } from './engine-control.js';
import { catchUpThresholdMs, createCatchUpWatch } from './catch-up-watch.js';
import type { CatchUpWatch } from './catch-up-watch.js';
import { startCatchUpCheck } from './catch-up-check.js';
import { QUIET_STREAM_CHECK_MS, startQuietStreamCheck } from './quiet-stream-check.js';
import { assetActorKey } from '../actors/asset-actor.js';
import { knownAt } from '../streams/messages/market-data.js';
import type { StageTiming } from './stage-timing.js';
import type { DecisionCounts } from './stored-decision-counts.js';
import { timedAssetPorts } from './stage-timing.js';
import type { Adapters } from './wiring.js';
import { startLabelingActor } from '../actors/labeling-actor.js';
import { knownAssets } from '../streams/validation/known-assets.js';
import type { LabelingActorHandle } from '../actors/labeling-actor.js';
import { startRetrainingActor } from '../actors/retraining-actor.js';
import type { RetrainingActorHandle } from '../actors/retraining-actor.js';
import { createRetrainingTracker } from '../models/mlflow/retraining-tracker.js';
import { parseModelRef } from '../models/registry/model-registry.js';

/** The engine needs the bus and the stores; the registry, risk store and audit turn on decisions and control. */
export type EngineAdapters = Pick<Adapters, 'bus' | 'features' | 'timeseries'> & Partial<Pick<Adapters, 'registry' | 'riskStore' | 'audit' | 'samples'>>;

export type EngineOptions = Readonly<{
  /** Watches the decided stream (backtests). */
  observer?: DecisionObserver;
  /** Where inference runs; default the config's `models.inferenceThread` (backtests pass `main`). */
  inferenceThread?: InferencePlacement;
  /** Run the decision path when the registry serves the configured model (default true). */
  decisions?: boolean;
  /** Serve `sx.ctl.<verb>` (default true when an audit store is given). */
  control?: boolean;
  /** Label predictions and orders (default true when decisions run and a sample store is given). */
  labeling?: boolean;
  /** The process's NATS link (`logNatsConnection`): `ctl status` says it as `nats`. */
  nats?: Pick<BusConnection, 'state'>;
  /** `sextant gateway`'s feed statuses (cli/feed-status-watch.ts): `ctl status` says them as `feeds`. */
  feeds?: Pick<FeedStatusWatch, 'feeds'>;
  /**
   * Per-stage latencies (`decode`, `features`, `store`, `decide`, `publish`) go to this sink, measured with
   * its `now` (cli/stage-timing.ts). Absent, nothing is timed and the actors' ports are unwrapped.
   */
  stages?: StageTiming;
  /**
   * The decision path's predictions, orders and rejects are counted here, each once: when its
   * stream first stores it (`sextant_predictions_total`, `sextant_orders_total`; a restarted
   * engine publishing redelivered decisions again counts nothing twice).
   */
  counts?: DecisionCounts;
  /**
   * The wall clock that paces background training (`retraining.training.pace`): live commands
   * pass it; backtests and experiments, on event time, leave it out and train unpaced.
   */
  trainingClock?: Clock;
  /**
   * Market data stamped more than this many ms after the engine's clock is refused by the asset
   * actors: live commands, on the wall clock, pass the config's `validation.maxAheadMs`; backtests
   * and experiments, on event time, leave it out.
   */
  maxAheadMs?: number;
  /**
   * The retraining actor's own clock and fit placement. Default: the engine's clock and a worker
   * thread. An experiment on event time that waits for every label to be handled before the next
   * bar passes a clock of its own, so the actor's wait for a label's sample does not need the next bar.
   */
  retraining?: Readonly<{ clock?: Clock; trainingThread?: 'worker' | 'main' }>;
  /**
   * Market data before this event time only warms the actors (features, the strategy's windows):
   * nothing is decided for it. A backtest replays the bars before its window this way.
   */
  decideFrom?: number;
  /** How long the stop waits for the decision path's last risk-state write (cli/decisions.ts `STOP_WRITE_WAIT_MS`). */
  stopWaitMs?: number;
  /**
   * The engine replays a past window on its live clock (`sextant demo`): deciding data far behind
   * the clock is said at info as a replay, not warned of as a backlog whose orders live consumers
   * may find expired (cli/catch-up-watch.ts). `sextant run` leaves it out.
   */
  replay?: boolean;
}>;

export type Engine = Readonly<{
  supervisor: Supervisor;
  counters: EngineCounters;
  /** The decision path, when a model is served. */
  decisions: Decisions | undefined;
  /** The labeling actor, when decisions run and a sample store is given. */
  labeling: LabelingActorHandle | undefined;
  /** The retraining actor, when `retraining.enabled`, decisions run and a sample store is given. */
  retraining: RetrainingActorHandle | undefined;
  /**
   * Whether the engine is deciding a backlog far behind its clock (cli/catch-up-watch.ts), where
   * ctl is served and a model decides; what `ctl status` says as `catchUp` and the feed's `pnl` carries.
   */
  catchUp?: Pick<CatchUpWatch, 'status'> | undefined;
  /**
   * Resolves with the decision path's failure, never while it runs (`DecisionPathFailedError`: a
   * release failed, and nothing more is decided or acknowledged). The engine must then be stopped
   * and started again: the new one resumes from the last commit, as after a crash.
   */
  failed(): Promise<Error>;
  /** That failure, or undefined while the decision path runs (or there is none). */
  failure(): Error | undefined;
  /**
   * Stops the actors, then waits for the recorder's writes. `beforeLabelingStops` is awaited once
   * the asset actors and the decision path stopped (all they publish is out) and before the
   * labeling and retraining actors stop: `sextant demo` waits there for labeling to catch up.
   * Then, the recorder's writes done, the labeling actor settles the items still waiting for them
   * (`recheck`) before it stops.
   */
  stop(o?: Readonly<{ beforeLabelingStops?: () => Promise<void> }>): Promise<void>;
}>;

/**
 * How often, while catching up, the engine reads whether its market-data consumers have anything
 * pending (engine clock): a backlog that ends on a quiet market is said over within this.
 */
export const CATCH_UP_CHECK_MS = 5_000;

/** Durable consumer names are stable per asset so a restarted engine resumes where it stopped. */
export const durableFor = (a: AssetKey): string => `asset_${a.venue}_${a.symbol.replace(/[^A-Za-z0-9]/g, '_')}`;

/**
 * Starts the engine on the given adapters: provisions the streams, then the recorder and one
 * asset actor per configured asset under the supervisor.
 */
export async function startEngine(cfg: Config, adapters: EngineAdapters, clock: Clock, log: Logger, opts: EngineOptions = {}): Promise<Engine> {
  const subjects = subjectsFor(cfg.prefix);
  const specs = streamSpecs(cfg);
  await adapters.bus.ensureStreams(specs);
  // Where operators are served, a login that may not subscribe to sx.ctl.> fails the start here,
  // before anything is consumed: such an engine could not be halted.
  if (opts.control !== false && adapters.audit !== undefined) await checkControlSubscription(adapters.bus, subjects);
  const md = specs.find((s) => s.subjects.includes(subjects.allMarketData()));
  if (md === undefined) throw new Error(`no stream captures ${subjects.allMarketData()}`);
  const counters = createCounters();
  // On TimescaleDB, history written too old for the aggregates' refresh policies (a replay, a long
  // backfill) is refreshed once its writes pause and at stop. Only the PostgreSQL store can refresh,
  // and it is wired with the live clock (run, demo): backtests and experiments use in-memory stores.
  const store = adapters.timeseries;
  const historyRefresh =
    store.flavor === 'timescale' && store.refreshAggregates !== undefined
      ? createHistoryRefresh({ refresher: { refreshAggregates: store.refreshAggregates }, clock, log: log.child({ actor: 'aggregate-refresh' }) })
      : undefined;
  const recorder = createRecorder({ store, counters, log: log.child({ actor: 'recorder' }), ...(historyRefresh !== undefined ? { onWritten: historyRefresh.written } : {}) });
  const isKnown = knownAssets(cfg.assets);
  // Where operators are served (run, demo; not backtests): whether the engine is deciding a
  // backlog far behind its clock, taken as each event is decided. Observability only.
  const watched = opts.control !== false && adapters.audit !== undefined;
  let watch: CatchUpWatch | undefined;
  const observer: DecisionObserver | undefined = watched
    ? {
        ...opts.observer,
        event: (e, risk) => {
          opts.observer?.event?.(e, risk);
          watch?.decided(knownAt(e.md));
        },
      }
    : opts.observer;
  const decisions =
    opts.decisions !== false && adapters.registry !== undefined && adapters.riskStore !== undefined
      ? await startDecisions(
          {
            bus: adapters.bus,
            subjects,
            registry: adapters.registry,
            riskStore: adapters.riskStore,
            clock,
            log,
            // A sequence model's windows are rebuilt from the recent vectors after a restart, and
            // from the stored ones where those fall short (Redis restarted empty).
            features: adapters.features,
            timeseries: adapters.timeseries,
            ...(observer !== undefined ? { observer } : {}),
            ...(opts.inferenceThread !== undefined ? { thread: opts.inferenceThread } : {}),
            ...(opts.stages !== undefined ? { stages: opts.stages } : {}),
            ...(opts.counts !== undefined ? { counts: opts.counts } : {}),
            ...(opts.decideFrom !== undefined ? { decideFrom: opts.decideFrom } : {}),
            ...(opts.stopWaitMs !== undefined ? { stopWaitMs: opts.stopWaitMs } : {}),
            counters,
            registryInMemory: store.flavor === 'memory',
          },
          cfg,
        )
      : undefined;
  // The restored book's newest mark is the starting point: not something decided now.
  if (watched && decisions !== undefined) watch = createCatchUpWatch({ clock, thresholdMs: catchUpThresholdMs(cfg.strategy.timeframe), log: log.child({ component: 'catch-up' }), from: decisions.risk.status().asOf, replay: opts.replay === true });
  const timed = opts.stages === undefined ? undefined : timedAssetPorts(adapters.bus, opts.stages);
  const deps: AssetActorDeps = {
    bus: timed?.bus ?? adapters.bus,
    features: adapters.features,
    recorder,
    clock,
    subjects,
    counters,
    log,
    ...(decisions !== undefined ? { decisions: decisions.sequencer } : {}),
    ...(timed !== undefined ? { probe: timed.probe } : {}),
  };
  const supervisor = startSupervisor(deps, {
    assets: cfg.assets,
    durableFor,
    actor: {
      stream: md.name,
      batchSize: cfg.consumer.batchSize,
      ackWaitMs: cfg.consumer.ackWaitMs,
      maxPayloadBytes: cfg.validation.maxPayloadBytes,
      dedupWindow: cfg.validation.dedupWindow,
      outOfOrderToleranceMs: cfg.validation.outOfOrderToleranceMs,
      staleAfterMs: cfg.asset.staleAfterMs,
      ...(cfg.asset.checkpointMs !== undefined ? { checkpointMs: cfg.asset.checkpointMs } : {}),
      ...(opts.maxAheadMs !== undefined ? { maxAheadMs: opts.maxAheadMs } : {}),
      isKnown,
    },
    restartMinMs: cfg.supervisor.restartMinMs,
    restartMaxMs: cfg.supervisor.restartMaxMs,
    maxRestarts: cfg.supervisor.maxRestarts,
  });
  const labeling =
    opts.labeling !== false && decisions !== undefined && adapters.samples !== undefined
      ? await startLabelingActor({
          bus: adapters.bus,
          subjects,
          timeseries: adapters.timeseries,
          samples: adapters.samples,
          clock,
          log,
          strategy: cfg.strategy.name,
          timeframe: cfg.strategy.timeframe,
          spec: cfg.labeling,
          assets: cfg.assets,
          streams: { MD: streamName(cfg, 'MD'), SIGNALS: streamName(cfg, 'SIGNALS'), OUTCOMES: streamName(cfg, 'OUTCOMES') },
          batchSize: cfg.consumer.batchSize,
          ackWaitMs: cfg.consumer.ackWaitMs,
          fillPriceToleranceBps: cfg.validation.fillPriceToleranceBps,
          // Live consumers' fills only: the paper venue's, booked unchecked, are kept unchecked.
          ...(cfg.paperVenue.enabled ? {} : { marketFillBandBps: cfg.validation.marketFillBandBps }),
          maxPayloadBytes: cfg.validation.maxPayloadBytes,
        })
      : undefined;
  const { samples, registry } = adapters;
  // Supervised: a batch that fails (its store or bus failed mid-batch) stops the actor, and a new
  // one resumes from its last commit (cli/supervised-retraining.ts).
  const retraining =
    cfg.retraining.enabled && decisions !== undefined && samples !== undefined && registry !== undefined
      ? await superviseRetraining(
          () =>
            startRetrainingActor({
              bus: adapters.bus,
              subjects,
              samples,
              registry,
              clock: opts.retraining?.clock ?? clock,
              log,
              strategy: cfg.strategy.name,
              model: cfg.retraining.model ?? parseModelRef(cfg.strategy.model).name,
              config: cfg.retraining,
              streams: { OUTCOMES: streamName(cfg, 'OUTCOMES') },
              tracker: createRetrainingTracker(cfg.retraining.mlflow, log.child({ component: 'mlflow' })),
              ...(opts.trainingClock !== undefined ? { trainingClock: opts.trainingClock } : {}),
              ...(opts.retraining?.trainingThread !== undefined ? { trainingThread: opts.retraining.trainingThread } : {}),
            }),
          { log },
        )
      : undefined;
  let control: Subscription | undefined;
  let catchUpCheck: { stop(): void } | undefined;
  const catchUp = watch;
  if (opts.control !== false && adapters.audit !== undefined) {
    if (watch !== undefined) {
      // While catching up: are the asset actors' consumers through the backlog (nothing pending)?
      const durables = cfg.assets.map(durableFor);
      catchUpCheck = startCatchUpCheck({ watch, bus: adapters.bus, stream: md.name, durables, clock, intervalMs: CATCH_UP_CHECK_MS, log: log.child({ component: 'catch-up' }) });
    }
    const known = { symbols: [...new Set(cfg.assets.map((a) => a.symbol))], strategies: [cfg.strategy.name] };
    const served = { ref: cfg.strategy.model, timeframe: cfg.strategy.timeframe };
    const target = engineControlTarget({ supervisor, counters, decisions, registry: adapters.registry, known, retraining, labeling, served, catchUp, nats: opts.nats, feeds: opts.feeds });
    control = startControlServer({ bus: adapters.bus, subjects, target, audit: adapters.audit, clock, log, auditDeadlineMs: cfg.control.auditDeadlineMs });
  }
  // After a restart, an operator's change waiting for an asset's events is in force once that
  // asset's consumer has nothing left to deliver again (a rebuilt or purged stream that stays
  // quiet): not only when new market data or a command comes (cli/quiet-stream-check.ts).
  const durableOfKey = new Map(cfg.assets.map((a) => [assetActorKey(a), durableFor(a)]));
  const quietCheck =
    decisions === undefined
      ? undefined
      : startQuietStreamCheck({ path: decisions.path, bus: adapters.bus, stream: md.name, durableOf: (k) => durableOfKey.get(k), clock, intervalMs: QUIET_STREAM_CHECK_MS, log: log.child({ component: 'operator-changes' }) });
  return {
    supervisor,
    counters,
    decisions,
    labeling,
    retraining,
    catchUp,
    failed: () => decisions?.sequencer.failed() ?? new Promise<Error>(() => {}),
    failure: () => decisions?.sequencer.failure(),
    stop: async (o) => {
      catchUpCheck?.stop();
      quietCheck?.stop();
      control?.unsubscribe();
      // Nothing more comes: let held events through, so the actors' batches in hand can finish.
      const draining = decisions?.sequencer.close();
      await supervisor.stop();
      await draining;
      await decisions?.stop();
      await o?.beforeLabelingStops?.().catch((e: unknown) => log.warn({ err: e }, 'the wait before the labeling actor stops failed; stopping it'));
      // The input is over: no batch comes to release the items waiting for the recorder, whose
      // vectors and path bars may be stored by now (the recorder writes behind the asset actors).
      await recorder.drain();
      await labeling?.recheck().catch((e: unknown) => log.warn({ err: String(e) }, 'the labeling actor could not settle its waiting items at stop'));
      await labeling?.stop();
      await retraining?.stop();
      await recorder.drain();
      await historyRefresh?.flush();
    },
  };
}
