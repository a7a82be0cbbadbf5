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
  fills: number;
  decisions: Readonly<DecisionStats> | null;
  /** `equity`: the risk book's PnL since the start (realised after fees + unrealised; the risk core's name for it). */
  risk: { state: string; equity: number; realised: number; unrealised: number; fees: number; positions: readonly { symbol: string; qty: number }[] } | null;
  /** The learning loop's labeling of the window (null when the engine ran none: no training-sample store). */
  labeling: DemoLabeling | null;
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
  run: Readonly<{ published: number; injected: number; warmup: DemoWarmup; seconds: number; labeling: DemoLabeling | null }>,
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
    fills: d?.fills ?? 0,
    decisions: d,
    risk:
      rs === undefined
        ? null
        : {
            state: rs.state,
            equity: rs.pnl.equity,
            realised: rs.pnl.realised,
            unrealised: rs.pnl.unrealised,
            fees: d?.fees ?? 0,
            positions: rs.positions.map((p) => ({ symbol: p.symbol, qty: p.qty })),
          },
    labeling: run.labeling,
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

/** The summary as `sextant demo` prints it: a table on stdout, then its JSON on the last line. */
export function printSummary(s: DemoSummary): void {
  const out = process.stdout;
  out.write('\nSextant demo summary\n');
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
  out.write(`  orders          ${s.orders} approved by risk\n`);
  const rej = Object.entries(s.rejectsByReason);
  out.write(`  rejects         ${s.rejects}${rej.length === 0 ? '' : ` (${rej.map(([k, v]) => `${k}=${v}`).join(' ')})`}\n`);
  out.write(`  fills           ${s.fills}${s.decisions === null ? '' : ` (fees ${s.decisions.fees.toFixed(2)}, ${s.decisions.expired} orders expired unfilled)`}\n`);
  if (s.risk !== null) {
    out.write(`  risk            ${s.risk.state}, PnL ${s.risk.equity.toFixed(2)} (realised ${s.risk.realised.toFixed(2)}, unrealised ${s.risk.unrealised.toFixed(2)}, after fees)\n`);
    out.write(`  positions       ${positionsLine(s.risk.positions)}\n`);
  }
  if (s.labeling !== null) out.write(`  labeling        ${demoLabelingLine(s.labeling)}\n`);
  out.write(`${JSON.stringify(s)}\n`);
}

