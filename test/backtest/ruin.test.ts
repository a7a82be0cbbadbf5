import { describe, expect, it } from 'vitest';
import { ruinWarning } from '../../cli/commands/backtest-warnings.js';
import { runBuyAndHold } from '../../models/backtest/baselines.js';
import { performanceMetrics } from '../../models/backtest/performance-metrics.js';
import { barId } from '../../streams/messages/bar.js';
import type { Bar } from '../../streams/messages/bar.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/** An hourly BTC bar around `price`, with a range (so the venue learns a σ) and a thin volume. */
const bar = (i: number, price: number): Bar => ({
  type: 'md.bar',
  v: 1,
  id: barId('binance', 'BTC/USDT', '1h', T0 + i * H),
  venue: 'binance',
  symbol: 'BTC/USDT',
  tf: '1h',
  open: price,
  high: price * 1.01,
  low: price * 0.99,
  close: price,
  volume: 10,
  ts: T0 + i * H,
});

// A curve that goes to or below zero is a ruined account, a legitimate outcome: its gross exposure
// (position value / equity) is +Infinity there, which performanceMetrics refused with a raw
// "grossExposure[1] must be a finite number >= 0, got Infinity" and so crashed the backtest.
describe('a ruined account (equity at or below zero) is reported, not refused', () => {
  it('performanceMetrics reports ruined_at_ms and measures exposure over the periods before it', () => {
    const m = performanceMetrics({
      startTs: 0,
      startingCapital: 100,
      equity: [
        { ts: H, equity: 80 },
        { ts: 2 * H, equity: -20 },
        { ts: 3 * H, equity: -30 },
      ],
      grossExposure: [0.5, Number.POSITIVE_INFINITY, Number.NaN],
      trades: [],
      feesPaid: 0,
      tradedNotional: 0,
      periodsPerYear: 8760,
    });
    expect(m.ruined_at_ms).toBe(2 * H);
    expect(m.total_return).toBeCloseTo(-1.3, 12);
    expect(m.max_drawdown).toBeCloseTo(1.3, 12);
    expect(m.annualised_return).toBe(-1);
    expect(m.exposure).toBe(1);
    expect(m.average_gross_exposure).toBe(0.5);
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });

  it('ruined in the first period: no exposure to measure (null), not a made-up 0', () => {
    const m = performanceMetrics({ startTs: 0, startingCapital: 100, equity: [{ ts: H, equity: 0 }, { ts: 2 * H, equity: 5 }], grossExposure: [Number.POSITIVE_INFINITY, 1], trades: [], feesPaid: 0, tradedNotional: 0 });
    expect(m.ruined_at_ms).toBe(H);
    expect(m.exposure).toBeNull();
    expect(m.average_gross_exposure).toBeNull();
  });

  it('a solvent curve has ruined_at_ms null and still refuses a bad exposure', () => {
    const base = { startTs: 0, startingCapital: 100, equity: [{ ts: H, equity: 101 }, { ts: 2 * H, equity: 102 }], trades: [], feesPaid: 0, tradedNotional: 0 };
    expect(performanceMetrics({ ...base, grossExposure: [1, 1] }).ruined_at_ms).toBeNull();
    expect(() => performanceMetrics({ ...base, grossExposure: [1, Number.POSITIVE_INFINITY] })).toThrow(/grossExposure\[1\]/);
  });

  it('buy-and-hold at an absurd impact coefficient finishes, ruined, with a warning naming the time', () => {
    const prices = [100, 101, 99, 102, 98, 100, 101, 99];
    const bars = prices.map((p, i) => bar(i + 4, p));
    const warmup = [100, 102, 98, 101].map((p, i) => bar(i, p));
    const run = runBuyAndHold(bars, { capital: 10_000, venue: { venue: 'binance', takerFeeBps: 10, makerFeeBps: 2, spreadBps: 20, slippage: { impactCoeff: 1e5 }, maxVolumeShare: 1 }, warmup });
    expect(run.metrics.ruined_at_ms).not.toBeNull();
    expect(run.metrics.total_return).toBeLessThanOrEqual(-1);
    expect(run.metrics.max_drawdown).toBeGreaterThanOrEqual(1);
    const w = ruinWarning('buy and hold', run.metrics);
    expect(w).toMatch(/^buy and hold: equity reached zero or below at \d{4}-\d\d-\d\dT/);
    expect(w).toContain(new Date(run.metrics.ruined_at_ms as number).toISOString());
    expect(ruinWarning('grid', { ruined_at_ms: null, total_return: 0, max_drawdown: 0 })).toBeUndefined();
  });
});
