import { curveJson, jsonWithCurves } from './curve-json.js';
import type { CurveJson } from './curve-json.js';
import { writeReportFiles } from './report-files.js';
import type { PerformanceMetrics } from '../../models/backtest/performance-metrics.js';
import type { OpenPosition, PositionPoint, Positions } from '../../models/backtest/positions.js';
import type { ClosedTrade } from '../../models/backtest/trade-stats.js';
import type { RiskOverWindow } from '../../models/risk/risk-over-window.js';
import { modelLine } from './model-line.js';
import type { ReportModel } from './model-line.js';
import { amount, COLORS, day, DRAWDOWN_AXIS, drawdownLabel, drawdownOf, metricsTable, money, price, REPORT_CSS } from './report-parts.js';
import type { EquityPoints } from './report-parts.js';
import { escapeHtml, svgLineChart } from './svg-chart.js';
import type { ChartMarker, ChartSeries } from './svg-chart.js';

/** A curve to draw and to write: `name` as the chart's legend shows it ('buy and hold'), its JSON key with `_` for spaces. */
export type Curve = Readonly<{ name: string; equity: EquityPoints }>;

/**
 * What `report.json` holds beside the {@link BacktestReport} fields, written last: the equity
 * curves the metrics were computed from (`strategy`, and the baselines `buy_and_hold` and
 * `grid`), each starting with the capital at `window.from` ({@link CurveJson}). Added within
 * `version` 1: a field more, none changed.
 */
export type BacktestReportCurves = Readonly<{ curves: Readonly<Record<string, CurveJson>> }>;

/** What `report.json` holds (then `curves`: {@link BacktestReportCurves}): the run's setup, the strategy's metrics and the baselines' on the same data and costs. */
export type BacktestReport = Readonly<{
  version: 1;
  window: Readonly<{ from: string; to: string }>;
  /** The venue id the bars ran under (a spec's `venue:`, else the config's `venue`). */
  venue: string;
  symbols: readonly string[];
  timeframe: string;
  capital: number;
  /**
   * The account currency (`risk.accountCurrency`, else the symbols' one quote currency: `USDT` for
   * BTC/USDT and ETH/USDT): the unit of `capital`, the curves' equity, the positions' values and
   * the money metrics (`average_trade`, `gross_profit`, `gross_loss`, `fees_paid`). Every symbol is
   * quoted in it: a backtest of symbols quoted in another is refused before it trains
   * (cli/commands/backtest-currency.ts), as the trades, fees and baselines are not converted.
   * Null only for symbols with no quote currency.
   */
  currency: string | null;
  /** The strategy's name (`--strategy`, a spec's `strategy.name`, else the config's `strategy.name`). */
  strategy: string;
  /** The served model and the data it saw ({@link ReportModel}): `dataBeforeWindow` says whether any of it came from the window or later. */
  model: ReportModel;
  costs: Readonly<Record<string, unknown>>;
  execution: Readonly<Record<string, unknown>>;
  /** The risk actor's limits the run used (`risk.limits` of the config, allowlist set to the symbols): a breach halts it. */
  riskLimits: Readonly<Record<string, unknown>>;
  counts: Readonly<Record<string, unknown>>;
  /** Holes in the bars of the window (the data has documented gaps), per symbol. */
  gaps: readonly Readonly<{ symbol: string; from: string; to: string; missingBars: number }>[];
  metrics: PerformanceMetrics;
  baselines: Readonly<{ buy_and_hold: PerformanceMetrics; grid: PerformanceMetrics }>;
  /**
   * The risk actor's trading state over the run: every change (a daily-loss or drawdown limit
   * switches it to HALTED by itself, and nothing resumes a backtest, so no order passes after
   * that), and the state at the end.
   */
  risk: RiskOverWindow;
  /** The strategy's positions still open at the end (net of its fills), by symbol. */
  positions: readonly OpenPosition[];
  run: Readonly<{ events: number; seconds: number; eventsPerSecond: number }>;
  /** What the reader should know before trusting the figures (a symbol risk never let trade). */
  warnings: readonly string[];
}>;

