import { curveJson, jsonWithCurves } from './curve-json.js';
import { writeReportFiles } from './report-files.js';
import type { PerformanceMetrics } from '../../models/backtest/performance-metrics.js';
import type { RiskOverWindow } from '../../models/risk/risk-over-window.js';
import { riskSummary } from './backtest-report.js';
import { COLORS, day, DRAWDOWN_AXIS, drawdownLabel, drawdownOf, metricsTable, money, pct, REPORT_CSS } from './report-parts.js';
import type { EquityPoints } from './report-parts.js';
import type { CurveJson } from './curve-json.js';
import { escapeHtml, svgLineChart } from './svg-chart.js';
import { numberedWarningLines } from './warning-groups.js';
import type { ChartMarker, ChartSeries } from './svg-chart.js';

export type WalkForwardSegment = Readonly<{
  from: string;
  to: string;
  /**
   * The model's `trainRange.to`: the end of its training segment only. Its validation,
   * calibration and test segments come after it, up to `modelDataTo`.
   */
  trainedTo: string;
  /**
   * The end of every bar the segment's model read (its fit, early stopping, calibration and test
   * scores: its report.json's `model.dataRange.to`, else `trainRange.to`), at most from − embargo:
   * no bar of the segment, nor of the embargo before it, reached the model.
   */
  modelDataTo: string;
  model: string;
  capitalIn: number;
  /** After closing what the segment still held at its end (`closingCost`): the next segment starts flat with it. */
  capitalOut: number;
  /** Spread, impact and fees of closing the segment's open positions at its last close (0 when flat). */
  closingCost: number;
  metrics: PerformanceMetrics;
  /** The segment's risk state (each segment's risk actor starts afresh, ACTIVE). */
  risk: RiskOverWindow;
  /**
   * What the segment's backtest warned of: its `segment-<n>/report.json`'s `warnings` (none of its
   * orders filled, a symbol risk never let trade, a ruin, …), then its data starting or ending
   * inside it (which a single backtest says on stderr only: the report lists the gap).
   */
  warnings: readonly string[];
}>;

/**
 * What `walk-forward.json` holds, then `curves` (as in report.json, {@link CurveJson}): `strategy`
 * (the stitched out-of-sample curve, from the capital at the first segment's start), and
 * `buy_and_hold` and `grid` over the same span, so every metric's total return and max drawdown
 * can be recomputed. Added within `version` 1; `equity` stays as it was.
 */
export type WalkForwardReport = Readonly<{
  version: 1;
  symbols: readonly string[];
  timeframe: string;
  stepMs: number;
  embargoMs: number;
  capital: number;
  /**
   * The account currency, every symbol's quote currency (`USDT` for BTC/USDT and ETH/USDT;
   * symbols quoted in others are refused, as for a backtest): the unit of `capital`, the segments'
   * capital and closing costs, the equity and the money metrics. Null only for symbols with no
   * quote currency.
   */
  currency: string | null;
  segments: readonly WalkForwardSegment[];
  /** Metrics of the stitched out-of-sample equity curve. */
  metrics: PerformanceMetrics;
  /** The baselines over the whole span (every segment's bars), with the walk-forward's capital and the same costs. */
  baselines: Readonly<{ buy_and_hold: PerformanceMetrics; grid: PerformanceMetrics }>;
  /**
   * What a reader must know to read the figures, of the walk-forward as a whole: a ruined curve,
   * segments not run after a ruin. Each segment's own are its `warnings`; {@link walkForwardWarnings}
   * gives both, a segments' warning once for all the segments that gave it.
   */
  warnings: readonly string[];
  /** The stitched out-of-sample equity curve, one point per bar: each segment's curve, in order. */
  equity: EquityPoints;
}>;

/**
 * Every warning of a walk-forward, as the terminal and `walk-forward.html` say them: its own, then
 * each distinct one of its segments once, naming the segments that gave it (`segments 1, 3: …`).
 */
export function walkForwardWarnings(report: Pick<WalkForwardReport, 'warnings' | 'segments'>): string[] {
  return [...report.warnings, ...numberedWarningLines('segment', report.segments.map((s, i) => ({ n: i + 1, warnings: s.warnings })))];
}

/**
 * Writes `<dir>/walk-forward.json` and `<dir>/walk-forward.html`: the stitched out-of-sample
 * equity with the baselines over the same span overlaid and each segment's start marked, its
 * drawdown, the metrics side by side, and a row per segment (its model, the end of its data, capital
 * in and out, return and risk state). Self-contained like the backtest report (inline SVG, no
 * script, no network).
 */
