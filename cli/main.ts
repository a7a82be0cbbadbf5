import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import { BACKTEST_SPEC_KEYS, contradictoryBacktestFlags, givenFlags, loadBacktestSpec, missingReportMessage, parseSpreadModelFlag, resolveBacktestInputs, SINGLE_BACKTEST_FLAGS } from './commands/backtest-spec.js';
import { experimentCommand } from './commands/experiment.js';
import { ctlCommand } from './commands/ctl.js';
import { datasetCommand } from './commands/dataset.js';
import { dbCommand } from './commands/db.js';
import { trainCommand } from './commands/train.js';
import { createRetrainingTracker } from '../models/mlflow/retraining-tracker.js';
import { createLogger } from './logger.js';
import { bpsUnder, nonNegative, numberFromTo, numberFromUnder, parseSymbols, parseTime, portArg, positive, symbolsOption, timeframeArg, timeOption } from './option-parsers.js';
import { MAX_FEE_BPS, MAX_REBATE_BPS } from '../models/execution/fee-limit.js';
import { MAX_IMPACT_COEFF } from '../models/execution/impact-limit.js';
import { MAX_LATENCY_MS } from '../models/execution/latency-limit.js';
import { MAX_SPREAD_BPS } from '../models/execution/bar-spread.js';
import { DEFAULT_DEMO_NAMESPACE, demoNamespaceArg } from './commands/demo-namespace.js';
import { runWiringMode } from './commands/run-mode.js';
import type { Timeframe } from '../streams/messages/bar.js';

const parseSpeed = (v: string): number | 'max' => {
  if (v === 'max') return 'max';
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a positive factor or "max"');
  return n;
};

const program = new Command()
  .name('sextant')
  .description('Actor-based, real-time ML trading engine')
  .option('-c, --config <file>', 'YAML file merged over config/default.yaml');

program
  .command('run')
  .description('run the engine from config until SIGINT/SIGTERM')
  .option('--embedded', 'use in-process adapters instead of NATS/Redis/PostgreSQL')
  .option('--auto', 'fall back to in-process adapters where a service is unreachable')
  .action(async (opts: { embedded?: boolean; auto?: boolean }) => {
    const mode = runWiringMode(opts);
    const { runEngine } = await import('./commands/run.js');
    await runEngine({ configFile: program.opts<{ config?: string }>().config, mode });
  });

program
  .command('demo')
  .description('replay a real window into the local stack, run the engine and print a summary')
  .option('--data <dir>', 'market-data folder (default: ../shared/data or SEXTANT_DATA_DIR)')
  .addOption(symbolsOption('comma-separated symbols', ['BTC/USDT', 'ETH/USDT', 'SOL/USDT']))
  .option('--timeframe <tf>', 'bar timeframe', timeframeArg, '1h')
  .addOption(timeOption('--from <date>', 'window start (inclusive)', '2024-01-01'))
  .addOption(timeOption('--to <date>', 'window end (exclusive)', '2024-07-01'))
  .option('--embedded', 'use in-process adapters only')
  .option('--no-faults', 'do not inject the handful of bad messages that show the edge refusing input')
  .option('--retrain', 'train a new model on the three years before the window (as much of them as the data holds) even when the registry has one')
  .option('--learn', 'also run one retraining cycle of the learning loop: a challenger fitted on the window\'s labeled predictions but the last ones, shadowed against the served model on those, promoted or rejected through the registry (the summary\'s learning line)')
  .option('--dashboard', 'serve the dashboard, websocket feed and /metrics while the demo runs (prints the URL with the viewer token)')
  .option('--port <n>', 'with --dashboard: the gateway\'s port (default gateway.port; 0 picks a free one)', portArg)
  .option('--hold', 'with --dashboard: keep serving after the replay until Ctrl-C')
  .option('--namespace <name>', 'run in this namespace: its own streams, Redis keys, PostgreSQL schema (sextant_<name>) and model registry, reset at start', demoNamespaceArg, DEFAULT_DEMO_NAMESPACE)
  .action(async (opts: { data?: string; symbols: string[]; timeframe: Timeframe; from: number; to: number; embedded?: boolean; faults: boolean; retrain?: boolean; learn?: boolean; dashboard?: boolean; port?: number; hold?: boolean; namespace: string }) => {
    if ((opts.port !== undefined || opts.hold === true) && opts.dashboard !== true) throw new InvalidArgumentError('--port and --hold go with --dashboard');
    const { runDemo } = await import('./commands/demo.js');
    await runDemo({ configFile: program.opts<{ config?: string }>().config, ...opts });
  });

