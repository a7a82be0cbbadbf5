import type { EngineCounters } from '../../state/counters.js';
import type { DecisionStats } from '../../actors/decision-path.js';
import type { Adapters } from '../wiring.js';
import type { Engine } from '../engine.js';
import type { DemoModel } from './demo-model.js';
import type { DemoWarmup } from './demo-warmup.js';
import { modelDataSpan } from '../../models/registry/model-data-span.js';
import type { ModelVersion } from '../../models/registry/model-registry.js';
import { demoLabelingLine } from './demo-labeling.js';
import type { DemoLabeling } from './demo-labeling.js';
import { demoLearningLine } from './demo-learning.js';
import type { DemoLearning } from './demo-learning.js';
import type { RiskStatus } from '../../models/risk/risk-core.js';
import { quoteOf } from '../../streams/messages/symbol-quote.js';
import { pnlOf } from '../engine-status-feed.js';
import type { CurrencySums } from '../engine-status-feed.js';

export type DemoSummary = Readonly<{
  adapters: { bus: string; features: string; timeseries: string; fallbacks: readonly string[] };
  window: { from: string; to: string; timeframe: string; symbols: readonly string[] };
  published: number;
  injectedFaults: number;
  messagesIn: number;
  accepted: number;
  featuresOut: number;
  refused: Readonly<Record<string, number>>;
  rowsWritten: EngineCounters['rowsWritten'];
  actors: readonly { key: string; state: string }[];
  model: DemoSummaryModel | null;
  predictions: number;
  /** Bars of one symbol the model needs before its first prediction, and the symbols whose window held fewer (they predict nothing). */
  warmup: DemoWarmup;
  suggestions: number;
  orders: number;
  rejects: number;
  rejectsByReason: Readonly<Record<string, number>>;
  /** What became of the `orders` approved (null without a decision path); see {@link OrderOutcomes}. */
  orderOutcomes: OrderOutcomes | null;
  fills: number;
  decisions: Readonly<DecisionStats> | null;
  /**
   * `equity`: the risk book's PnL since the start (realised after fees + unrealised; the risk core's
   * name for it). `currency`: the currency they are in, as the `pnl` feed says it (pnlOf,
   * cli/engine-status-feed.ts); where it says none (null), `byCurrency` has them per quote currency
   * and `equity`, `realised` and `unrealised` add different units. `fees` adds every fill's fee;
   * `feesByCurrency` has them per quote currency of their symbols.
   */
  risk: {
    state: string;
    currency: string | null;
    equity: number;
    realised: number;
    unrealised: number;
    fees: number;
    feesByCurrency: readonly FeesInCurrency[];
    byCurrency?: readonly CurrencySums[];
    positions: readonly { symbol: string; qty: number }[];
  } | null;
  /** The learning loop's labeling of the window (null when the engine ran none: no training-sample store). */
  labeling: DemoLabeling | null;
  /** `--learn`: the retraining cycle the demo ran and what came of it (null without `--learn`). */
  learning: DemoLearning | null;
  /**
   * The SIGINT or SIGTERM that came after the replay (while the engine stopped: the labeling wait)
   * and the step it stopped; the counts are what was done until then. Null: it ran to the end.
   */
  interrupted: DemoInterruption | null;
  seconds: number;
  messagesPerSecond: number;
}>;

/**
 * The served model in the summary. `trainedNow`: trained by this run; `fromTrainingCache`:
 * registered now from the training cache (the same bars, settings and code trained it before).
 * `trainRange` is the training segment only (fit and early stopping); `dataRange` every bar its
 * training read, the calibration and test segments after it included (models/registry/model-data-span.ts;
 * null when the registry records only `trainRange`); `dataBeforeWindow`: whether `dataRange` ends
 * by the window's start (null without one), as a backtest's report.json says it.
 */
export type DemoSummaryModel = Readonly<{
  ref: string;
  trainedNow: boolean;
  fromTrainingCache: boolean;
  trainRange: { from: string; to: string };
  dataRange: { from: string; to: string } | null;
  dataBeforeWindow: boolean | null;
  testAccuracy: number | null;
  testLogLoss: number | null;
}>;

/**
 * What became of every approved order: filled in full, expired (with part of it filled, or none),
 * still worked by the venue when the window ended (an order approved on its last bars), or, with
 * the paper venue off, lapsed (past its `expiresAt` with no fill or expiry reported). They add up
 * to `orders`; `fills` counts fill messages, several of one order where the volume cap spread it
 * over bars, so it does not say this.
 */
