import { describe, expect, it } from 'vitest';
import { duration, metricsTable } from '../../gateways/report/report-parts.js';
import { performanceMetrics } from '../../models/backtest/performance-metrics.js';

const M = 60_000;

describe('report.html: the max drawdown duration in a unit that shows it', () => {
  it('minutes under an hour, hours under a day, days from a day up; — for none', () => {
    expect(duration(0)).toBe('0.0 min');
    expect(duration(40 * M)).toBe('40.0 min');
    expect(duration(90 * M)).toBe('1.5 h');
    expect(duration(36 * 60 * M)).toBe('1.5 days');
    expect(duration(null)).toBe('—');
  });

  it('a 1m backtest’s 3-minute drawdown reads 3.0 min in the metrics table, not 0.0 days', () => {
    // 100 → 99 → 98 → 101 on 1m bars: under water from the start to the third minute's close.
    const t0 = Date.UTC(2024, 0, 1);
    const m = performanceMetrics({
      startTs: t0,
      startingCapital: 100,
      equity: [99, 98, 101, 101].map((equity, i) => ({ ts: t0 + (i + 1) * M, equity })),
      grossExposure: [1, 1, 1, 1],
      trades: [],
      feesPaid: 0,
      tradedNotional: 0,
      periodsPerYear: 525_600,
    });
    expect(m.max_drawdown_duration_ms).toBe(3 * M);
    const html = metricsTable([['strategy', m]], 'USDT');
    expect(html).toContain('<tr><td>max drawdown duration</td><td>3.0 min</td></tr>');
  });
});
