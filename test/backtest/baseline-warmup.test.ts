import { describe, expect, it } from 'vitest';
import { runBuyAndHold } from '../../models/backtest/baselines.js';
import type { PaperVenueOptions } from '../../models/execution/paper-venue-core.js';
import { barId } from '../../streams/messages/bar.js';
import type { Bar } from '../../streams/messages/bar.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/** An hourly BTC bar at `i` hours from T0 whose close moves ±1 % (so σ is known after two of them). */
const bar = (i: number): Bar => {
  const price = 100 * (i % 2 === 0 ? 1 : 1.01);
  return { type: 'md.bar', v: 1, id: barId('binance', 'BTC/USDT', '1h', T0 + i * H), venue: 'binance', symbol: 'BTC/USDT', tf: '1h', open: price, high: price, low: price, close: price, volume: 100, ts: T0 + i * H };
};
const range = (from: number, to: number): Bar[] => Array.from({ length: to - from }, (_, k) => bar(from + k));

const venue = (impactCoeff: number): PaperVenueOptions => ({ venue: 'binance', takerFeeBps: 10, makerFeeBps: 2, spreadBps: 4, slippage: { impactCoeff }, maxVolumeShare: 1 });

describe('baselines warmed on the bars before the window', () => {
  const window = range(20, 40);
  const warmup = range(0, 20);

  it('buy-and-hold pays square-root impact on its first fill once the venue has seen the warm-up bars', () => {
    const free = runBuyAndHold(window, { capital: 10_000, venue: venue(0), warmup });
    const costly = runBuyAndHold(window, { capital: 10_000, venue: venue(5), warmup });
    // Its single buy fills at the window's second bar: with σ learnt from the warm-up, impact applies.
    expect(costly.metrics.total_return).toBeLessThan(free.metrics.total_return);
  });

  it('the warm-up bars are neither traded nor sampled: the curve starts at the window', () => {
    const run = runBuyAndHold(window, { capital: 10_000, venue: venue(0), warmup });
    const cold = runBuyAndHold(window, { capital: 10_000, venue: venue(0) });
    expect(run.startTs).toBe(T0 + 20 * H);
    expect(run.equity.length).toBe(cold.equity.length);
    expect(run.metrics.total_return).toBeCloseTo(cold.metrics.total_return, 12);
  });

  it('refuses a warm-up bar that is not before the window', () => {
    expect(() => runBuyAndHold(window, { capital: 10_000, venue: venue(0), warmup: [bar(25)] })).toThrow(/warm-up bar .* not before the first bar/);
  });
});
