import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { backtestCurrency } from './backtest-currency.js';
import { backtestProgress } from './backtest-progress.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { paperVenueOptions } from '../paper-venue-options.js';
import { dataRootOf, findBarFilesUnder, requireDataDir, venueOfBarFile } from '../../gateways/data-dir.js';
import { readBarBatches, readBars } from '../../gateways/historical/bars-csv.js';
import { mergeBatchesByTime } from '../../gateways/historical/merge-batches-by-time.js';
import type { Batches } from '../../gateways/historical/merge-batches-by-time.js';
import { riskSummary, writeBacktestReport } from '../../gateways/report/backtest-report.js';
import { checkReportDir } from '../../gateways/report/report-files.js';
import type { BacktestReport } from '../../gateways/report/backtest-report.js';
import { periodsPerYear } from '../../models/backtest/annualisation.js';
import { findGaps } from '../../models/backtest/data-gaps.js';
import { runBuyAndHold, runGrid } from '../../models/backtest/baselines.js';
import type { BaselineRunOptions } from '../../models/backtest/baselines.js';
import { performanceMetrics } from '../../models/backtest/performance-metrics.js';
import { closedTrades } from '../../models/backtest/portfolio.js';
import type { ClosedTrade } from '../../models/backtest/trade-stats.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import { ModelNotFoundError, parseModelRef } from '../../models/registry/model-registry.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { openPgRegistry } from '../registry.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import type { Clock } from '../../state/clock.js';
import { silentLogger } from '../../state/logger.js';
import { createLogger } from '../logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createCountingHistory } from './backtest-history.js';
import { createPgTimeseriesStore } from '../../state/pg-timeseries-store.js';
import type { TimeseriesReader } from '../../state/timeseries-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import type { MemoryBus } from '../../streams/memory-bus.js';
import type { Bar } from '../../streams/messages/bar.js';
import { TIMEFRAME_MS, TimeframeSchema } from '../../streams/messages/bar.js';
import type { Timeframe } from '../../streams/messages/bar.js';
import type { Fill } from '../../streams/messages/fill.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import type { Bus } from '../../streams/bus.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { startEngine } from '../engine.js';
import { FEATURE_WARMUP_BARS } from '../../models/features/feature-engine.js';
import { positionsOf } from '../../models/backtest/positions.js';
import { endOfData, replayHooks } from './backtest-end-of-data.js';
import { feedInProcess } from './backtest-feed.js';
import { logRiskStates } from './backtest-risk.js';
import { reportModel } from './backtest-model.js';
import { capitalWarning, inSampleWarning, orderLifeOf, refusedSymbolWarnings, ruinWarning, unfilledWarning, warnOrderLife, windowDataWarning } from './backtest-warnings.js';
import { unreadDataWarnings } from './unread-data-warnings.js';
import { DEFAULT_HORIZON_BARS } from '../../models/training/label-horizon.js';
import { storeBarSource, trainFromStore } from './backtest-source.js';
import { checkTickFiles, tickSources } from './backtest-ticks.js';
import { backtestVenue } from './backtest-venue.js';
import { venueOfTickFile } from '../../gateways/historical/tick-file-venue.js';
import { spreadModelOf } from './backtest-spec.js';
import type { BacktestCosts, BacktestSpec, TickFile } from './backtest-spec.js';
import { ensureDemoModel } from './demo-model.js';
import { trainingCacheOf } from '../training-cache-of.js';
import { checkBarFile } from './backtest-bar-file.js';
import { missingBarFilesMessage } from './missing-bar-files.js';
import { dataEdgeWarnings } from './backtest-data-edges.js';
import { emptyWindow, repeatedIn } from '../option-parsers.js';

