import type { Config } from '../../config/schema.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { mergeByTime } from '../../gateways/historical/merge-by-time.js';
import { replay } from '../../gateways/replay.js';
import { periodsPerYear } from '../../models/backtest/annualisation.js';
import { performanceMetrics } from '../../models/backtest/performance-metrics.js';
import type { PerformanceMetrics } from '../../models/backtest/performance-metrics.js';
import { closedTrades } from '../../models/backtest/portfolio.js';
import type { ScoredPrediction } from '../../models/experiments/prediction-scores.js';
import type { RetrainPoint } from '../../models/experiments/retrain-schedule.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import type { RetrainingCounters } from '../../models/retraining/retraining-snapshot.js';
import type { RiskOverWindow } from '../../models/risk/risk-over-window.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { createMemoryTrainingSampleStore } from '../../state/memory-training-sample-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import type { Bus } from '../../streams/bus.js';
import type { Fill } from '../../streams/messages/fill.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import { PredictionSchema } from '../../streams/messages/prediction.js';
import type { Prediction } from '../../streams/messages/prediction.js';
import { decodeInput } from '../../models/execution/decode-input.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { startEngine } from '../engine.js';
import { settleLearningLoop } from './learning-loop-gate.js';
import { throwIfFailed } from './backtest-end-of-data.js';
import { logRiskStates } from './backtest-risk.js';
import type { ActorStatus } from '../../actors/supervisor.js';
import { capitalWarning, orderLifeOf, refusedSymbolWarnings, ruinWarning, unfilledWarning } from './backtest-warnings.js';
import { dataEdgeWarnings } from './backtest-data-edges.js';
import { symbolsWithoutBars } from './backtest.js';

/** A model the arm served, and the event time of the first bar it decided. */
export type ServedModel = Readonly<{ at: number; model: string }>;

export type ArmRun = Readonly<{
  metrics: PerformanceMetrics;
  predictions: ScoredPrediction[];
  /** Every model served, in order (the first from the window's start). */
  served: readonly ServedModel[];
  /** The retraining actor's counters at the end (learning-loop arm only). */
  retraining?: RetrainingCounters;
  /** The risk actor's trading-state changes over the window, in order, and its state at the end. */
  risk: RiskOverWindow;
  /**
   * What a single backtest of the arm's window would warn of, in its order: the capital against
   * the positions, the data's venue not the config's, each symbol risk never let trade, none of the orders filled (naming why), the
   * strategy's ruin, then data starting or ending inside the window.
   */
  warnings: readonly string[];
}>;

export type ArmOptions = Readonly<{
  registry: ModelRegistry;
  files: readonly Readonly<{ path: string; symbol: string }>[];
  tf: string;
  barMs: number;
  window: Readonly<{ from: number; to: number }>;
  capital: number;
  /** Scheduled retrainings (the pipeline arm): before the first bar at or after each `at`, `retrain` registers and promotes a model. */
  points: readonly RetrainPoint[];
  retrain: (p: RetrainPoint) => Promise<void>;
  /**
   * The learning-loop arm: the engine also runs the labeling and retraining actors (`cfg.retraining`
   * must be enabled) on an in-memory sample store, and before each new bar time the replay waits
   * for the loop to settle (learning-loop-gate.ts), so each promotion is served from the next bar.
   */
  learningLoop?: boolean;
  /**
   * Called as the replay's event time moves on (before the bars of each new time are published;
   * with `learningLoop`, after the loop settled on the bars before them): what the loop changed
   * in the registry meanwhile happened at the previous time.
   */
  onEventTime?: (ts: number) => void;
  /** The data's venue is not the config's (backtest-venue.ts): said in the arm's warnings where a backtest's report says it. */
  venueWarning?: string;
}>;

const PRED_ONLY = { pred: PredictionSchema } as const;

