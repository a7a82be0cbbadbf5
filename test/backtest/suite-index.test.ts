import { describe, expect, it } from 'vitest';
import { suiteIndexHtml } from '../../cli/commands/backtest-suite.js';
import type { SuiteRow } from '../../cli/commands/backtest-suite.js';
import type { PerformanceMetrics } from '../../models/backtest/performance-metrics.js';
import { reportFixture } from './report-fixture.js';

const metrics = (totalReturn: number, maxDrawdown: number, sharpe: number): PerformanceMetrics =>
  ({ total_return: totalReturn, max_drawdown: maxDrawdown, sharpe }) as unknown as PerformanceMetrics;

describe('the regime suite index page', () => {
  it('shows every window, in order, with its dates, symbols left out, metrics and a link to its report or its error', () => {
    const w = (from: number, to: number): Readonly<{ from: string; to: string }> => ({ from: new Date(from).toISOString(), to: new Date(to).toISOString() });
    const bear = w(Date.UTC(2022, 0, 1), Date.UTC(2023, 0, 1));
    const crash = w(Date.UTC(2024, 7, 1), Date.UTC(2024, 8, 1));
    const rows: SuiteRow[] = [
      {
        window: '2022 bear year (LUNA, FTX)',
        ...bear,
        symbols: ['BTC/USDT', 'ETH/USDT'],
        skipped: [{ symbol: 'PEPE/USDT', why: 'no data at the start of the window' }],
        report: reportFixture(metrics(-0.153, 0.154, -1.45), { from: Date.UTC(2022, 0, 1), to: Date.UTC(2023, 0, 1) }, { baselines: { buy_and_hold: metrics(-0.715, 0.738, -1.1), grid: metrics(-0.429, 0.501, -0.86) } }),
        error: null,
        warnings: [],
      },
      { window: 'empty <window>', ...crash, symbols: [], skipped: [], report: null, error: 'no symbol has data for this window', warnings: [] },
      { window: '2024-08 crash month', ...crash, symbols: ['BTC/USDT'], skipped: [], report: reportFixture(metrics(0.012, 0.012, 1.99), { from: Date.UTC(2024, 7, 1), to: Date.UTC(2024, 8, 1) }), error: null, warnings: [] },
    ];
    const html = suiteIndexHtml(rows);
    const body = html.slice(html.indexOf('<tbody>'));
    const trs = body.split('<tr>').slice(1);
    expect(trs).toHaveLength(3);
    expect(trs[0]).toContain('2022 bear year (LUNA, FTX)');
    expect(trs[0]).toContain('2022-01-01T00:00 → 2023-01-01T00:00');
    expect(trs[0]).toContain('left out: PEPE/USDT (no data at the start of the window)');
    expect(trs[0]).toContain('<td>-15.3%</td><td>15.4%</td><td>-1.45</td><td>-71.5%</td><td>73.8%</td><td>-1.10</td><td>-42.9%</td><td>50.1%</td><td>-0.86</td>');
    expect(trs[0]).toContain('<a href="window-1/report.html">');
    expect(trs[1]).toContain('empty &#60;window&#62;');
    expect(trs[1]).toContain('error: no symbol has data for this window');
    expect(trs[1]).not.toContain('href');
    // The link follows the window's place in the suite, as runRegimeSuite names its folders.
    expect(trs[2]).toContain('<a href="window-3/report.html">');
    expect(html).toContain('Regime suite: 3 windows');
  });
});
