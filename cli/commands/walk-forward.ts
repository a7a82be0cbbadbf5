import { InvalidArgumentError } from 'commander';
import { join } from 'node:path';
import { periodsPerYear } from '../../models/backtest/annualisation.js';
import { performanceMetrics } from '../../models/backtest/performance-metrics.js';
import type { ClosedTrade } from '../../models/backtest/trade-stats.js';
import { closedTrades } from '../../models/backtest/portfolio.js';
import { positionsOf } from '../../models/backtest/positions.js';
import { closeSegment } from '../../models/backtest/segment-close.js';
import type { Fill } from '../../streams/messages/fill.js';
import { TIMEFRAME_MS, TimeframeSchema } from '../../streams/messages/bar.js';
import type { BacktestReport } from '../../gateways/report/backtest-report.js';
import { writeWalkForwardReport } from '../../gateways/report/walk-forward-report.js';
import { checkReportDir, makeReportDir } from '../../gateways/report/report-files.js';
import { backtestCurrency } from './backtest-currency.js';
import { orderLifeOf, ruinWarning, warnOrderLife } from './backtest-warnings.js';
import { unreadDataWarnings } from './unread-data-warnings.js';
import { DEFAULT_HORIZON_BARS } from '../../models/training/label-horizon.js';
import { THIN_FOLD_ROWS, thinFolds, thinRange } from '../../models/validation/thin-folds.js';
import type { WalkForwardReport, WalkForwardSegment } from '../../gateways/report/walk-forward-report.js';
import { runBuyAndHold, runGrid } from '../../models/backtest/baselines.js';
import type { BaselineRunOptions } from '../../models/backtest/baselines.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { loadConfig } from '../../config/load.js';
import { requireDataDir } from '../../gateways/data-dir.js';
import { backtestConfig, barFiles, runBacktest, symbolsWithoutBarsIn, trainingDirOf } from './backtest.js';
import { modelsAhead } from './models-ahead.js';
import { emptyWindow } from '../option-parsers.js';

export type { WalkForwardReport, WalkForwardSegment } from '../../gateways/report/walk-forward-report.js';
export { walkForwardWarnings } from '../../gateways/report/walk-forward-report.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The `warning: ` line for walk-forward segments of fewer than `THIN_FOLD_ROWS` bars each (`bars`:
 * each segment's; models/validation/thin-folds.ts says why that many), or undefined.
 */
export function thinSegmentsWarning(bars: readonly number[], tf: string): string | undefined {
  const t = thinFolds(bars);
  if (t === undefined) return undefined;
  return (
    `warning: walk-forward: ${t.thin} of ${t.of} segments hold fewer than ${THIN_FOLD_ROWS} ${tf} bars (${thinRange(t)}${t.thin > 1 ? ' each' : ''}): ` +
    `a segment's return, Sharpe ratio and drawdown rest on so few bar returns that they say little; give a longer --walk-forward step`
  );
}

/**
 * Walk-forward: consecutive test windows of `stepMs`; before each, a model is trained through
 * the training pipeline on the three years that end `embargoMs` before the window (its own
 * chronological split purges label horizons), so nothing of a test window reaches its model.
 * Each segment starts flat with the capital the previous one ended with: what it still holds at
 * its end is closed at its last close as a taker (half spread, impact, fee: `closeSegment`), so
 * no position leaves a segment for free; the segments' equity curves are stitched into one, measured as a
 * whole, beside buy-and-hold and grid baselines run over the same span (every segment's bars) with
 * the same capital and costs. Writes `<report>/walk-forward.json`, `<report>/walk-forward.html`
 * and a report folder per segment.
 *
 * The segments replay one after another (each starts with the capital the last one ended with),
 * but each model depends only on the data before its segment: they are trained on worker threads
 * ahead of the replays (`modelsAhead`, up to `parallel` at a time), each the model `sextant backtest` would train for that segment itself.
 */
