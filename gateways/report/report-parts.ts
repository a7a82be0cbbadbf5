import type { PerformanceMetrics } from '../../models/backtest/performance-metrics.js';
import { quoteOf } from '../../streams/messages/symbol-quote.js';
import { escapeHtml } from './svg-chart.js';

/** What the HTML reports (a backtest's, a walk-forward's) share: colours, number formats, the metrics table. */
export type EquityPoints = readonly Readonly<{ ts: number; equity: number }>[];

/** The stylesheet both reports inline (they open without a server or the network). */
export const REPORT_CSS =
  'body{font-family:sans-serif;margin:24px;max-width:1000px}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}figure{margin:16px 0}figcaption{font-weight:bold;margin-bottom:4px}.warnings{color:#a94400}';

export const COLORS = ['#1f77b4', '#2ca02c', '#d62728', '#9467bd'];
export const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
/** `x` with `digits` decimals, and no sign on what rounds to zero (a −0.00004 return read −0.00 %, a loss that is not there). */
export const fixed = (x: number, digits: number): string => {
  const s = x.toFixed(digits);
  return s.startsWith('-') && Number(s) === 0 ? s.slice(1) : s;
};
export const money = (x: number): string => fixed(x, 0);
/**
 * The quote currency every symbol's prices (and so the run's money: capital, P&L, fees) are in
 * (`BTC/USDT`, `ETH/USDT` → USDT); null when they differ or one is not a ccxt symbol, the sums then
 * adding different currencies.
 */
export function currencyOf(symbols: readonly string[]): string | null {
  const quotes = new Set(symbols.map(quoteOf));
  const [only] = quotes;
  return quotes.size === 1 && only !== undefined ? only : null;
}
/** An amount of money with two decimals and its currency (`-12.35 USDT`); "(mixed quotes)" when the symbols' quote currencies differ. */
export const amount = (x: number | null, currency: string | null): string => (x === null ? '—' : `${fixed(x, 2)} ${currency ?? '(mixed quotes)'}`);
/** A price: four decimals from 1 up, six significant digits below (PEPE's 0.00000763 read 0.0000). */
export const price = (x: number): string => (Math.abs(x) >= 1 ? x.toFixed(4) : x.toPrecision(6));
export const pct = (x: number | null): string => (x === null ? '—' : `${fixed(100 * x, 2)}%`);
export const num = (x: number | null): string => (x === null ? '—' : fixed(x, 3));

/** The drawdown chart's y axis: its top at 0 (a drawdown is never above it), at least 1 % deep, so no drawdown reads 0 % → −1 %, not 0 % → +100 %. */
export const DRAWDOWN_AXIS = { yMax: 0, minSpan: 0.01 } as const;
/** A drawdown's axis label: a percentage with one decimal, 0 without a sign. */
export const drawdownLabel = (y: number): string => `${(100 * y + 0).toFixed(1)}%`;

/** Drawdown from the running peak, which starts at the starting capital (as `max_drawdown` counts it). */
export function drawdownOf(equity: EquityPoints, startingCapital: number): (readonly [number, number])[] {
  let peak = startingCapital;
  return equity.map((p) => {
    peak = Math.max(peak, p.equity);
    return [p.ts, peak > 0 ? -(1 - p.equity / peak) : 0] as const;
  });
}

/**
 * A span of event time in the unit that shows it: days from a day up, hours from an hour, else
 * minutes (one decimal). In days only, every drawdown of a 1m or 5m backtest shorter than 2.4 h
 * read "0.0 days" beside report.json's milliseconds.
 */
export function duration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms >= 86_400_000) return `${(ms / 86_400_000).toFixed(1)} days`;
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** A row of the metrics table: its label, the metric, and how a value prints (`currency`: the run's quote currency, for money). */
const METRIC_ROWS: readonly [string, keyof PerformanceMetrics, (x: number | null, currency: string | null) => string][] = [
  ['total return', 'total_return', pct],
  ['annualised return', 'annualised_return', pct],
  ['volatility', 'volatility', pct],
  ['Sharpe', 'sharpe', num],
  ['Sortino', 'sortino', num],
  ['max drawdown', 'max_drawdown', pct],
  ['max drawdown duration', 'max_drawdown_duration_ms', duration],
  ['Calmar', 'calmar', num],
  ['trades', 'trades', (x) => (x === null ? '—' : String(x))],
  ['win rate', 'win_rate', pct],
  ['profit factor', 'profit_factor', num],
  ['gross profit', 'gross_profit', amount],
  ['gross loss', 'gross_loss', amount],
  ['average trade', 'average_trade', amount],
  ['turnover', 'turnover', num],
  ['exposure', 'exposure', pct],
  ['fees paid', 'fees_paid', amount],
];

/**
 * The metrics side by side, one column per curve (the strategy first, then its baselines); money
 * (gross profit and loss, the sums of the winning and of the losing trades' P&L, the loss as a
 * positive amount; average trade; fees paid) in `currency` ({@link currencyOf} the symbols) with two decimals,
 * not as a bare three-decimal number that read like a ratio.
 */
export function metricsTable(columns: readonly (readonly [string, PerformanceMetrics])[], currency: string | null): string {
  return `<table class="metrics"><thead><tr><th>metric</th>${columns.map(([n]) => `<th>${escapeHtml(n)}</th>`).join('')}</tr></thead><tbody>
${METRIC_ROWS.map(([label, key, f]) => `<tr><td>${escapeHtml(label)}</td>${columns.map(([, m]) => `<td>${escapeHtml(f(m[key] as number | null, currency))}</td>`).join('')}</tr>`).join('\n')}
</tbody></table>`;
}
