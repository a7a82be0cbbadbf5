import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeBacktestReport } from '../../gateways/report/backtest-report.js';
import { reportFixture } from './report-fixture.js';
import { price } from '../../gateways/report/report-parts.js';
import { performanceMetrics } from '../../models/backtest/performance-metrics.js';
import type { ClosedTrade } from '../../models/backtest/trade-stats.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 8, 6);

describe("the report's trades table", () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-report-prices-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows a sub-cent coin\'s prices with their significant digits (PEPE read 0.0000), a dollar price with four decimals', () => {
    const trades: ClosedTrade[] = [
      { symbol: 'PEPE/USDT', side: 'long', entryTs: T0, exitTs: T0 + 8 * H, qty: 1.381e8, entryPrice: 0.0000072412, exitPrice: 0.0000068067, pnl: -60, fees: 0.2 },
      { symbol: 'BTC/USDT', side: 'long', entryTs: T0, exitTs: T0 + 8 * H, qty: 0.01758, entryPrice: 55398.5311, exitPrice: 53416.5342, pnl: -36.76, fees: 0.2 },
    ];
    const equity = [
      { ts: T0 + H, equity: 10_000 },
      { ts: T0 + 9 * H, equity: 9_903 },
    ];
    const metrics = performanceMetrics({ startTs: T0, startingCapital: 10_000, equity, grossExposure: [0, 0], trades, feesPaid: 0.4, tradedNotional: 2000, periodsPerYear: 8760 });
    const report = reportFixture(metrics, { from: T0, to: T0 + 10 * H }, { symbols: ['BTC/USDT', 'PEPE/USDT'], run: { events: 20, seconds: 0.1, eventsPerSecond: 200 } });
    const { html } = writeBacktestReport(dir, report, [{ name: 'strategy', equity }], trades);
    const text = readFileSync(html, 'utf8');
    expect(text).toContain('<td>0.00000724120</td><td>0.00000680670</td>');
    expect(text).toContain('<td>55398.5311</td><td>53416.5342</td>');
    expect(text).not.toContain('<td>0.0000</td>');
    expect(price(0.5)).toBe('0.500000');
  });
});