/** One sentence on the run's risk state, for the report and the command's output. */
export function riskSummary(risk: RiskOverWindow): string {
  const last = risk.transitions.at(-1);
  if (last === undefined) return `trading stayed ${risk.finalState} throughout`;
  const halted = risk.finalState === 'HALTED' ? `; HALTED from ${last.at} to the end (${last.reason}): no order passed risk after that` : '';
  return `${risk.transitions.length} trading-state change${risk.transitions.length === 1 ? '' : 's'}, ${risk.finalState} at the end${halted}`;
}

/**
 * Writes `<dir>/report.json` and `<dir>/report.html`. The HTML is self-contained (inline SVG and
 * CSS, no script, no network): equity of the strategy with the baselines overlaid, the
 * strategy's drawdown, the metrics side by side, its positions over time and at the end, and its
 * trades.
 */
export function writeBacktestReport(dir: string, report: BacktestReport, curves: readonly Curve[], trades: readonly ClosedTrade[], positions?: Positions): { json: string; html: string } {
  const series: ChartSeries[] = curves.map((c, i) => ({ name: c.name, color: COLORS[i % COLORS.length] as string, points: c.equity.map((p) => [p.ts, p.equity] as const) }));
  const strategy = curves[0];
  const dd: ChartSeries[] = strategy === undefined ? [] : [{ name: `${strategy.name} drawdown`, color: '#d62728', points: drawdownOf(strategy.equity, report.capital) }];
  // Where the risk actor changed the trading state (a halt most of all), on both charts.
  const markers: ChartMarker[] = report.risk.transitions.map((t) => ({ x: Date.parse(t.at), label: `${t.state} (${t.reason.split(':')[0] ?? t.reason})`, color: t.state === 'ACTIVE' ? '#2ca02c' : '#d62728' }));
  const columns: [string, PerformanceMetrics][] = [
    ['strategy', report.metrics],
    ['buy and hold', report.baselines.buy_and_hold],
    ['grid', report.baselines.grid],
  ];
  const table = metricsTable(columns, report.currency);
  // Net position value per symbol (quantity × the fill's price) after each fill: comparable across symbols.
  const positionSeries: ChartSeries[] = [...(positions?.history ?? new Map<string, readonly PositionPoint[]>()).entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([symbol, pts], i) => {
      // Flat from the window's start, held from the last fill to its end: the chart spans the window.
      // A step: each value is held until the next fill (a line straight from one fill to the next
      // drew a position flat for days as one growing through them).
      const from = Date.parse(report.window.from);
      const to = Date.parse(report.window.to);
      const points: (readonly [number, number])[] = [[from, 0]];
      let held = 0;
      for (const p of pts) {
        points.push([p.ts, held], [p.ts, p.value]);
        held = p.value;
      }
      points.push([to, held]);
      return { name: symbol, color: COLORS[i % COLORS.length] as string, points };
    });
  const openRows = report.positions
    .map((p) => `<tr><td>${escapeHtml(p.symbol)}</td><td>${p.qty > 0 ? 'long' : 'short'}</td><td>${Math.abs(p.qty).toPrecision(4)}</td><td>${p.avgEntryPrice.toPrecision(6)}</td><td>${p.lastPrice.toPrecision(6)}</td><td>${escapeHtml(amount(p.qty * (p.lastPrice - p.avgEntryPrice), report.currency))}</td></tr>`)
    .join('\n');
  const tradeRows = trades
    .slice(0, 500)
    .map((t) => `<tr><td>${escapeHtml(t.symbol)}</td><td>${t.side}</td><td>${new Date(t.entryTs).toISOString()}</td><td>${new Date(t.exitTs).toISOString()}</td><td>${t.qty.toPrecision(4)}</td><td>${price(t.entryPrice)}</td><td>${price(t.exitPrice)}</td><td>${escapeHtml(amount(t.pnl, report.currency))}</td></tr>`)
    .join('\n');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sextant backtest ${escapeHtml(report.symbols.join(', '))} ${escapeHtml(report.window.from.slice(0, 10))} → ${escapeHtml(report.window.to.slice(0, 10))}</title>
<style>${REPORT_CSS}</style></head>
<body>
<h1>Backtest: ${escapeHtml(report.symbols.join(', '))} ${escapeHtml(report.timeframe)}</h1>
<p>${escapeHtml(report.window.from)} → ${escapeHtml(report.window.to)} (the end excluded: the last bar opens one bar before it) · venue ${escapeHtml(report.venue)} · capital ${money(report.capital)}${report.currency === null ? '' : ` ${escapeHtml(report.currency)}`} · strategy ${escapeHtml(report.strategy)} · ${report.run.events} events in ${report.run.seconds.toFixed(1)} s</p>
${modelLine(report.model, report.window)}
${report.warnings.length === 0 ? '' : `<ul class="warnings">${report.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`}
${svgLineChart('Equity (strategy and baselines, same data and costs)', series, day, money, markers)}
${svgLineChart('Drawdown of the strategy', dd, day, drawdownLabel, markers, DRAWDOWN_AXIS)}
<h2>Metrics</h2>
${table}
<h2>Positions</h2>
${positionSeries.length === 0 ? '<p>no fills: the strategy held nothing</p>' : svgLineChart('Position value per symbol (net quantity × fill price, after each fill)', positionSeries, day, money, markers)}
${report.positions.length === 0 ? '<p>flat at the end of the window</p>' : `<table class="positions"><thead><tr><th>open at the end</th><th>side</th><th>qty</th><th>avg entry</th><th>last fill price</th><th>unrealised at that price</th></tr></thead><tbody>${openRows}</tbody></table>`}
<h2>Risk state</h2>
<p class="risk">${escapeHtml(riskSummary(report.risk))}</p>
${report.risk.transitions.length === 0 ? '' : `<table class="risk"><thead><tr><th>event time</th><th>from</th><th>to</th><th>reason</th></tr></thead><tbody>${report.risk.transitions.map((t) => `<tr><td>${escapeHtml(t.at)}</td><td>${t.previous}</td><td>${t.state}</td><td>${escapeHtml(t.reason)}</td></tr>`).join('')}</tbody></table>`}
<h2>Data gaps (${report.gaps.length})</h2>
${report.gaps.length === 0 ? '<p>none in this window</p>' : `<table class="gaps"><thead><tr><th>symbol</th><th>last bar before</th><th>first bar after</th><th>missing bars</th></tr></thead><tbody>${report.gaps.map((g) => `<tr><td>${escapeHtml(g.symbol)}</td><td>${escapeHtml(g.from)}</td><td>${escapeHtml(g.to)}</td><td>${g.missingBars}</td></tr>`).join('')}</tbody></table>`}
<h2>Costs, execution and risk limits</h2>
<pre>${escapeHtml(JSON.stringify({ costs: report.costs, execution: report.execution, riskLimits: report.riskLimits, counts: report.counts }, null, 2))}</pre>
<h2>Trades (${trades.length}${trades.length > 500 ? ', first 500 shown' : ''})</h2>
<table class="trades"><thead><tr><th>symbol</th><th>side</th><th>entry</th><th>exit</th><th>qty</th><th>entry price</th><th>exit price</th><th>pnl</th></tr></thead><tbody>
${tradeRows}
</tbody></table>
</body></html>
`;
  const [json, htmlPath] = writeReportFiles(dir, [
    { name: 'report.json', content: jsonWithCurves(report, curvesJson(report, curves)) },
    { name: 'report.html', content: html },
  ]) as [string, string];
  return { json, html: htmlPath };
}

/** The curves as report.json holds them, keyed 'strategy', 'buy_and_hold', 'grid'. */
function curvesJson(report: BacktestReport, curves: readonly Curve[]): Record<string, CurveJson> {
  const from = Date.parse(report.window.from);
  return Object.fromEntries(curves.map((c) => [c.name.replaceAll(' ', '_'), curveJson(from, report.capital, c.equity)]));
}
