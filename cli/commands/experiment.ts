import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { findBarFiles, requireDataDir } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { mergeByTime } from '../../gateways/historical/merge-by-time.js';
import { replay } from '../../gateways/replay.js';
import { periodsPerYear } from '../../models/backtest/annualisation.js';
import { performanceMetrics } from '../../models/backtest/performance-metrics.js';
import type { PerformanceMetrics } from '../../models/backtest/performance-metrics.js';
import { closedTrades } from '../../models/backtest/portfolio.js';
import { ARMS, comparisonMarkdown, formatComparison, pooledScores, wins } from '../../models/experiments/comparison-table.js';
import type { Arm, ArmResult, WindowResult } from '../../models/experiments/comparison-table.js';
import { realisedLabels, scorePredictions } from '../../models/experiments/prediction-scores.js';
import type { LabelIndex, ScoredPrediction } from '../../models/experiments/prediction-scores.js';
import { retrainSchedule, trainingLeaks } from '../../models/experiments/retrain-schedule.js';
import type { RetrainPoint, TrainingRecord } from '../../models/experiments/retrain-schedule.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { parseModelRef } from '../../models/registry/model-registry.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import type { Bus } from '../../streams/bus.js';
import { TIMEFRAME_MS, TimeframeSchema } from '../../streams/messages/bar.js';
import type { Fill } from '../../streams/messages/fill.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import { PredictionSchema } from '../../streams/messages/prediction.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { startEngine } from '../engine.js';
import { REGIME_SYMBOLS, REGIME_WINDOWS } from './backtest-suite.js';
import type { RegimeWindow } from './backtest-suite.js';
import { loadSymbolBars } from './train.js';
import { backtestConfig } from './backtest.js';

const DAY = 86_400_000;
const YEAR = 365 * DAY;
/** The labels the served model is trained on and scored against (the demo's and the backtest's: 4 bars, ±0.5·ATR14). */
const HORIZON = 4;
const K_ATR = 0.5;

export type RetrainVsFrozenOptions = Readonly<{
  configFile?: string;
  data?: string;
  windows?: readonly RegimeWindow[];
  symbols?: readonly string[];
  timeframe?: string;
  /** Online arm: retrain every this many days of event time (default 14). */
  retrainEveryDays?: number;
  /** Between the end of a model's training data and the first bar it decides (default 24 h). */
  embargoHours?: number;
  /** Length of every training range (default 3 years, as the backtest's model). */
  trainYears?: number;
  /** MLP epochs per training (early stopping may end sooner; default 20, as the backtest's model). */
  epochs?: number;
  capital?: number;
  /** Folder for report.json and report.md. */
  reportDir?: string;
  progress?: boolean;
}>;

export type RetrainVsFrozenReport = Readonly<{
  version: 1;
  timeframe: string;
  settings: Readonly<{ retrainEveryDays: number; embargoHours: number; trainYears: number; epochs: number; horizonBars: number; kAtr: number; capital: number }>;
  windows: readonly WindowResult[];
  pooled: Readonly<Record<Arm, ReturnType<typeof pooledScores>>>;
  wins: ReturnType<typeof wins>;
  seconds: number;
}>;

type Window = Readonly<{ from: number; to: number }>;
type Retrain = (p: RetrainPoint) => Promise<void>;

/** The predictions the decision path published, as scored rows. */
async function publishedPredictions(bus: Bus, cfg: Config): Promise<ScoredPrediction[]> {
  const stream = streamName(cfg, 'SIGNALS');
  const filter = `${cfg.prefix}.pred.>`;
  const total = await bus.countMessages(stream, filter);
  const out: ScoredPrediction[] = [];
  const dec = new TextDecoder();
  const c = bus.consume({ stream, durable: 'experiment', filterSubject: filter, batchSize: 4096 }, (batch) => {
    for (const d of batch) {
      const p = PredictionSchema.parse(JSON.parse(dec.decode(d.data)));
      out.push({ symbol: p.symbol, ts: p.ts, probs: [p.probs.down, p.probs.flat, p.probs.up], model: `${p.model.name}@${p.model.version}` });
    }
  });
  while (out.length < total) await new Promise((r) => setTimeout(r, 5));
  await c.stop();
  return out;
}

