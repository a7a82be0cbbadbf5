import type { BacktestReport } from '../../gateways/report/backtest-report.js';
import type { PerformanceMetrics } from '../../models/backtest/performance-metrics.js';

/**
 * A report for tests of the HTML: one BTC/USDT 1h window from `from` to `to`, the strategy's
 * `metrics` also as both baselines, nothing recorded for costs, execution, limits or gaps, a
 * model whose registry records only its training range.
 * `over` replaces any field.
 */
export function reportFixture(metrics: PerformanceMetrics, window: Readonly<{ from: number; to: number }>, over: Partial<BacktestReport> = {}): BacktestReport {
  return {
    version: 1,
    window: { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() },
    venue: 'binance',
    symbols: ['BTC/USDT'],
    timeframe: '1h',
    capital: 10_000,
    strategy: 'dirmlp',
    currency: 'USDT',
    model: { ref: 'direction-mlp@1', trainRange: { from: '2021-01-01T00:00:00.000Z', to: '2024-01-01T00:00:00.000Z' }, testAccuracy: null, testLogLoss: null, dataRange: null, split: null, dataBeforeWindow: null },
    costs: {},
    execution: {},
    riskLimits: {},
    counts: {},
    gaps: [],
    metrics,
    baselines: { buy_and_hold: metrics, grid: metrics },
    risk: { transitions: [], finalState: 'ACTIVE' },
    positions: [],
    run: { events: 4, seconds: 0.1, eventsPerSecond: 40 },
    warnings: [],
    ...over,
  };
}