export type BacktestOptions = Readonly<{
  configFile?: string;
  data?: string;
  symbols: readonly string[];
  timeframe: string;
  from: number;
  to: number;
  report: string;
  capital: number;
  retrain?: boolean;
  /**
   * Progress (a bar with events/s, and notes) on stderr, or on the stream given. Redrawn in place on
   * a terminal; elsewhere (a log file, CI) a line every 5 s and one at the end.
   */
  progress?: boolean | NodeJS.WritableStream;
  /** Receives every message the decision path published (SIGNALS stream, in order): `subject payload`. */
  onSignals?: (messages: readonly string[]) => void;
  /** Time between the end of the model's training data and the window (walk-forward embargo); default 0. */
  embargoMs?: number;
  /**
   * Bars before `from` replayed first to warm the features (nothing is decided on them, and the
   * baselines and metrics start at `from`); default {@link FEATURE_WARMUP_BARS}, 0 to start cold.
   */
  warmupBars?: number;
  /** Receives the strategy's equity curve (one point per bar close) and its closed trades. */
  onEquity?: (equity: readonly Readonly<{ ts: number; equity: number; exposure: number }>[], trades: readonly ClosedTrade[], fills: readonly Fill[]) => void;
  /** The window's bars and the costs the baselines trade them with (walk-forward runs its baselines over all its segments with them). */
  onBaselineInputs?: (bars: readonly Bar[], opts: Omit<BaselineRunOptions, 'capital'>) => void;
  /**
   * Trades and bookTicker quotes (CSV files, `--ticks`) replayed beside the bars of their symbol, in
   * event time. A bar keeps its open time, so it is replayed before the ticks inside it (as the
   * bars-only replay orders it); an order decided on it arrives at its close, so those ticks never
   * fill it. Ticks move the microstructure features, fill orders working when they come, and a
   * quote's spread stands for the trades and bars after it (`paperVenue.quoteMaxAgeMs`).
   * CSV bars only (`source: 'csv'`).
   */
  ticks?: readonly TickFile[];
  /** Where the bars come from: CSV files (`data`, default) or the TimeseriesStore (`pg`). */
  source?: 'csv' | 'pg';
  /** `pg` source: the store to read (default: PostgreSQL of the config, `postgres.url`/`schema`). */
  timeseries?: TimeseriesReader;
  /** `pg` source: bars per query of its paged reads (default `DEFAULT_PAGE_ROWS`). */
  pageSize?: number;
  /** Venue id the bars belong to (default: the data's, else config `venue`; see backtest-venue.ts). */
  venue?: string;
  /** Strategy name and served model ref over the config's `strategy`. */
  strategy?: BacktestSpec['strategy'];
  /** Paper-venue costs over the config's `paperVenue` (see backtest-spec.ts). */
  costs?: BacktestCosts;
  /**
   * Serve the configured model (`strategy.model`) from this registry instead of training one on
   * the years before the window: compare a backtest with a live run of the same model.
   */
  registry?: ModelRegistry;
  /**
   * Receives every warning the backtest gives once it has run: its report's `warnings`, then the
   * lines on data that starts or ends inside the window, which a single backtest says on stderr
   * only (report.json lists the missing bars as a gap). A walk-forward and a suite run their
   * backtests with no progress stream and say these themselves, for each segment or window.
   */
  onWarnings?: (warnings: readonly string[]) => void;
  /**
   * Serve this registered model (`name`, `name@version` or `name@alias`) instead of training one:
   * from `registry` when given, else from the configured model registry (PostgreSQL tables and
   * `models.artifactDir`, where `sextant train` registers).
   */
  model?: string;
}>;

/** The paper venue's settings: the config's, with the backtest's costs (fees, spread model, impact, volume share, latency) over them. */
function venueSettings(base: Config, costs: BacktestCosts | undefined): Config['paperVenue'] {
  const { spread: _spread, latencyMs, ...plain } = costs ?? {};
  const spreadModel = spreadModelOf(costs);
  return { ...base.paperVenue, ...plain, ...(latencyMs !== undefined ? { latencyMs } : {}), ...(spreadModel !== undefined ? { spreadModel } : {}) };
}

/** A timer span no backtest window reaches (about 31,700 years of event time). */
const NEVER_MS = 1e15;