export type OrderOutcomes = Readonly<{
  filled: number;
  expiredPartlyFilled: number;
  expiredUnfilled: number;
  working: number;
  /** Of `working`, those with part of their quantity filled already. */
  workingPartlyFilled: number;
  /** Past their `expiresAt` with no fill or expiry reported by the venue (the decision stats' `lapsed`; 0 with the paper venue). */
  lapsed: number;
}>;

/** A signal that stopped the demo once its replay was done: the summary is of what it did until then. */
export type DemoInterruption = Readonly<{ signal: string; step: string }>;

/** Fees paid in one quote currency (null: of symbols whose quote is not known). */
export type FeesInCurrency = Readonly<{ currency: string | null; fees: number }>;

/** The summary's order outcomes, from the decision path's counts. */
export function orderOutcomesOf(d: Pick<DecisionStats, 'ordersFilled' | 'expired' | 'expiredPartlyFilled' | 'working' | 'workingPartlyFilled' | 'lapsed'>): OrderOutcomes {
  return { filled: d.ordersFilled, expiredPartlyFilled: d.expiredPartlyFilled, expiredUnfilled: d.expired - d.expiredPartlyFilled, working: d.working, workingPartlyFilled: d.workingPartlyFilled, lapsed: d.lapsed };
}

/**
 * The summary's risk: the book's PnL with the currency the `pnl` feed says it is in (pnlOf), per
 * quote currency where it says none, and the fees per quote currency of their symbols (a fill's fee
 * is in its symbol's quote currency, whatever the book converts its PnL into).
 */