export function writeWalkForwardReport(dir: string, report: WalkForwardReport, baselineCurves: Readonly<{ buy_and_hold: EquityPoints; grid: EquityPoints }>): { json: string; html: string } {
  const curves: [string, EquityPoints][] = [
    ['strategy (out of sample)', report.equity],
    ['buy and hold', baselineCurves.buy_and_hold],
    ['grid', baselineCurves.grid],
  ];
  const series: ChartSeries[] = curves.map(([name, eq], i) => ({ name, color: COLORS[i % COLORS.length] as string, points: eq.map((p) => [p.ts, p.equity] as const) }));
  const markers: ChartMarker[] = report.segments.map((s, i) => ({ x: Date.parse(s.from), label: `segment ${i + 1}: ${s.model}`, color: '#7f7f7f' }));
  const dd: ChartSeries[] = [{ name: 'strategy drawdown', color: '#d62728', points: drawdownOf(report.equity, report.capital) }];
  const rows = report.segments
    .map(
      (s, i) =>
        `<tr><td>${i + 1}</td><td>${escapeHtml(s.from)}</td><td>${escapeHtml(s.to)}</td><td>${escapeHtml(s.model)}</td><td>${escapeHtml(s.modelDataTo)}</td><td>${money(s.capitalIn)}</td><td>${money(s.closingCost)}</td><td>${money(s.capitalOut)}</td><td>${pct(s.metrics.total_return)}</td><td>${escapeHtml(riskSummary(s.risk))}</td></tr>`,
    )
    .join('\n');
  const warnings = walkForwardWarnings(report);
  const first = report.segments[0]?.from ?? '';
  const last = report.segments.at(-1)?.to ?? '';
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sextant walk-forward ${escapeHtml(report.symbols.join(', '))} ${escapeHtml(first.slice(0, 10))} → ${escapeHtml(last.slice(0, 10))}</title>
<style>${REPORT_CSS}</style></head>
<body>
<h1>Walk-forward: ${escapeHtml(report.symbols.join(', '))} ${escapeHtml(report.timeframe)}</h1>
<p>${escapeHtml(first)} → ${escapeHtml(last)} · ${report.segments.length} test windows of ${(report.stepMs / 86_400_000).toFixed(1)} days, each model's data (training, validation, calibration and test segments, and their labels' horizon) ending ${(report.embargoMs / 3_600_000).toFixed(0)} h or more before its window · capital ${money(report.capital)}${report.currency === null ? '' : ` ${escapeHtml(report.currency)}`}, carried from segment to segment</p>
${warnings.length === 0 ? '' : `<ul class="warnings">${warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`}
${svgLineChart('Equity: the stitched out-of-sample segments, and the baselines over the same span', series, day, money, markers)}
${svgLineChart('Drawdown of the strategy', dd, day, drawdownLabel, markers, DRAWDOWN_AXIS)}
<h2>Metrics</h2>
${metricsTable([
  ['strategy (out of sample)', report.metrics],
  ['buy and hold', report.baselines.buy_and_hold],
  ['grid', report.baselines.grid],
], report.currency)}
<h2>Segments (${report.segments.length})</h2>
<table class="segments"><thead><tr><th>#</th><th>from</th><th>to</th><th>model</th><th>model's data to</th><th>capital in</th><th>closing cost</th><th>capital out</th><th>return</th><th>risk</th></tr></thead><tbody>
${rows}
</tbody></table>
<p>Each segment's own backtest report is in <code>segment-&lt;n&gt;/report.html</code>.</p>
</body></html>
`;
  const [json, htmlPath] = writeReportFiles(dir, [
    { name: 'walk-forward.json', content: jsonWithCurves(report, curvesOf(report, baselineCurves)) },
    { name: 'walk-forward.html', content: html },
  ]) as [string, string];
  return { json, html: htmlPath };
}

function curvesOf(report: WalkForwardReport, baselines: Readonly<{ buy_and_hold: EquityPoints; grid: EquityPoints }>): Record<string, CurveJson> {
  // The stitched curve and the baselines are measured from the first segment's start (the walk-forward's --from).
  const from = Date.parse(report.segments[0]?.from ?? '');
  return {
    strategy: curveJson(from, report.capital, report.equity),
    buy_and_hold: curveJson(from, report.capital, baselines.buy_and_hold),
    grid: curveJson(from, report.capital, baselines.grid),
  };
}