/**
 * One arm over one window: the backtest's engine (asset actors, sequencer, strategy, execution,
 * risk, paper venue) on the in-memory bus with a simulated clock driven by event time, serving
 * `<model>@production` from `registry`. Before the first bar at or after each `points[i].at`
 * the replay pauses, the engine decides everything before it, `retrain` registers and promotes a
 * new model, and the strategy swaps to it — so every bar from `at` on is decided by that model.
 */
async function runArm(
  cfg: Config,
  o: Readonly<{ registry: ModelRegistry; files: readonly Readonly<{ path: string; symbol: string }>[]; tf: string; barMs: number; window: Window; capital: number; points: readonly RetrainPoint[]; retrain: Retrain }>,
): Promise<{ metrics: PerformanceMetrics; predictions: ScoredPrediction[] }> {
  const bus = createMemoryBus();
  await bus.ensureStreams(streamSpecs(cfg));
  const clock = createSimulatedClock(o.window.from);
  const samples = new Map<number, { equity: number; exposure: number }>();
  const fills: Fill[] = [];
  const engine = await startEngine(
    cfg,
    { bus, features: createMemoryFeatureStore({ historyCap: 2 }), timeseries: createMemoryTimeseriesStore(), registry: o.registry, riskStore: createMemoryRiskStore(), audit: createMemoryAuditStore() },
    clock,
    silentLogger,
    {
      control: false,
      inferenceThread: 'main',
      observer: {
        event: (e, risk) => {
          if (e.md.type !== 'md.bar' || e.md.tf !== o.tf) return;
          const held = risk.holdings();
          const equity = o.capital + held.equity;
          const gross = held.grossHeld;
          samples.set(e.md.ts + o.barMs, { equity, exposure: equity > 0 ? gross / equity : 0 });
        },
        fill: (f) => void fills.push(f),
      },
    },
  );
  const decisions = engine.decisions;
  if (decisions === undefined) throw new Error(`the registry serves no ${cfg.strategy.model}`);
  let yielded = 0;
  async function* timed(): AsyncGenerator<MarketData> {
    let next = 0;
    const sources = o.files.map((f) => readBars(f.path, { venue: cfg.venue, symbol: f.symbol, tf: o.tf, from: o.window.from, to: o.window.to }));
    for await (const md of mergeByTime(...sources)) {
      for (let p = o.points[next]; p !== undefined && md.ts >= p.at; p = o.points[++next]) {
        // Everything before the retrain point is decided by the model before it.
        while (engine.counters.messagesIn < yielded) await new Promise((r) => setTimeout(r, 2));
        await decisions?.sequencer.flush();
        await o.retrain(p);
        await decisions?.swapTo(cfg.strategy.model);
      }
      clock.advanceTo(md.ts);
      yielded++;
      yield md;
    }
  }
  const published = await replay({ bus, subjects: subjectsFor(cfg.prefix), source: timed() });
  while (engine.counters.messagesIn < published.published) await new Promise((r) => setTimeout(r, 20));
  await engine.stop();
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
  return { metrics, predictions };
}

/**
 * Has the symbol bars in the window's first week, and history before it to train on: a year, or
 * the whole training range when that is shorter (`--train-years 0.25` on 5m bars, whose files
 * cover months, not years)?
 */
