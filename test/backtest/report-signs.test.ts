import { describe, expect, it } from 'vitest';
import { metricsTable, money, num, pct } from '../../gateways/report/report-parts.js';
import { performanceMetrics } from '../../models/backtest/performance-metrics.js';

describe('report.html: what rounds to zero has no sign', () => {
  it('pct, num and money drop the minus of a value that rounds to zero, and keep every other sign', () => {
    expect(pct(-0.000_004)).toBe('0.00%');
    expect(pct(-0.000_05)).toBe('-0.01%');
    expect(pct(0.000_004)).toBe('0.00%');
    expect(num(-0.000_4)).toBe('0.000');
    expect(num(-0.000_5)).toBe('-0.001');
    expect(money(-0.4)).toBe('0');
    expect(money(-0.6)).toBe('-1');
    expect(pct(-0)).toBe('0.00%');
    expect(pct(null)).toBe('—');
  });

  it('a flat-to-a-hair strategy reads 0.00 % total return in the metrics table, not -0.00 %', () => {
    const t0 = Date.UTC(2024, 0, 1);
    const H = 3_600_000;
    const m = performanceMetrics({
      startTs: t0,
      startingCapital: 10_000,
      equity: [9_999.9999, 9_999.9998].map((equity, i) => ({ ts: t0 + (i + 1) * H, equity })),
      grossExposure: [0, 0],
      trades: [],
      feesPaid: 0.0002,
      tradedNotional: 0,
      periodsPerYear: 8_760,
    });
    expect(m.total_return).toBeLessThan(0);
    const html = metricsTable([['strategy', m]], 'USDT');
    expect(html).toContain('<tr><td>total return</td><td>0.00%</td></tr>');
    expect(html).not.toContain('-0.00%');
  });
});