/** The predictions the decision path published, as scored rows. */
async function publishedPredictions(bus: Bus, cfg: Config): Promise<ScoredPrediction[]> {
  const stream = streamName(cfg, 'SIGNALS');
  const filter = `${cfg.prefix}.pred.>`;
  const total = await bus.countMessages(stream, filter);
  const out: ScoredPrediction[] = [];
  const refused: string[] = [];
  const c = bus.consume({ stream, durable: 'experiment', filterSubject: filter, batchSize: 4096 }, (batch) => {
    for (const d of batch) {
      const p = decodeInput<Prediction>(d.data, PRED_ONLY);
      if (!p.ok) {
        refused.push(`${d.subject} #${d.streamSeq}: ${p.reason} ${p.detail}`);
        continue;
      }
      const m = p.msg;
      out.push({ symbol: m.symbol, ts: m.ts, probs: [m.probs.down, m.probs.flat, m.probs.up], model: `${m.model.name}@${m.model.version}` });
    }
  });
  while (out.length + refused.length < total) await new Promise((r) => setTimeout(r, 5));
  await c.stop();
  // Scoring an arm on part of its predictions would be a different experiment: the run fails, saying which.
  if (refused.length > 0) throw new Error(`${refused.length} of the ${total} predictions the decision path published fail their schema, e.g. ${refused[0]}`);
  return out;
}

/**
 * Polls until `done`; throws {@link ActorFailedError} once an asset actor of `engine` has failed
 * (a backtest's engine does not restart one), which `done` would otherwise wait for for ever.
 */
const waitFor = async (engine: Readonly<{ supervisor: Readonly<{ status(): readonly ActorStatus[] }> }>, done: () => boolean, ms = 2): Promise<void> => {
  while (!done()) {
    throwIfFailed(engine.supervisor.status());
    await new Promise((r) => setTimeout(r, ms));
  }
};

/**
 * One arm over one window: the backtest's engine (asset actors, sequencer, strategy, execution,
 * risk, paper venue) on the in-memory bus with a simulated clock driven by event time, serving
 * `<model>@production` from `o.registry`. Before the first bar at or after each `o.points[i].at`
 * the replay pauses, the engine decides everything before it, `o.retrain` registers and promotes a
 * new model, and the strategy swaps to it — so every bar from `at` on is decided by that model.
 * With `o.learningLoop`, the engine's own labeling and retraining actors change the model instead.
 */