/** The backtest's own namespace: the same engine, in-memory adapters, the configured costs. */
export function backtestConfig(base: Config, symbols: readonly string[], opts: Partial<Pick<BacktestOptions, 'venue' | 'strategy' | 'costs' | 'timeframe' | 'capital'>> = {}): Config {
  const venue = opts.venue ?? base.venue;
  // The strategy scores the bars the backtest replays (a 5m backtest with the config's 1h
  // strategy decided nothing at all).
  const timeframe = opts.timeframe === undefined ? base.strategy.timeframe : TimeframeSchema.parse(opts.timeframe);
  return {
    ...base,
    venue,
    prefix: 'sxbt',
    streamNamePrefix: 'BT_',
    assets: symbols.map((symbol) => ({ venue, symbol })),
    strategy: { ...base.strategy, timeframe, ...opts.strategy },
    paperVenue: venueSettings(base, opts.costs),
    // The run's capital is the account's (`--capital`): the report's equity is capital + the
    // book's PnL, and `sizing: equity` sizes on the same sum.
    risk: { ...base.risk, account: 'backtest', limits: { ...base.risk.limits, allowlist: [...symbols] }, ...(opts.capital !== undefined ? { capital: opts.capital } : {}) },
    // Larger batches than live: nothing waits for a round trip here, and per-batch work (the
    // actor snapshot, the sequencer hand-over, the commit) is paid once per 4,096 events. The
    // decisions do not depend on batch boundaries (the sequencer orders by event time).
    consumer: { ...base.consumer, batchSize: Math.max(base.consumer.batchSize, 4096) },
    // Every asset is fed from one time-ordered replay: the sequencer needs no idle marks (an asset
    // whose data ends early is released by backtest-end-of-data.ts, and the shutdown releases the
    // rest). The simulated clock runs ahead of the actors (it follows the feed, which publishes
    // before they decide), so these timers must never come due inside a window: 2^31-1 ms was
    // only 24.8 days of event time, and a longer window marked every asset idle and released
    // events out of order (found by test/backtest/parity.test.ts).
    decision: { idleFlushMs: NEVER_MS },
    asset: { staleAfterMs: NEVER_MS },
    // A failed asset actor is not restarted: on the same input it would fail the same way, and its
    // restart waits on the simulated clock, which stops with the replay (the run waited for ever).
    // The replay stops with the actor's error instead (backtest-end-of-data.ts, replayHooks).
    supervisor: { ...base.supervisor, maxRestarts: 0 },
  };
}

/** Every message of a stream of the in-memory bus, in order, as `subject payload`. */
async function readStream(bus: Bus, stream: string, filter: string): Promise<string[]> {
  const total = await bus.countMessages(stream);
  const out: string[] = [];
  const dec = new TextDecoder();
  const c = bus.consume({ stream, durable: 'report', filterSubject: filter, batchSize: 4096 }, (batch) => {
    for (const d of batch) out.push(`${d.subject} ${dec.decode(d.data)}`);
  });
  while (out.length < total) await new Promise((r) => setTimeout(r, 5));
  await c.stop();
  return out;
}

/** Each symbol's first close among `bars` (in time order). */
function firstCloses(bars: readonly Bar[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const b of bars) if (!(b.symbol in out)) out[b.symbol] = b.close;
  return out;
}

/** `--data` as bar files: a folder (searched by symbol and timeframe) or one CSV file for one symbol. */
export async function barFiles(data: string, symbols: readonly string[], timeframe: Timeframe): Promise<{ path: string; symbol: string; venue: string }[]> {
  if (statSync(data).isFile()) {
    // The CLI names where the symbols came from first (resolveBacktestInputs); this is for other callers.
    if (symbols.length !== 1) throw new InvalidArgumentError(`${basename(data)} is one bar file (one symbol), but ${symbols.length} symbols were given (${symbols.join(', ')}): give one, or a data folder`);
    await checkBarFile(data, symbols[0] as string, timeframe);
    return [{ path: data, symbol: symbols[0] as string, venue: venueOfBarFile(data) }];
  }
  const files = findBarFilesUnder(data, { symbols, timeframe });
  const missing = symbols.filter((s) => !files.some((f) => f.symbol === s));
  if (missing.length > 0) {
    const held = findBarFilesUnder(data, { timeframe }).map((f) => f.symbol);
    throw new InvalidArgumentError(missingBarFilesMessage(data, missing, timeframe, held));
  }
  return files.map((f) => ({ path: f.path, symbol: f.symbol, venue: f.venue }));
}

/**
 * A backtest's in-memory bus: the duplicate window on event time, market data dropped once the
 * asset actors acknowledged it, and the decision outputs (SIGNALS) not kept unless something
 * reads them after the run (`keepSignals`: the parity and determinism checks do).
 */
export function backtestBus(cfg: Config, clock: Clock, o: Readonly<{ keepSignals: boolean }>): MemoryBus {
  return createMemoryBus({ now: () => clock.now(), trimAcked: [streamName(cfg, 'MD')], ...(o.keepSignals ? {} : { discardUnread: [streamName(cfg, 'SIGNALS')] }) });
}