export async function runWalkForward(
  opts: Readonly<{ configFile?: string; data?: string; symbols: readonly string[]; timeframe: string; from: number; to: number; stepMs: number; embargoMs: number; capital: number; report: string; parallel?: number; progress?: boolean }>,
): Promise<WalkForwardReport> {
  const tf = TimeframeSchema.parse(opts.timeframe);
  // Said as a backtest and train say it (`the window is empty: --from … is not before --to …`),
  // not as "walk-forward needs from < to and a positive step", which named neither date.
  const empty = emptyWindow(opts.from, opts.to);
  if (empty !== undefined) throw new InvalidArgumentError(empty);
  if (!(opts.stepMs > 0)) throw new InvalidArgumentError(`walk-forward needs a positive step, got ${opts.stepMs} ms`);
  const stitched: { ts: number; equity: number; exposure: number }[] = [];
  const trades: ClosedTrade[] = [];
  const segments: WalkForwardSegment[] = [];
  let fees = 0;
  let notional = 0;
  /** The bars of every segment's window, in order, and the costs the baselines trade them with. */
  const spanBars: Bar[] = [];
  let baselineCosts: Omit<BaselineRunOptions, 'capital'> | undefined;
  let capital = opts.capital;
  checkReportDir(opts.report);
  const base = loadConfig({ file: opts.configFile });
  const data = opts.data ?? requireDataDir(base.data.dir);
  // A symbol with no bar files is refused first, with a did-you-mean, as a backtest does: beside
  // others, `btc/usdt` was refused as a quote currency of its own ("usdt").
  await barFiles(data, opts.symbols, tf);
  const cfg = backtestConfig(base, opts.symbols);
  const currency = backtestCurrency(cfg.risk, opts.symbols);
  const starts: number[] = [];
  for (let start = opts.from; start < opts.to; start += opts.stepMs) starts.push(start);
  // A segment with no bars (a --to past the data's end), or shorter than two bars (the last one,
  // cut at --to), failed only after the segments before it had been trained and replayed, leaving
  // their folders and no walk-forward report.
  for (const [k, start] of starts.entries()) {
    const end = Math.min(opts.to, start + opts.stepMs);
    if (end - start < 2 * TIMEFRAME_MS[tf]) {
      throw new InvalidArgumentError(`walk-forward segment ${k + 1} (${iso(start)} → ${iso(end)}) is shorter than two ${tf} bars: give a --to that leaves it two bars or more, or a --walk-forward that divides the window`);
    }
    const empty = await symbolsWithoutBarsIn(data, { symbols: opts.symbols, tf, venue: cfg.venue, from: start, to: end });
    if (empty.length > 0) throw new InvalidArgumentError(`walk-forward segment ${k + 1} (${iso(start)} → ${iso(end)}) has no ${tf} bars of ${empty.join(', ')} under ${data}: give a --to the data reaches`);
  }
  // A latency no order outlives: said once, before any model is trained (each segment's backtest,
  // run with no progress stream, says nothing of it), as a single backtest says it.
  const barMs = TIMEFRAME_MS[tf];
  if (opts.progress === true) warnOrderLife(orderLifeOf(cfg, barMs, DEFAULT_HORIZON_BARS * barMs), (l) => void process.stderr.write(`${l}\n`));
  // The symbols' files under --data that are not read (mark candles, a 3m file): once, as a single backtest says them.
  if (opts.progress === true) for (const w of unreadDataWarnings(data, opts.symbols)) process.stderr.write(`${w}\n`);
  // Segments of a handful of bars, whose figures say little: once, before any model is trained.
  const thin = thinSegmentsWarning(
    starts.map((start) => Math.floor((Math.min(opts.to, start + opts.stepMs) - start) / barMs)),
    tf,
  );
  if (opts.progress === true && thin !== undefined) process.stderr.write(`${thin}\n`);
  makeReportDir(opts.report);
  const dataDir = trainingDirOf(data, base);
  const models = modelsAhead(
    starts.map((start) => ({ cfg, data: { dataDir, symbols: opts.symbols, timeframe: tf, from: start - opts.embargoMs } })),
    opts.parallel,
  );
  /** The segment after which nothing was left to trade with (its capital out at or below zero). */
  let ruinedAfter: number | undefined;
  try {
    for (const [k, start] of starts.entries()) {
      const i = k + 1;
      const trained = await models.take();
      if (!trained.ok) throw new Error(`training the model of segment ${i} failed: ${trained.error}`);
      try {
        capital = await segment(i, start, trained.served.registry);
      } finally {
        await trained.served.close();
      }
      // A ruined account stops: the next segment would start with no capital (a backtest of zero
      // or less is not one), and the stitched curve already ends at the ruin.
      if (!(capital > 0)) {
        ruinedAfter = i;
        break;
      }
    }
  } finally {
    await models.discard();
  }

  /** The metrics of an equity curve (a segment's, or the stitched one) with its trades, fees and traded notional. */
  function curveMetrics(startTs: number, startingCapital: number, curve: readonly { ts: number; equity: number; exposure: number }[], trades: Parameters<typeof performanceMetrics>[0]['trades'], feesPaid: number, tradedNotional: number) {
    return performanceMetrics({
      startTs,
      startingCapital,
      equity: curve.map((p) => ({ ts: p.ts, equity: p.equity })),
      grossExposure: curve.map((p) => p.exposure),
      trades,
      feesPaid,
      tradedNotional,
      periodsPerYear: periodsPerYear(TIMEFRAME_MS[tf]),
    });
  }

  async function segment(i: number, start: number, registry: ModelRegistry): Promise<number> {
    const end = Math.min(opts.to, start + opts.stepMs);
    let curve: readonly { ts: number; equity: number; exposure: number }[] = [];
    let segmentFills: readonly Fill[] = [];
    let segmentBars: readonly Bar[] = [];
    let costs: Omit<BaselineRunOptions, 'capital'> | undefined;
    let warnings: readonly string[] = [];
    const report: BacktestReport = await runBacktest({
      ...(opts.configFile !== undefined ? { configFile: opts.configFile } : {}),
      ...(opts.data !== undefined ? { data: opts.data } : {}),
      symbols: opts.symbols,
      timeframe: tf,
      from: start,
      to: end,
      capital,
      embargoMs: opts.embargoMs,
      report: join(opts.report, `segment-${i}`),
      registry,
      onBaselineInputs: (bars, c) => {
        for (const b of bars) spanBars.push(b);
        segmentBars = bars;
        costs = c;
      },
      onEquity: (eq, _t, fills) => {
        curve = eq;
        segmentFills = fills;
      },
      // Its backtest runs with no progress stream: what it warns of is carried here, and said (grouped over the segments) by the walk-forward.
      onWarnings: (w) => void (warnings = w),
    });
    if (costs === undefined) throw new Error(`segment ${i} reported no costs`);
    // The baselines run over the whole span: the first segment's warm-up bars are the ones before it.
    baselineCosts = { ...costs, ...(baselineCosts?.warmup !== undefined ? { warmup: baselineCosts.warmup } : {}) };
    // The next segment starts flat: what this one holds at its end is closed here, at the costs a
    // taker pays at the last close (the round trips and fees count in the stitched figures).
    const last = curve[curve.length - 1];
    const closing = closeSegment(positionsOf(segmentFills).open, segmentBars, costs.venue, { strategy: cfg.strategy.name, ts: last?.ts ?? end });
    const fills = [...segmentFills, ...closing.fills];
    const segmentTrades = closedTrades(fills);
    trades.push(...segmentTrades);
    let segmentFees = 0;
    let segmentNotional = 0;
    for (const f of fills) {
      segmentFees += f.fee;
      segmentNotional += f.qty * f.price;
    }
    fees += segmentFees;
    notional += segmentNotional;
    const out = (last?.equity ?? capital) - closing.cost;
    const closed = last === undefined ? curve : [...curve.slice(0, -1), { ...last, equity: out }];
    // The segment's own figures include its close, as capitalOut does (the backtest's report stops before it).
    const metrics =
      closed.length === 0
        ? report.metrics
        : curveMetrics(start, capital, closed, segmentTrades, segmentFees, segmentNotional);
    segments.push({ from: iso(start), to: iso(end), trainedTo: report.model.trainRange.to, modelDataTo: report.model.dataRange?.to ?? report.model.trainRange.to, model: report.model.ref, capitalIn: capital, capitalOut: out, closingCost: closing.cost, metrics, risk: report.risk, warnings });
    stitched.push(...closed);
    return out;
  }
  const metrics = curveMetrics(opts.from, opts.capital, stitched, trades, fees, notional);
  if (baselineCosts === undefined) throw new Error('walk-forward ran no segment');
  // From the walk-forward's start, as the stitched curve is measured (not from their first bar).
  const buyAndHold = runBuyAndHold(spanBars, { capital: opts.capital, ...baselineCosts, startTs: opts.from });
  const grid = runGrid(spanBars, { capital: opts.capital, ...baselineCosts, startTs: opts.from });
  const notRun =
    ruinedAfter !== undefined && ruinedAfter < starts.length
      ? `the capital was gone after segment ${ruinedAfter} of ${starts.length} (capital out ${capital.toFixed(2)}), so ${ruinedAfter + 1 === starts.length ? `segment ${starts.length} was` : `segments ${ruinedAfter + 1}–${starts.length} were`} not run; the baselines cover the segments run`
      : undefined;
  const warnings = [ruinWarning('strategy (out of sample)', metrics), notRun, ruinWarning('buy and hold', buyAndHold.metrics), ruinWarning('grid', grid.metrics)].filter((w): w is string => w !== undefined);
  const report: WalkForwardReport = {
    version: 1,
    symbols: opts.symbols,
    timeframe: tf,
    stepMs: opts.stepMs,
    embargoMs: opts.embargoMs,
    capital: opts.capital,
    currency,
    segments,
    metrics,
    baselines: { buy_and_hold: buyAndHold.metrics, grid: grid.metrics },
    warnings,
    equity: stitched.map((p) => ({ ts: p.ts, equity: p.equity })),
  };
  writeWalkForwardReport(opts.report, report, { buy_and_hold: buyAndHold.equity, grid: grid.equity });
  return report;
}