export async function runArm(cfg: Config, o: ArmOptions): Promise<ArmRun> {
  if (o.learningLoop === true && !cfg.retraining.enabled) throw new Error('the learning-loop arm needs retraining.enabled');
  const bus = createMemoryBus();
  await bus.ensureStreams(streamSpecs(cfg));
  const clock = createSimulatedClock(o.window.from);
  const loopClock = createSimulatedClock(o.window.from);
  const samples = new Map<number, { equity: number; exposure: number }>();
  const fills: Fill[] = [];
  // The orders' life, for the none-filled warning: over the served model's horizon, as a backtest's.
  const life = orderLifeOf(cfg, o.barMs, (await o.registry.get(cfg.strategy.model)).calibration.horizonMs);
  // Each symbol's first and last bar in the window: its first close sizes the capital warning, both find data that starts or ends inside the window.
  const firstBar = new Map<string, Readonly<{ ts: number; close: number }>>();
  const lastBar = new Map<string, number>();
  // The risk actor announces its trading-state changes (core NATS) as it makes them.
  const riskLog = logRiskStates(bus, subjectsFor(cfg.prefix).riskState());
  const engine = await startEngine(
    cfg,
    {
      bus,
      features: createMemoryFeatureStore({ historyCap: 2 }),
      timeseries: createMemoryTimeseriesStore(),
      registry: o.registry,
      riskStore: createMemoryRiskStore(),
      audit: createMemoryAuditStore(),
      ...(o.learningLoop === true ? { samples: createMemoryTrainingSampleStore() } : {}),
    },
    clock,
    silentLogger,
    {
      control: false,
      inferenceThread: 'main',
      labeling: o.learningLoop === true,
      // Fits on the main thread: the replay waits for each anyway, and a worker adds only its start-up.
      ...(o.learningLoop === true ? { retraining: { clock: loopClock, trainingThread: 'main' as const } } : {}),
      observer: {
        event: (e, risk) => {
          if (e.md.type !== 'md.bar' || e.md.tf !== o.tf) return;
          const held = risk.holdings();
          const equity = o.capital + held.equity;
          samples.set(e.md.ts + o.barMs, { equity, exposure: equity > 0 ? held.grossHeld / equity : 0 });
        },
        fill: (f) => void fills.push(f),
      },
    },
  );
  const decisions = engine.decisions;
  if (decisions === undefined) throw new Error(`the registry serves no ${cfg.strategy.model}`);
  const first = decisions.model();
  const served: ServedModel[] = [{ at: o.window.from, model: `${first.name}@${first.version}` }];
  let yielded = 0;
  let lastTs = Number.NEGATIVE_INFINITY;
  async function* timed(): AsyncGenerator<MarketData> {
    let next = 0;
    const sources = o.files.map((f) => readBars(f.path, { venue: cfg.venue, symbol: f.symbol, tf: o.tf, from: o.window.from, to: o.window.to }));
    // Per symbol, the newest bar published: a bar not after it (two files of one symbol that
    // overlap) would be stored once by the stream's duplicate window (or refused by the tick gate)
    // while the waits below count it, so it is not published at all.
    const newest = new Map<string, number>();
    for await (const md of mergeByTime(...sources)) {
      if (md.ts <= (newest.get(md.symbol) ?? Number.NEGATIVE_INFINITY)) continue;
      newest.set(md.symbol, md.ts);
      if (md.type === 'md.bar') {
        if (!firstBar.has(md.symbol)) firstBar.set(md.symbol, { ts: md.ts, close: md.close });
        lastBar.set(md.symbol, md.ts);
      }
      for (let p = o.points[next]; p !== undefined && md.ts >= p.at; p = o.points[++next]) {
        // Everything before the retrain point is decided by the model before it.
        await waitFor(engine, () => engine.counters.messagesIn >= yielded);
        await decisions?.sequencer.flush();
        await o.retrain(p);
        const m = await decisions?.swapTo(cfg.strategy.model);
        if (m !== undefined) served.push({ at: md.ts, model: `${m.name}@${m.version}` });
      }
      if (o.learningLoop === true && md.ts > lastTs && yielded > 0) {
        await waitFor(engine, () => engine.counters.messagesIn >= yielded, 1);
        const m = await settleLearningLoop(engine, bus, loopClock, cfg.strategy.model);
        if (m !== served[served.length - 1]?.model) served.push({ at: md.ts, model: m });
      }
      lastTs = md.ts;
      clock.advanceTo(md.ts);
      loopClock.advanceTo(md.ts);
      o.onEventTime?.(md.ts);
      yielded++;
      yield md;
    }
  }
  const published = await replay({ bus, subjects: subjectsFor(cfg.prefix), source: timed() });
  await waitFor(engine, () => engine.counters.messagesIn >= published.published, 20);
  if (o.learningLoop === true) await settleLearningLoop(engine, bus, loopClock, cfg.strategy.model);
  const retraining = engine.retraining?.status().counters;
  const finalState = decisions.risk.status().state;
  await engine.stop();
  const stats = decisions.path.stats();
  riskLog.close();
  const predictions = await publishedPredictions(bus, cfg);
  await bus.close();

  const points = [...samples.entries()].sort((a, b) => a[0] - b[0]);
  if (points.length < 2) throw new Error(`the window has fewer than two ${o.tf} bars`);
  const metrics = performanceMetrics({
    startTs: o.window.from,
    startingCapital: o.capital,
    equity: points.map(([ts, p]) => ({ ts, equity: p.equity })),
    grossExposure: points.map(([, p]) => p.exposure),
    trades: closedTrades(fills),
    feesPaid: fills.reduce((s, f) => s + f.fee, 0),
    tradedNotional: fills.reduce((s, f) => s + f.qty * f.price, 0),
    periodsPerYear: periodsPerYear(o.barMs),
  });
  const closes = Object.fromEntries([...firstBar].map(([symbol, b]) => [symbol, b.close]));
  // Only each symbol's first and last bar tell where its data starts and ends in the window.
  const edges = [...firstBar].flatMap(([symbol, b]) => [{ symbol, ts: b.ts }, { symbol, ts: lastBar.get(symbol) as number }]);
  const without = (symbols: readonly string[], from: number, to: number): Promise<readonly string[]> =>
    symbolsWithoutBars(o.files.filter((f) => symbols.includes(f.symbol)), { venue: cfg.venue, tf: o.tf, from, to });
  const warnings = [
    ...[capitalWarning(o.capital, cfg.strategy, closes), o.venueWarning].filter((w) => w !== undefined),
    ...refusedSymbolWarnings(stats.bySymbol, cfg.risk.limits),
    ...[unfilledWarning(stats, cfg.paperVenue, life), ruinWarning('strategy', metrics)].filter((w) => w !== undefined),
    ...(await dataEdgeWarnings(edges, { ...o.window, barMs: o.barMs, tf: o.tf }, without)),
  ];
  return { metrics, predictions, served, ...(retraining !== undefined ? { retraining } : {}), risk: { transitions: riskLog.transitions(), finalState }, warnings };
}