/** Where a backtest over `data` (a CSV file or folder) trains its model: the data folder it is or lies in, else the configured one. */
export const trainingDirOf = (data: string, base: Config): string => (statSync(data).isFile() ? requireDataDir(base.data.dir) : (dataRootOf(data) ?? requireDataDir(base.data.dir)));

/**
 * `sextant backtest`: the live engine's actors (asset actors, sequencer, strategy, execution,
 * risk, paper venue) on the in-memory bus and stores with a simulated clock driven by event
 * time, over historical bars; the served model is trained on the years before the window. Writes
 * `<report>/report.json` (strategy metrics and `baselines.buy_and_hold`/`baselines.grid` on the
 * same data and costs) and a self-contained `<report>/report.html`. With `source: 'pg'` the bars
 * (window and training years) are read from the TimeseriesStore instead of CSV files.
 */
export async function runBacktest(opts: BacktestOptions): Promise<BacktestReport> {
  if (opts.model !== undefined) {
    const ref = opts.model;
    // The ref comes from --model or a spec's `model:`: the error names both.
    const named = `--model (or a spec's \`model:\`) ${ref}`;
    try {
      parseModelRef(ref);
    } catch (e) {
      throw new InvalidArgumentError(`${named}: ${(e as Error).message}; give name, name@version or name@alias`);
    }
    const served = { ...opts, strategy: { ...opts.strategy, model: ref } };
    if (opts.registry !== undefined) return runBacktest({ ...served, model: undefined });
    const registry = await openPgRegistry(loadConfig({ file: opts.configFile }));
    try {
      await registry.get(ref).catch((e: unknown) => {
        throw e instanceof ModelNotFoundError ? new InvalidArgumentError(`${named}: not in the model registry (${e.message}); \`sextant ctl model list\` lists what is`) : e;
      });
      return await runBacktest({ ...served, model: undefined, registry });
    } finally {
      await registry.close();
    }
  }
  if (opts.source !== 'pg' || opts.timeseries !== undefined) return runOn(opts);
  const pgCfg = loadConfig({ file: opts.configFile }).postgres;
  // On TimescaleDB a 1h window with only 1m bars stored is read from bars_1h: the log (stderr) says which.
  const store = await createPgTimeseriesStore({ url: pgCfg.url, schema: pgCfg.schema, poolSize: 2, log: createLogger('info').child({ component: 'history' }) });
  try {
    return await runOn({ ...opts, timeseries: store });
  } finally {
    await store.close();
  }
}

/** What a backtest refuses before it trains anything: an empty window, a symbol named twice. */
function checkWindow(opts: BacktestOptions): void {
  const empty = emptyWindow(opts.from, opts.to, ['from', 'to']);
  if (empty !== undefined) throw new InvalidArgumentError(empty);
  // Twice the same symbol trained the model on its bars twice and gave it two asset actors.
  const twice = repeatedIn(opts.symbols);
  if (twice.length > 0) throw new InvalidArgumentError(`symbols: ${twice.join(', ')} given more than once`);
}

/** The symbols of `files` with no bar in [from, to) (read up to each one's first bar there). */
export async function symbolsWithoutBars(files: readonly Readonly<{ path: string; symbol: string }>[], o: Readonly<{ venue: string; tf: string; from: number; to: number }>): Promise<string[]> {
  const found = new Set<string>();
  for (const f of files) {
    if (found.has(f.symbol)) continue;
    for await (const _ of readBars(f.path, { venue: o.venue, symbol: f.symbol, tf: o.tf, from: o.from, to: o.to })) {
      found.add(f.symbol);
      break;
    }
  }
  return [...new Set(files.map((f) => f.symbol))].filter((s) => !found.has(s));
}

/**
 * The symbols the CSV bars under `data` (a file or folder, as `--data` takes it) hold no `tf` bar
 * of in [from, to): what a backtest over that window would refuse before training.
 */
export async function symbolsWithoutBarsIn(data: string, o: Readonly<{ symbols: readonly string[]; tf: Timeframe; venue: string; from: number; to: number }>): Promise<string[]> {
  return symbolsWithoutBars(await barFiles(data, o.symbols, o.tf), { venue: o.venue, tf: o.tf, from: o.from, to: o.to });
}