async function coverage(dataDir: string, symbol: string, tf: string, w: Window, trainMs: number): Promise<string | undefined> {
  const need = Math.min(YEAR, trainMs);
  const [s] = await loadSymbolBars(dataDir, [symbol], tf, { from: w.from - need - 7 * DAY, to: w.from + 7 * DAY });
  const bars = s?.bars ?? [];
  if (!bars.some((b) => b.ts >= w.from)) return 'no data at the start of the window';
  const first = bars[0]?.ts;
  if (first === undefined || w.from - first < need) return need === YEAR ? 'less than a year of history before the window to train on' : `less than the ${(need / DAY).toFixed(0)}-day training range of history before the window`;
  return undefined;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * `sextant experiment retrain-vs-frozen`: per regime window, two arms through the same backtest
 * engine and costs — a model trained once before the window (frozen) and one retrained through
 * the training pipeline every `retrainEveryDays` of event time inside it (online), each training
 * reading only bars that closed by its point − embargo. Scores every prediction against its
 * realised direction (the training labels' rules) and compares the backtest metrics.
 */
export async function runRetrainVsFrozen(opts: RetrainVsFrozenOptions): Promise<RetrainVsFrozenReport> {
  const started = performance.now();
  const tf = TimeframeSchema.parse(opts.timeframe ?? '1h');
  const barMs = TIMEFRAME_MS[tf];
  const base = loadConfig({ file: opts.configFile });
  const dataDir = requireDataDir(opts.data ?? base.data.dir);
  const settings = {
    retrainEveryDays: opts.retrainEveryDays ?? 14,
    embargoHours: opts.embargoHours ?? 24,
    trainYears: opts.trainYears ?? 3,
    epochs: opts.epochs ?? 20,
    horizonBars: HORIZON,
    kAtr: K_ATR,
    capital: opts.capital ?? 10_000,
  };
  const embargoMs = settings.embargoHours * 3_600_000;
  const note = (s: string): void => void (opts.progress === true && process.stderr.write(`${s}\n`));
  const served = parseModelRef(base.strategy.model);
  const results: WindowResult[] = [];

  for (const w of opts.windows ?? REGIME_WINDOWS) {
    const skipped: { symbol: string; why: string }[] = [];
    const symbols: string[] = [];
    for (const symbol of opts.symbols ?? REGIME_SYMBOLS) {
      const has = findBarFiles(dataDir, { symbols: [symbol], timeframe: tf }).length > 0;
      const why = has ? await coverage(dataDir, symbol, tf, w, settings.trainYears * YEAR) : `no ${tf} file`;
      if (why === undefined) symbols.push(symbol);
      else skipped.push({ symbol, why });
    }
    const head = { window: w.name, from: iso(w.from), to: iso(w.to), symbols, skipped };
    if (symbols.length === 0) {
      results.push({ ...head, arms: {}, error: 'no symbol has data for this window' });
      continue;
    }
    try {
      // The backtest's wiring: own namespace, every symbol allowed, the strategy on the replayed
      // timeframe, and timers that never come due inside a window (this command had its own copy
      // with 2^31 − 1 ms, 24.8 days of event time, which marked assets idle in longer windows).
      const cfg = backtestConfig(base, symbols, { timeframe: tf });
      const files = findBarFiles(dataDir, { symbols, timeframe: tf }).map((f) => ({ path: f.path, symbol: f.symbol }));
      // One registry per window, on its own bus: both arms serve from it; the strategy swaps by swapTo.
      const regBus = createMemoryBus();
      await regBus.ensureStreams(streamSpecs(cfg));
      const regClock = createSimulatedClock(w.from);
      const registry = createMemoryModelRegistry({ bus: regBus, subjects: subjectsFor(cfg.prefix), clock: regClock });
      const schedule = (everyMs?: number): RetrainPoint[] => retrainSchedule({ from: w.from, to: w.to, embargoMs, trainMs: settings.trainYears * YEAR, ...(everyMs !== undefined ? { everyMs } : {}) });

      const train = async (p: RetrainPoint): Promise<TrainingRecord> => {
        regClock.advanceTo(Math.max(regClock.now(), p.at));
        const t0 = performance.now();
        const bars = await loadSymbolBars(dataDir, symbols, tf, { from: p.trainFrom, to: p.trainTo });
        // A loop, not Math.min(...all): a spread of ~100 k timestamps (5m bars) overflows the stack.
        let firstBarTs = Number.POSITIVE_INFINITY;
        let lastBarTs = Number.NEGATIVE_INFINITY;
        let barCount = 0;
        for (const s of bars) {
          for (const b of s.bars) {
            if (b.ts < firstBarTs) firstBarTs = b.ts;
            if (b.ts > lastBarTs) lastBarTs = b.ts;
          }
          barCount += s.bars.length;
        }
        const { trainBaseline } = await import('../../models/training/train-baseline.js'); // tfjs loads with it
        const report = await trainBaseline(bars, { source: dataDir, symbols, from: p.trainFrom, to: p.trainTo }, { name: served.name, timeframe: tf, barMs, horizon: HORIZON, kAtr: K_ATR, epochs: settings.epochs }, registry);
        await registry.promote(report.model.name, report.model.version, { actor: 'sextant experiment', reason: `retrain-vs-frozen, served from ${iso(p.at)}` });
        const rec: TrainingRecord = { at: p.at, trainFrom: p.trainFrom, trainTo: p.trainTo, firstBarTs, lastBarTs, bars: barCount, model: `${report.model.name}@${report.model.version}` };
        note(`  trained ${rec.model} for ${iso(p.at).slice(0, 10)} on ${rec.bars} bars ${iso(rec.firstBarTs).slice(0, 10)} → ${iso(rec.lastBarTs + barMs).slice(0, 16)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        return rec;
      };

      // The frozen model is also the online arm's first: the same training, done once.
      const [first] = schedule();
      if (first === undefined) throw new Error('empty schedule');
      note(`${w.name}: ${symbols.join(', ')}`);
      const firstRecord = await train(first);
      const firstVersion = Number(firstRecord.model.split('@')[1]);
      const labelBars = await loadSymbolBars(dataDir, symbols, tf, { from: w.from - 60 * DAY, to: w.to + (HORIZON + 1) * barMs });
      const labels: LabelIndex = realisedLabels(labelBars, { horizon: HORIZON, kAtr: K_ATR, barMs, from: w.from, to: w.to });

      const arms: Partial<Record<Arm, ArmResult>> = {};
      for (const arm of ARMS) {
        const t0 = performance.now();
        if ((await registry.get(`${served.name}@production`)).version !== firstVersion) {
          await registry.promote(served.name, firstVersion, { actor: 'sextant experiment', reason: `${arm} arm starts on the model trained before the window` });
        }
        const trainings: TrainingRecord[] = [firstRecord];
        const points = arm === 'frozen' ? [] : schedule(settings.retrainEveryDays * DAY).slice(1);
        const run = await runArm(cfg, {
          registry,
          files,
          tf,
          barMs,
          window: w,
          capital: settings.capital,
          points,
          retrain: async (p) => void trainings.push(await train(p)),
        });
        const leaks = trainingLeaks(trainings, barMs, embargoMs);
        if (leaks.length > 0) throw new Error(`leak: ${leaks.join('; ')}`);
        arms[arm] = { arm, scores: scorePredictions(run.predictions, labels), metrics: run.metrics, trainings, seconds: Math.round((performance.now() - t0) / 100) / 10 };
        const a = arms[arm];
        note(`  ${arm}: ${a.scores.scored} scored, log loss ${a.scores.logLoss?.toFixed(4) ?? '—'}, return ${(100 * a.metrics.total_return).toFixed(2)}% in ${a.seconds} s`);
      }
      await regBus.close();
      results.push({ ...head, arms, error: null });
    } catch (e) {
      results.push({ ...head, arms: {}, error: (e as Error).message });
    }
  }

  const report: RetrainVsFrozenReport = {
    version: 1,
    timeframe: tf,
    settings,
    windows: results,
    pooled: { frozen: pooledScores(results, 'frozen'), online: pooledScores(results, 'online') },
    wins: wins(results),
    seconds: Math.round((performance.now() - started) / 1000),
  };
  if (opts.reportDir !== undefined) {
    mkdirSync(opts.reportDir, { recursive: true });
    writeFileSync(join(opts.reportDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    const s = settings;
    const md = [
      `# Online-retrained vs frozen model (${tf})`,
      '',
      `Retrain every ${s.retrainEveryDays} days, embargo ${s.embargoHours} h, ${s.trainYears}-year training ranges, ${s.epochs} epochs; labels ${s.horizonBars} bars, ±${s.kAtr}·ATR14; capital ${s.capital}.`,
      '',
      comparisonMarkdown(results),
    ].join('\n');
    writeFileSync(join(opts.reportDir, 'report.md'), md);
  }
  return report;
}

const positive = (v: string): number => {
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError('a positive number');
  return n;
};

/** `regimes` (all five windows) or 1-based window numbers, e.g. `3,4`. */
function parseWindows(v: string): RegimeWindow[] {
  if (v === 'regimes') return [...REGIME_WINDOWS];
  return v.split(',').map((s) => {
    const w = REGIME_WINDOWS[Number(s.trim()) - 1];
    if (!/^\d+$/.test(s.trim()) || w === undefined) throw new InvalidArgumentError(`"regimes" or window numbers 1…${REGIME_WINDOWS.length}: ${REGIME_WINDOWS.map((x, i) => `${i + 1} ${x.name}`).join(', ')}`);
    return w;
  });
}

/** `sextant experiment …`: offline experiments over the historical data. */
export function experimentCommand(configFile: () => string | undefined): Command {
  const cmd = new Command('experiment').description('offline experiments over historical bars');
  cmd
    .command('retrain-vs-frozen')
    .description('per regime window: a model trained once before it vs one retrained inside it on a rolling schedule, through the same backtest engine; prints the table, writes report.json and report.md')
    .addOption(new Option('--windows <list>', '"regimes" (all five) or window numbers, e.g. 3,4').argParser(parseWindows).default([...REGIME_WINDOWS], 'regimes'))
    .addOption(
      new Option('--symbols <list>', 'comma-separated symbols (those without data in a window are left out)')
        .argParser((v: string) => v.split(',').map((x) => x.trim()).filter((x) => x.length > 0))
        .default([...REGIME_SYMBOLS], REGIME_SYMBOLS.join(',')),
    )
    .option('--timeframe <tf>', 'bar timeframe', '1h')
    .option('--retrain-every <days>', 'online arm: days of event time between retrainings', positive, 14)
    .option('--embargo <hours>', 'hours between a model\'s training data and the first bar it decides', (v: string) => {
      const n = Number(v);
      if (!(n >= 0)) throw new InvalidArgumentError('hours >= 0');
      return n;
    }, 24)
    .option('--train-years <years>', 'length of every training range', positive, 3)
    .option('--epochs <n>', 'MLP epochs per training', (v: string) => Math.round(positive(v)), 20)
    .option('--capital <amount>', 'starting capital in quote currency', positive, 10_000)
    .option('--data <dir>', 'market-data folder (default: ../shared/data or SEXTANT_DATA_DIR)')
    .option('--report <dir>', 'folder for report.json and report.md')
    .action(async (o: { windows: RegimeWindow[]; symbols: string[]; timeframe: string; retrainEvery: number; embargo: number; trainYears: number; epochs: number; capital: number; data?: string; report?: string }) => {
      const file = configFile();
      const r = await runRetrainVsFrozen({
        ...(file !== undefined ? { configFile: file } : {}),
        ...(o.data !== undefined ? { data: o.data } : {}),
        ...(o.report !== undefined ? { reportDir: o.report } : {}),
        windows: o.windows,
        symbols: o.symbols,
        timeframe: o.timeframe,
        retrainEveryDays: o.retrainEvery,
        embargoHours: o.embargo,
        trainYears: o.trainYears,
        epochs: o.epochs,
        capital: o.capital,
        progress: true,
      });
      process.stdout.write(`${formatComparison(r.windows)}\n`);
    });
  return cmd;
}