export function demoRiskOf(rs: RiskStatus, d: Pick<DecisionStats, 'fees' | 'feesBySymbol'> | null): NonNullable<DemoSummary['risk']> {
  const pnl = pnlOf(rs);
  const fees = new Map<string | null, number>();
  for (const [symbol, fee] of Object.entries(d?.feesBySymbol ?? {})) fees.set(quoteOf(symbol), (fees.get(quoteOf(symbol)) ?? 0) + fee);
  const byName = (a: string | null, b: string | null): number => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);
  return {
    state: rs.state,
    currency: pnl.currency,
    equity: rs.pnl.equity,
    realised: rs.pnl.realised,
    unrealised: rs.pnl.unrealised,
    fees: d?.fees ?? 0,
    feesByCurrency: [...fees.entries()].sort(([a], [b]) => byName(a, b)).map(([currency, f]) => ({ currency, fees: f })),
    ...(pnl.byCurrency === undefined ? {} : { byCurrency: pnl.byCurrency }),
    positions: rs.positions.map((p) => ({ symbol: p.symbol, qty: p.qty })),
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The summary's model: its ranges and whether all the data its training read ends by `from`, the window's start. */
export function demoSummaryModel(demoModel: Pick<DemoModel, 'trained' | 'cached'> & Readonly<{ model: Pick<ModelVersion, 'name' | 'version' | 'trainRange' | 'metrics' | 'details'> }>, from: number): DemoSummaryModel {
  const m = demoModel.model;
  const span = modelDataSpan(m);
  return {
    ref: `${m.name}@${m.version}`,
    trainedNow: demoModel.trained && !demoModel.cached,
    fromTrainingCache: demoModel.cached,
    trainRange: { from: iso(m.trainRange.from), to: iso(m.trainRange.to) },
    dataRange: span === undefined ? null : { from: iso(span.dataRange.from), to: iso(span.dataRange.to) },
    dataBeforeWindow: span === undefined ? null : span.dataRange.to <= from,
    testAccuracy: m.metrics['test_accuracy'] ?? null,
    testLogLoss: m.metrics['test_log_loss'] ?? null,
  };
}

const day = (isoTime: string): string => isoTime.slice(0, 10);

/**
 * The summary's model line: where it came from, its training range, then how far the rest of its
 * data (calibration, test) ran and whether all of it is before the window. The training range
 * alone read as if the model had seen nothing of the last year before the window.
 */
export function demoModelLine(m: DemoSummaryModel): string {
  const acc = m.testAccuracy === null ? '?' : `${(100 * m.testAccuracy).toFixed(1)}%`;
  const source = m.trainedNow ? 'trained now' : `${m.fromTrainingCache ? 'from the training cache' : 'from the registry'}, trained`;
  const trained = `${source} on ${day(m.trainRange.from)} → ${day(m.trainRange.to)}`;
  const rest =
    m.dataRange === null
      ? 'its calibration and test data are not recorded'
      : `calibrated and tested to ${day(m.dataRange.to)}, ${m.dataBeforeWindow === true ? 'all before the window' : 'NOT all before the window'}`;
  return `${m.ref} (${trained}, ${rest}; test accuracy ${acc}, log loss ${m.testLogLoss?.toFixed(4) ?? '?'})`;
}

/** The demo's summary, from what its engine counted. */
export function summaryOf(
  opts: Readonly<{ from: number; to: number; timeframe: string; symbols: readonly string[] }>,
  adapters: Adapters,
  engine: Engine,
  demoModel: DemoModel,
  run: Readonly<{ published: number; injected: number; warmup: DemoWarmup; seconds: number; labeling: DemoLabeling | null; learning?: DemoLearning | null; interrupted?: DemoInterruption | null }>,
): DemoSummary {
  const c = engine.counters;
  const d = engine.decisions?.path.stats() ?? null;
  const rs = engine.decisions?.risk.status();
  return {
    adapters: { bus: adapters.bus.kind, features: adapters.features.kind, timeseries: adapters.timeseries.flavor, fallbacks: adapters.fallbacks },
    window: { from: new Date(opts.from).toISOString(), to: new Date(opts.to).toISOString(), timeframe: opts.timeframe, symbols: opts.symbols },
    published: run.published,
    injectedFaults: run.injected,
    messagesIn: c.messagesIn,
    accepted: c.accepted,
    featuresOut: c.featuresOut,
    refused: c.refused,
    rowsWritten: c.rowsWritten,
    actors: engine.supervisor.status().map((s) => ({ key: s.key, state: s.state })),
    model: demoSummaryModel(demoModel, opts.from),
    predictions: d?.predictions ?? 0,
    warmup: run.warmup,
    suggestions: d?.suggestions ?? 0,
    orders: d?.orders ?? 0,
    rejects: d?.rejects ?? 0,
    rejectsByReason: d?.rejectsByReason ?? {},
    orderOutcomes: d === null ? null : orderOutcomesOf(d),
    fills: d?.fills ?? 0,
    decisions: d,
    risk: rs === undefined ? null : demoRiskOf(rs, d),
    labeling: run.labeling,
    learning: run.learning ?? null,
    interrupted: run.interrupted ?? null,
    seconds: Math.round(run.seconds * 100) / 100,
    messagesPerSecond: Math.round(c.messagesIn / run.seconds),
  };
}

/**
 * The summary's positions: each quantity to 4 significant digits (a residual such as -0.008119
 * as it is), a flat one as `0` (`toPrecision(4)` printed it `0.000`, as if a quantity were rounded away).
 */
export function positionsLine(positions: readonly Readonly<{ symbol: string; qty: number }>[]): string {
  return positions.map((p) => `${p.symbol}=${p.qty === 0 ? '0' : String(Number(p.qty.toPrecision(4)))}`).join(' ') || 'none';
}

/** The orders line (after `orders          `): how many risk approved, and what became of each. */
export function ordersLine(orders: number, o: OrderOutcomes | null): string {
  if (o === null) return `${orders} approved by risk`;
  const parts = [`${o.filled} filled in full`];
  if (o.expiredPartlyFilled > 0) parts.push(`${o.expiredPartlyFilled} partly filled, then expired`);
  parts.push(`${o.expiredUnfilled} expired unfilled`);
  const partly = o.workingPartlyFilled === 0 ? 'none' : o.workingPartlyFilled === o.working ? 'all' : String(o.workingPartlyFilled);
  parts.push(`${o.working} still working at the venue when the window ended${o.working > 0 ? ` (${partly} of them partly filled)` : ''}`);
  if (o.lapsed > 0) parts.push(`${o.lapsed} past their expiresAt with no fill or expiry reported by the venue`);
  return `${orders} approved by risk: ${parts.join(', ')}`;
}

const money = (n: number, currency: string | null): string => `${n.toFixed(2)} ${currency ?? '(unknown currency)'}`;

/** The fills line's fees: in their quote currency, per currency when there are several (none paid: in the book's). */
export function feesText(r: Pick<NonNullable<DemoSummary['risk']>, 'currency' | 'fees' | 'feesByCurrency'>): string {
  if (r.feesByCurrency.length === 0) return `fees ${money(r.fees, r.currency)}`;
  return `fees ${r.feesByCurrency.map((c) => money(c.fees, c.currency)).join(' · ')}`;
}

/** The risk line (after `risk            `): state and PnL after fees, with its quote currency, or per currency (not added up) when there are several. */
export function riskLine(r: NonNullable<DemoSummary['risk']>): string {
  if (r.byCurrency === undefined) {
    return `${r.state}, PnL ${money(r.equity, r.currency)} (realised ${money(r.realised, r.currency)}, unrealised ${money(r.unrealised, r.currency)}, after fees)`;
  }
  const each = r.byCurrency.map((c) => `${money(c.equity, c.currency)} (realised ${c.realised.toFixed(2)}, unrealised ${c.unrealised.toFixed(2)})`);
  return `${r.state}, PnL in ${r.byCurrency.length} quote currencies, not added up: ${each.join(' · ')}, after fees`;
}

/** The summary as `sextant demo` prints it: a table on stdout, then its JSON on the last line. */
export function printSummary(s: DemoSummary): void {
  const out = process.stdout;
  out.write('\nSextant demo summary\n');
  if (s.interrupted !== null) out.write(`  interrupted     by ${s.interrupted.signal} while ${s.interrupted.step}: what it did until then\n`);
  out.write(`  adapters        bus=${s.adapters.bus} features=${s.adapters.features} timeseries=${s.adapters.timeseries}\n`);
  for (const f of s.adapters.fallbacks) out.write(`  fallback        ${f}\n`);
  out.write(`  window          ${s.window.symbols.join(', ')} ${s.window.timeframe} ${s.window.from} → ${s.window.to}\n`);
  out.write(`  published       ${s.published} bars (+${s.injectedFaults} injected bad messages)\n`);
  out.write(`  messages in     ${s.messagesIn} (${s.accepted} accepted) in ${s.seconds}s, ${s.messagesPerSecond} msg/s\n`);
  out.write(`  features out    ${s.featuresOut}\n`);
  const refused = Object.entries(s.refused);
  out.write(`  refused         ${refused.length === 0 ? 'none' : refused.map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
  const w = s.rowsWritten;
  out.write(`  rows written    bars=${w.bars} trades=${w.trades} quotes=${w.quotes} features=${w.features}\n`);
  out.write(`  actors          ${s.actors.map((a) => `${a.key}=${a.state}`).join(' ')}\n`);
  if (s.model !== null) out.write(`  model           ${demoModelLine(s.model)}\n`);
  out.write(`  predictions     ${s.predictions} (${s.decisions?.withIntent ?? 0} with a position intent)\n`);
  if (s.warmup.short.length > 0) {
    out.write(`  warm-up         ${s.warmup.short.map((w) => `${w.symbol} ${w.bars} of ${s.warmup.needed} bars`).join(', ')} before a first prediction: widen the window (--from earlier or --to later)\n`);
  }
  const held = s.decisions?.intentsHeld ?? 0;
  const cancelled = s.decisions?.parentsCancelled ?? 0;
  const flattens = s.decisions?.flattens ?? 0;
  const replanned = s.decisions?.parentsReplanned ?? 0;
  const lapsed = s.decisions?.parentsLapsed ?? 0;
  out.write(`  suggestions     ${s.suggestions}${held + cancelled > 0 ? ` (trading halted or reducing: ${held} intents held, ${cancelled} parent orders cancelled)` : ''}${flattens > 0 ? ` (${flattens} parent orders to flat after a limit breach or an operator's flatten)` : ''}${replanned + lapsed > 0 ? ` (after holes in the data: ${replanned} parent orders re-planned, ${lapsed} lapsed)` : ''}\n`);
  out.write(`  orders          ${ordersLine(s.orders, s.orderOutcomes)}\n`);
  const rej = Object.entries(s.rejectsByReason);
  out.write(`  rejects         ${s.rejects}${rej.length === 0 ? '' : ` (${rej.map(([k, v]) => `${k}=${v}`).join(' ')})`}\n`);
  const fees = s.risk !== null ? ` (${feesText(s.risk)})` : s.decisions === null ? '' : ` (fees ${s.decisions.fees.toFixed(2)})`;
  out.write(`  fills           ${s.fills}${fees}\n`);
  if (s.risk !== null) {
    out.write(`  risk            ${riskLine(s.risk)}\n`);
    out.write(`  positions       ${positionsLine(s.risk.positions)}\n`);
  }
  if (s.labeling !== null) out.write(`  labeling        ${demoLabelingLine(s.labeling)}\n`);
  if (s.learning !== null) out.write(`  learning        ${demoLearningLine(s.learning)}\n`);
  out.write(`${JSON.stringify(s)}\n`);
}