async function runOn(opts: BacktestOptions): Promise<BacktestReport> {
  const started = performance.now();
  checkWindow(opts);
  checkReportDir(opts.report);
  const tf = TimeframeSchema.parse(opts.timeframe);
  const barMs = TIMEFRAME_MS[tf];
  // The metrics need two bar closes: a shorter window failed only after training and replaying.
  if (opts.to - opts.from < 2 * barMs) throw new InvalidArgumentError(`the window ${new Date(opts.from).toISOString()} → ${new Date(opts.to).toISOString()} is shorter than two ${tf} bars: give a longer one`);
  const base = loadConfig({ file: opts.configFile });
  const pgRows = opts.source === 'pg' && opts.timeseries !== undefined ? opts.timeseries : undefined;
  const data = pgRows !== undefined ? undefined : (opts.data ?? requireDataDir(base.data.dir));
  // A symbol with no bar files is refused first, with a did-you-mean for one spelt in another case.
  const files = data === undefined ? [] : await barFiles(data, opts.symbols, tf);
  // The one currency the report's money is in: symbols quoted in others are refused now, not after training.
  const currency = backtestCurrency(base.risk, opts.symbols);
  const ticks = opts.ticks ?? [];
  if (ticks.length > 0 && pgRows !== undefined) throw new InvalidArgumentError('--ticks replays trade and quote CSV files beside CSV bars; it does not apply to --source pg');
  checkTickFiles(ticks, opts.symbols);
  // The venue the bars' folders and the tick files' names say, against the spec's and the config's
  // `venue:` (Binance files ran as "kraken", and report.json said so).
  const dataVenues = data === undefined ? undefined : { data, bars: files.map((f) => f.venue), ticks: await Promise.all(ticks.map(async (t) => ({ path: t.path, venue: await venueOfTickFile(t.path) }))) };
  const ran = backtestVenue({ ...(opts.venue !== undefined ? { spec: opts.venue } : {}), config: base.venue, ...(dataVenues !== undefined ? { data: dataVenues } : {}) });
  const cfg = backtestConfig(base, opts.symbols, { ...opts, venue: ran.venue });
  const where = pgRows !== undefined ? `the TimeseriesStore (PostgreSQL schema ${cfg.postgres.schema})` : '';
  const stored = pgRows !== undefined ? storeBarSource(pgRows, { venue: cfg.venue, symbols: opts.symbols, tf, where, ...(opts.pageSize !== undefined ? { pageSize: opts.pageSize } : {}) }) : undefined;
  const trainingDir = data === undefined ? undefined : trainingDirOf(data, base);
  // Before the model is trained on the years before it: a window (not its warm-up bars before it)
  // the files or the store hold no bar of, refused the same way for both sources.
  const empty = stored !== undefined ? await stored.withoutBars(opts.from, opts.to) : await symbolsWithoutBars(files, { venue: cfg.venue, tf, from: opts.from, to: opts.to });
  // The store keeps bars by venue: a config's `venue: kraken` over binance rows finds none, and says so.
  const byVenue = `under venue ${cfg.venue} (${opts.venue !== undefined ? "the spec's" : "the config's"} \`venue:\`; the store keeps bars by venue: give the one they were stored under as \`venue:\` in the spec)`;
  if (empty.length > 0) throw new InvalidArgumentError(`no ${tf} bars of ${empty.join(', ')} in the window ${new Date(opts.from).toISOString()} → ${new Date(opts.to).toISOString()} ${stored !== undefined ? `in ${where} ${byVenue}` : `under ${data}`}`);

  // The window's first bar is decided warm: the bars before it (as many as the slowest feature
  // needs) are replayed first and only warm the actors (`decideFrom`).
  const warmupBars = opts.warmupBars ?? FEATURE_WARMUP_BARS;
  if (!(Number.isInteger(warmupBars) && warmupBars >= 0)) throw new RangeError(`warmupBars must be an integer >= 0, got ${warmupBars}`);
  const readFrom = opts.from - warmupBars * barMs;
  const clock = createSimulatedClock(readFrom);
  // The duplicate window runs on event time: the ids it holds stay bounded however long the window.
  const bus = backtestBus(cfg, clock, { keepSignals: opts.onSignals !== undefined });
  await bus.ensureStreams(streamSpecs(cfg));
  const subjects = subjectsFor(cfg.prefix);
  const registry = opts.registry ?? createMemoryModelRegistry({ bus, subjects, clock });
  const served = parseModelRef(cfg.strategy.model);
  const progressOut = opts.progress === true ? process.stderr : opts.progress === false ? undefined : opts.progress;
  const note = (s: string): void => void progressOut?.write(`${s}\n`);
  // A latency no order outlives: said now, before the model is trained and the window replayed,
  // naming both figures (after it, the run only sees that nothing filled). The horizon is the
  // served model's, or the one the model trained here will have. A walk-forward or suite serves
  // its segments' models with no progress stream: it says this itself, once (warnOrderLife).
  const registered = opts.registry !== undefined ? await opts.registry.get(cfg.strategy.model) : undefined;
  warnOrderLife(orderLifeOf(cfg, barMs, registered?.calibration.horizonMs ?? DEFAULT_HORIZON_BARS * barMs), note);
  // Files of the symbols that look like bars but are not read (mark candles, a 3m file) were left out without a word.
  // A walk-forward or suite runs its backtests with no progress stream: it says these itself, once.
  if (data !== undefined) for (const w of unreadDataWarnings(data, opts.symbols)) note(w);
  // Said once the training bars are read: the range they really span (the data may hold less than three years).
  const trainTo = opts.from - (opts.embargoMs ?? 0);
  const model =
    registered !== undefined
      ? registered
      : stored !== undefined
      ? await trainFromStore(registry, stored, { name: served.name, symbols: opts.symbols, tf, from: trainTo, where, onTraining: note, cache: await trainingCacheOf(cfg, note) })
      : (
          await ensureDemoModel(registry, {
            name: served.name,
            dataDir: trainingDir as string,
            symbols: opts.symbols,
            timeframe: tf,
            from: trainTo,
            retrain: true,
            onTraining: note,
            cache: await trainingCacheOf(cfg, note),
            hint: 'give a later --from (the data must hold bars before it) or serve a registered model with --model',
          })
        ).model;
  // What was trained is served as `production`: another version or alias named in strategy.model
  // would leave the engine without a model and the run without decisions.
  if (opts.registry === undefined && (await registry.get(cfg.strategy.model).catch(() => undefined)) === undefined) {
    throw new InvalidArgumentError(`strategy.model ${cfg.strategy.model}: a backtest trains its own model and serves it as ${served.name}@production; to backtest a registered version give --model ${cfg.strategy.model} (or \`model:\` in the spec)`);
  }

  // Equity sampled once per bar time (after every symbol's bar of that time), at the bar's close.
  const samples = new Map<number, { equity: number; exposure: number }>();
  const fills: Fill[] = [];
  // The risk actor announces every trading-state change on core NATS; the report lists them.
  const riskLog = logRiskStates(bus, subjects.riskState());
  const engine = await startEngine(
    cfg,
    { bus, features: createMemoryFeatureStore({ historyCap: 2 }), timeseries: createCountingHistory(), registry, riskStore: createMemoryRiskStore(), audit: createMemoryAuditStore() },
    clock,
    silentLogger,
    {
      control: false,
      inferenceThread: 'main',
      decideFrom: opts.from,
      observer: {
        event: (e, risk) => {
          if (e.md.type !== 'md.bar' || e.md.tf !== tf) return;
          const held = risk.holdings();
          const equity = opts.capital + held.equity;
          const gross = held.grossHeld;
          samples.set(e.md.ts + barMs, { equity, exposure: equity > 0 ? gross / equity : 0 });
        },
        fill: (f) => void fills.push(f),
      },
    },
  );

  const bars: Bar[] = [];
  // The warm-up bars teach the baselines' venue σ, volume and spread, as they teach the strategy's.
  const baselineWarmup: Bar[] = [];
  // A stored window is read a page per symbol at a time (in `opts.symbols` order), files a chunk of
  // rows at a time: the replay holds a batch per source, never the window.
  // Bar sources first: at one time a bar goes before a tick (the merge breaks ties by source order).
  const sources: Batches<MarketData>[] = [
    ...(stored !== undefined
      ? stored.window(readFrom, opts.to)
      : files.map((f) => readBarBatches(f.path, { venue: cfg.venue, symbol: f.symbol, tf, from: readFrom, to: opts.to }))),
    ...tickSources(ticks, { venue: cfg.venue, from: readFrom, to: opts.to }),
  ];
  const sourceSymbols = [...(stored !== undefined ? opts.symbols : files.map((f) => f.symbol)), ...ticks.map((t) => t.symbol)];
  const tickCounts = { trades: 0, quotes: 0 };
  const ends = endOfData(sourceSymbols.map((symbol) => ({ venue: cfg.venue, symbol })));
  const mdStream = streamName(cfg, 'MD');
  let fed = 0;
  // Per symbol, the newest bar the baselines took: a bar not after it (two files of one symbol
  // that overlap) is one the asset actor's tick gate refuses, so the baselines skip it too.
  const newestBar = new Map<string, number>();
  const replayed = (md: MarketData): void => {
    fed++;
    clock.advanceTo(md.ts);
    if (md.type === 'md.bar' && md.ts > (newestBar.get(md.symbol) ?? Number.NEGATIVE_INFINITY)) {
      newestBar.set(md.symbol, md.ts);
      if (md.ts >= opts.from) bars.push(md); // the baselines trade the window only
      else baselineWarmup.push(md);
    } else if (md.type === 'md.trade') tickCounts.trades++;
    else if (md.type === 'md.quote') tickCounts.quotes++;
    ends.note(md);
  };
  const bar = progressOut === undefined ? undefined : backtestProgress(progressOut);
  const drawBar = (n: number, total: number, rate: number): void => bar?.draw(n, total, rate);
  const stopBar = (): void => bar?.stop();
  const t0 = performance.now();
  const replay = replayHooks(ends, engine, { bus, stream: mdStream, subjects });
  // While the feed runs the total is what it has read so far; the bar redraws at its own pace.
  const showProgress = (): void => {
    if (progressOut === undefined) return;
    const n = engine.counters.messagesIn;
    drawBar(n, Math.max(fed, n, 1), Math.round(n / Math.max((performance.now() - t0) / 1000, 1e-3)));
  };
  const runReplay = async (): Promise<Readonly<{ published: number }>> => {
    const published = await feedInProcess(bus, subjects, mergeBatchesByTime(sources, undefined, ends.hooks), {
      consumed: () => engine.counters.messagesIn,
      each: replayed,
      afterBatch: () => {
        showProgress();
        return replay.afterBatch();
      },
      waiting: replay.waiting,
    });
    await ends.seal(bus, mdStream, subjects);
    for (;;) {
      replay.release();
      const n = engine.counters.messagesIn;
      drawBar(n, published.published, Math.round(n / Math.max((performance.now() - t0) / 1000, 1e-3)));
      if (n >= published.published) return published;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  // A failed replay (an asset actor's error, a bad row in a file) stops the engine and closes the bus before it is thrown.
  const published = await runReplay().catch(async (e: unknown) => {
    stopBar();
    await engine.stop().catch(() => {});
    await bus.close().catch(() => {});
    riskLog.close();
    throw e;
  });
  await engine.stop();
  const finalRiskState = engine.decisions?.risk.status().state;
  stopBar();
  const runSeconds = (performance.now() - t0) / 1000;
  const stats = engine.decisions?.path.stats();
  const refused = engine.counters.refused;
  if (opts.onSignals !== undefined) opts.onSignals(await readStream(bus, streamName(cfg, 'SIGNALS'), `${cfg.prefix}.>`));
  await bus.close();
  riskLog.close();

  const points = [...samples.entries()].sort((a, b) => a[0] - b[0]);
  if (points.length < 2) throw new Error(`the window ${new Date(opts.from).toISOString()} → ${new Date(opts.to).toISOString()} has fewer than two ${tf} bars`);
  const trades = closedTrades(fills);
  opts.onEquity?.(
    points.map(([ts, p]) => ({ ts, equity: p.equity, exposure: p.exposure })),
    trades,
    fills,
  );
  const tradedNotional = fills.reduce((s, f) => s + f.qty * f.price, 0);
  const metrics = performanceMetrics({
    startTs: opts.from,
    startingCapital: opts.capital,
    equity: points.map(([ts, p]) => ({ ts, equity: p.equity })),
    grossExposure: points.map(([, p]) => p.exposure),
    trades,
    feesPaid: fills.reduce((s, f) => s + f.fee, 0),
    tradedNotional,
    periodsPerYear: periodsPerYear(barMs),
  });
  // The baselines trade through the strategy's paper venue settings: the config's, with the
  // backtest's costs over them (`backtestConfig`).
  const venue = paperVenueOptions(cfg, barMs);
  opts.onBaselineInputs?.(bars, { venue, barMs, warmup: baselineWarmup });
  // Their curves start at the window's start, as the strategy's does (not at their first bar).
  const buyAndHold = runBuyAndHold(bars, { capital: opts.capital, venue, barMs, warmup: baselineWarmup, startTs: opts.from });
  const grid = runGrid(bars, { capital: opts.capital, venue, barMs, warmup: baselineWarmup, startTs: opts.from });

  const iso = (ms: number): string => new Date(ms).toISOString();
  const positions = positionsOf(fills);
  const modelSeen = reportModel(model, opts);
  const report: BacktestReport = {
    version: 1,
    window: { from: iso(opts.from), to: iso(opts.to) },
    venue: cfg.venue,
    symbols: opts.symbols,
    timeframe: tf,
    capital: opts.capital,
    currency,
    strategy: cfg.strategy.name,
    model: modelSeen,
    costs: { ...cfg.paperVenue },
    execution: { ...cfg.execution },
    riskLimits: { ...cfg.risk.limits },
    // `refused`: input the asset actors refused, by reason (a bar two files both hold is a DUPLICATE).
    // `ticks`: the trades and quotes replayed (warm-up included), when tick files were given.
    counts: stats === undefined ? {} : { ...stats, bars: bars.length, ...(ticks.length > 0 ? { ticks: { ...tickCounts } } : {}), refused: { ...refused } },
    gaps: findGaps(bars, barMs, { from: opts.from, to: opts.to }).map((g) => ({ symbol: g.symbol, from: iso(g.from), to: iso(g.to), missingBars: g.missingBars })),
    metrics,
    baselines: { buy_and_hold: buyAndHold.metrics, grid: grid.metrics },
    risk: {
      transitions: riskLog.transitions(),
      finalState: finalRiskState ?? riskLog.transitions().at(-1)?.state ?? 'ACTIVE',
    },
    positions: positions.open,
    run: { events: published.published, seconds: Math.round(runSeconds * 100) / 100, eventsPerSecond: Math.round(published.published / runSeconds) },
    warnings: [
      ...[capitalWarning(opts.capital, cfg.strategy, firstCloses(bars)), ran.warning].filter((w) => w !== undefined),
      ...(stats === undefined ? [] : refusedSymbolWarnings(stats.bySymbol, cfg.risk.limits)),
      ...[
        // One of the two: data past the window's start beyond the training range is said once.
        inSampleWarning(model, opts) ?? windowDataWarning(modelSeen, opts),
        stats === undefined ? undefined : unfilledWarning(stats, cfg.paperVenue, orderLifeOf(cfg, barMs, model.calibration.horizonMs)),
        ruinWarning('strategy', metrics),
        ruinWarning('buy and hold', buyAndHold.metrics),
        ruinWarning('grid', grid.metrics),
      ].filter((w) => w !== undefined),
    ],
  };
  const out = writeBacktestReport(
    opts.report,
    report,
    [
      { name: 'strategy', equity: points.map(([ts, p]) => ({ ts, equity: p.equity })) },
      { name: 'buy and hold', equity: buyAndHold.equity },
      { name: 'grid', equity: grid.equity },
    ],
    trades,
    positions,
  );
  note(`risk: ${riskSummary(report.risk)}`);
  for (const w of report.warnings) note(`warning: ${w}`);
  // Said on stderr only: report.json already lists the missing bars as a gap.
  if (progressOut !== undefined || opts.onWarnings !== undefined) {
    const without = async (symbols: readonly string[], from: number, to: number): Promise<readonly string[]> =>
      stored !== undefined ? (await stored.withoutBars(from, to)).filter((s) => symbols.includes(s)) : symbolsWithoutBars(files.filter((f) => symbols.includes(f.symbol)), { venue: cfg.venue, tf, from, to });
    const edges = await dataEdgeWarnings(bars, { from: opts.from, to: opts.to, barMs, tf }, without);
    for (const w of edges) note(`warning: ${w}`);
    opts.onWarnings?.([...report.warnings, ...edges]);
  }
  note(`wrote ${out.json} and ${out.html} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return report;
}