program
  .command('backtest')
  .description('run the engine\'s actors over historical bars with the in-memory bus, a simulated clock and the paper venue; write report.json and report.html')
  .option('--data <path>', 'a bar CSV file (one symbol), a data folder (holding ohlcv/), its ohlcv/ or one ohlcv/<venue>_<market>_<tf>/ folder, a folder of <BASE>_<QUOTE>_<tf>*.csv files, or a freqtrade exchange folder (user_data/data/<exchange>: <BASE>_<QUOTE>-<tf>.feather/.json/.json.gz/.parquet, futures/) or one such file (with --suite: a folder, not a file; default: ../shared/data or SEXTANT_DATA_DIR)')
  .addOption(symbolsOption('comma-separated symbols', ['BTC/USDT']))
  .option('--timeframe <tf>', 'bar timeframe', timeframeArg, '1h')
  .option('--from <date>', 'window start (inclusive)', parseTime)
  .option('--to <date>', 'window end (exclusive)', parseTime)
  .option('--walk-forward <days>', 'rolling test windows of this many days, each with a model trained on the years before it', (v: string) => {
    const n = Number(v);
    if (!(Number.isInteger(n) && n > 0)) throw new InvalidArgumentError('a positive number of days');
    return n;
  })
  .option('--embargo <hours>', 'walk-forward: hours between a model\'s training data and its test window', nonNegative, 24)
  .option('--suite <name>', '"regimes": the regime windows on BTC, ETH, SOL, DOGE and PEPE where they have data (its own windows and symbols: not with --symbols/--from/--to)')
  .option('--report <dir>', 'folder for report.json and report.html (a folder per window with --suite); or `report:` in --spec')
  .option('--capital <amount>', 'starting capital in quote currency', positive, 10_000)
  .option('--spec <yaml>', `backtest inputs from a YAML file, keys: ${BACKTEST_SPEC_KEYS} (README: Commands); flags override it`)
  .option('--source <kind>', '"csv" (--data, default) or "pg": bars from the TimeseriesStore in PostgreSQL (config postgres)', (v: string) => {
    if (v !== 'csv' && v !== 'pg') throw new InvalidArgumentError('csv or pg');
    return v;
  })
  .option('--latency-ms <ms>', `order latency in event time, from 0 to ${MAX_LATENCY_MS} (a day): an order fills from the first event at or after arrival + ms, or on bars from the rest of the bar that ms ends in (its volume cap scaled by the share left)`, numberFromTo(0, MAX_LATENCY_MS, 'a day: venue latencies are milliseconds to seconds'))
  .option('--model <ref>', 'serve a registered model (name, name@version or name@alias) from the model registry instead of training one on the years before --from')
  .option('--strategy <name>', 'the strategy\'s name (its subjects, durables and report; default the config\'s strategy.name)')
  .option('--taker-fee-bps <bps>', `cost: taker fee in bps, under ${MAX_FEE_BPS} (default the config's paperVenue)`, bpsUnder(MAX_FEE_BPS, 'a fee under 100 % of the notional'))
  .option('--maker-fee-bps <bps>', `cost: maker fee in bps, from −${MAX_REBATE_BPS} (a rebate) to under ${MAX_FEE_BPS}`, numberFromUnder(-MAX_REBATE_BPS, MAX_FEE_BPS, 'a rebate of at most 1 % of the notional, a fee under 100 %'))
  .option('--spread-bps <bps>', `cost: full spread where no quote gives one (with a bar model: until it has warmed up), under ${MAX_SPREAD_BPS}`, bpsUnder(MAX_SPREAD_BPS, 'a half spread under 100 %'))
  .option('--spread-model <model>', 'cost: fixed, corwin-schultz[:window] or range-fraction:<fraction>[:window] (spread from the bars)', (v: string) => {
    try {
      return parseSpreadModelFlag(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  })
  .option('--ticks <[symbol=]file>', 'a trades or bookTicker CSV replayed beside the bars of its symbol (repeat for more files; the symbol may be left out with one --symbols)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
  .option('--impact-coeff <k>', `cost: square-root impact coefficient, from 0 to ${MAX_IMPACT_COEFF} (measured ones are of order 1; default the config's paperVenue)`, numberFromTo(0, MAX_IMPACT_COEFF, 'measured square-root impact coefficients are of order 1'))
  .option('--max-volume-share <f>', 'cost: most of a bar\'s volume one side may take, in (0, 1]', (v: string) => {
    const n = Number(v);
    if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('a number in (0, 1]');
    return n;
  })
  .action(async (opts: { data?: string; symbols: string[]; timeframe: string; from?: number; to?: number; suite?: string; walkForward?: number; embargo: number; report?: string; capital: number; spec?: string; source?: 'csv' | 'pg'; latencyMs?: number; model?: string; strategy?: string; takerFeeBps?: number; makerFeeBps?: number; spreadBps?: number; spreadModel?: unknown; impactCoeff?: number; maxVolumeShare?: number; ticks?: string[] }, cmd: Command) => {
    const configFile = program.opts<{ config?: string }>().config;
    const contradiction = contradictoryBacktestFlags((k) => cmd.getOptionValueSource(k) === 'cli', opts);
    if (contradiction !== undefined) throw new InvalidArgumentError(contradiction);
    if (SINGLE_BACKTEST_FLAGS.some((k) => opts[k] !== undefined)) {
      if (opts.suite !== undefined || opts.walkForward !== undefined) throw new InvalidArgumentError('--spec, --source, --model, --strategy, --ticks and the cost flags apply to a single backtest, not --suite or --walk-forward (set costs there in the config file)');
      const inputs = resolveBacktestInputs(opts.spec !== undefined ? loadBacktestSpec(opts.spec) : undefined, givenFlags(opts, (k) => cmd.getOptionValueSource(k) === 'cli'));
      const { runBacktest } = await import('./commands/backtest.js');
      const r = await runBacktest({ ...(configFile !== undefined ? { configFile } : {}), ...inputs, progress: true });
      process.stdout.write(`${JSON.stringify({ metrics: r.metrics, baselines: r.baselines, gaps: r.gaps.length, risk: r.risk, run: r.run })}\n`);
      return;
    }
    if (opts.report === undefined) throw new InvalidArgumentError(missingReportMessage(opts.suite !== undefined ? '--suite' : opts.walkForward !== undefined ? '--walk-forward' : 'single'));
    const report = opts.report;
    if (opts.suite !== undefined) {
      if (opts.suite !== 'regimes') throw new InvalidArgumentError(`unknown suite ${JSON.stringify(opts.suite)} (known: regimes)`);
      const { formatSuite, runRegimeSuite } = await import('./commands/backtest-suite.js');
      const rows = await runRegimeSuite({ ...(configFile !== undefined ? { configFile } : {}), ...(opts.data !== undefined ? { data: opts.data } : {}), reportDir: report, timeframe: opts.timeframe, capital: opts.capital, progress: true });
      process.stdout.write(`${formatSuite(rows, report)}\n`);
      return;
    }
    if (opts.from === undefined || opts.to === undefined) throw new InvalidArgumentError('give --from and --to (or --suite regimes)');
    if (opts.walkForward !== undefined) {
      const { runWalkForward, walkForwardWarnings } = await import('./commands/walk-forward.js');
      const { riskCell } = await import('../models/risk/risk-over-window.js');
      const wf = await runWalkForward({
        ...(configFile !== undefined ? { configFile } : {}),
        ...(opts.data !== undefined ? { data: opts.data } : {}),
        symbols: opts.symbols,
        timeframe: opts.timeframe,
        from: opts.from,
        to: opts.to,
        stepMs: opts.walkForward * 86_400_000,
        embargoMs: opts.embargo * 3_600_000,
        capital: opts.capital,
        report,
        progress: true,
      });
      // Its own, then each of its segments' (their backtests say nothing themselves), once for all the segments that gave it.
      for (const w of walkForwardWarnings(wf)) process.stderr.write(`warning: ${w}\n`);
      for (const seg of wf.segments) process.stdout.write(`${seg.from.slice(0, 10)} → ${seg.to.slice(0, 10)}  ${seg.model} (its data to ${seg.modelDataTo.slice(0, 16).replace('T', ' ')})  return ${(100 * seg.metrics.total_return).toFixed(2)}%  risk ${riskCell(seg.risk)}\n`);
      process.stdout.write(`wrote ${join(report, 'walk-forward.json')} and ${join(report, 'walk-forward.html')}\n`);
      process.stdout.write(`${JSON.stringify({ stitched: wf.metrics, baselines: wf.baselines })}\n`);
      return;
    }
    const { runBacktest } = await import('./commands/backtest.js');
    const r = await runBacktest({ configFile, ...(opts.data !== undefined ? { data: opts.data } : {}), symbols: opts.symbols, timeframe: opts.timeframe, capital: opts.capital, report, from: opts.from, to: opts.to, progress: true });
    process.stdout.write(`${JSON.stringify({ metrics: r.metrics, baselines: r.baselines, gaps: r.gaps.length, risk: r.risk, run: r.run })}\n`);
  });

program
  .command('replay')
  .description('publish historical CSV data into JetStream with deterministic ids')
  .requiredOption('--data <path>', 'a CSV file, a data folder (with ohlcv/), a folder of <BASE>_<QUOTE>_<tf>….csv files, or a freqtrade exchange folder (user_data/data/<exchange>) or file')
  .option('--symbols <list>', 'comma-separated symbols (folder input; default: the configured assets)', parseSymbols)
  .option('--symbol <symbol>', 'symbol of a single file when its name does not say')
  .option('--timeframe <tf>', 'bar timeframe (default: 1h; a single file: the one its name says, as in BTC_USDT_5m….csv, else 1h)', timeframeArg)
  .option('--from <date>', 'window start (inclusive)', parseTime)
  .option('--to <date>', 'window end (exclusive)', parseTime)
  .option('--speed <factor>', 'event-time speed factor, or "max"', parseSpeed, 'max')
  .action(async (opts: { data: string; symbols?: string[]; symbol?: string; timeframe?: string; from?: number; to?: number; speed: number | 'max' }) => {
    const { runReplay } = await import('./commands/replay.js');
    await runReplay({ configFile: program.opts<{ config?: string }>().config, ...opts });
  });

program
  .command('gateway')
  .description('stream live trades, quotes and closed bars of the configured assets into JetStream (config marketData) until SIGINT')
  .option('--provider <name>', '"ccxt" or "twelvedata" (default: marketData.provider)', (v: string) => {
    if (v !== 'ccxt' && v !== 'twelvedata') throw new InvalidArgumentError('ccxt or twelvedata');
    return v;
  })
  .option('--symbols <list>', 'comma-separated subset of the configured assets', parseSymbols)
  .action(async (opts: { provider?: 'ccxt' | 'twelvedata'; symbols?: string[] }) => {
    // ccxt (~49 MB of heap) loads only for this command, never into an engine process.
    const { runGateway } = await import('./commands/gateway.js');
    await runGateway({ configFile: program.opts<{ config?: string }>().config, ...opts });
  });

program
  .command('features')
  .description('compute every feature column for an OHLCV CSV, the same code path as the asset actor')
  .requiredOption('--bars <csv>', 'OHLCV CSV (timestamp,datetime,open,high,low,close,volume,…)')
  .option('--out <file>', 'output CSV (default: stdout)')
  .action(async (opts: { bars: string; out?: string }) => {
    const { runFeatures } = await import('./commands/features.js');
    await runFeatures(opts);
  });

/** `sextant train`'s config, read once for the registry and the MLflow tracker. */
let trainConfig: ReturnType<typeof loadConfig> | undefined;
const trainCfg = (): ReturnType<typeof loadConfig> => (trainConfig ??= loadConfig({ file: program.opts<{ config?: string }>().config }));
program.addCommand(
  trainCommand(
    async () => (await import('./registry.js')).openPgRegistry(trainCfg()),
    // MLflow (retraining.mlflow.trackingUrl) logs `sextant train` runs too; off when unset.
    () => ({ tracker: createRetrainingTracker(trainCfg().retraining.mlflow, createLogger('info').child({ component: 'mlflow' })), now: () => Date.now() }),
    // --promote of the model the engine serves must be of the bars it decides on.
    () => ({ ref: trainCfg().strategy.model, timeframe: trainCfg().strategy.timeframe }),
  ),
);
program.addCommand(ctlCommand(() => program.opts<{ config?: string }>().config));
program.addCommand(experimentCommand(() => program.opts<{ config?: string }>().config));
program.addCommand(
  datasetCommand(async () => {
    const cfg = loadConfig({ file: program.opts<{ config?: string }>().config });
    const { createPgTrainingSampleStore } = await import('../state/pg-training-sample-store.js');
    return createPgTrainingSampleStore({ url: cfg.postgres.url, schema: cfg.postgres.schema });
  }),
);
program.addCommand(
  dbCommand(async () => {
    const cfg = loadConfig({ file: program.opts<{ config?: string }>().config });
    const { createPgTimeseriesStore } = await import('../state/pg-timeseries-store.js');
    return { store: await createPgTimeseriesStore({ url: cfg.postgres.url, schema: cfg.postgres.schema, poolSize: 1 }), schema: cfg.postgres.schema };
  }),
);

// Every command's help lists, under "Global Options", what the commands above it take and it
// accepts too: -c/--config everywhere, ctl's --url, --user, --password and --timeout on each verb.
const showGlobalOptions = (c: Command): void => {
  c.configureHelp({ ...c.configureHelp(), showGlobalOptions: true });
  c.commands.forEach(showGlobalOptions);
};
showGlobalOptions(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`sextant: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`sextant: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
