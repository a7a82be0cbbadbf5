import { describe, expect, it } from 'vitest';
import { DEFAULT_GRID, runBuyAndHold, runGrid } from '../../models/backtest/baselines.js';
import { PerformanceMetricsSchema } from '../../models/backtest/performance-metrics.js';
import type { PaperVenueOptions } from '../../models/execution/paper-venue-core.js';
import { findBarFiles, requireDataDir } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { barId } from '../../streams/messages/bar.js';
import type { Bar } from '../../streams/messages/bar.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/** A flat hourly bar (open = high = low = close) with ample volume: fills land on `price`. */
const bar = (symbol: string, i: number, price: number): Bar => ({
  type: 'md.bar',
  v: 1,
  id: barId('binance', symbol, '1h', T0 + i * H),
  venue: 'binance',
  symbol,
  tf: '1h',
  open: price,
  high: price,
  low: price,
  close: price,
  volume: 1e9,
  ts: T0 + i * H,
});

/** Bars of several symbols merged in time order (symbols in the given order at equal ts). */
const path = (prices: Readonly<Record<string, readonly number[]>>): Bar[] => {
  const out: Bar[] = [];
  const n = Math.max(...Object.values(prices).map((p) => p.length));
  for (let i = 0; i < n; i++) for (const [s, p] of Object.entries(prices)) if (i < p.length) out.push(bar(s, i, p[i] as number));
  return out;
};

const venue = (over: Partial<PaperVenueOptions> = {}): PaperVenueOptions => ({
  venue: 'binance',
  takerFeeBps: 10,
  makerFeeBps: 2,
  spreadBps: 20,
  slippage: { impactCoeff: 0 },
  maxVolumeShare: 1,
  ...over,
});

describe('buy-and-hold', () => {
  // capital 1000, two symbols → 500 each. Quantity = 500 / (close × 1.001 × 1.001) (half spread
  // 10 bps, taker fee 10 bps); it fills at the next open × 1.001 plus a 0.1 % fee, i.e. costs
  // exactly 500. BTC 100 → 120 (+20 %), ETH 10 → 8 (−20 %): final equity = (600 + 400) / 1.001².
  const bars = path({ 'BTC/USDT': [100, 100, 110, 120], 'ETH/USDT': [10, 10, 9, 8] });
  const run = runBuyAndHold(bars, { capital: 1000, venue: venue() });

  it('ends at 1000 / 1.001² exactly (fees and half spread paid once)', () => {
    expect(run.equity.at(-1)?.equity).toBeCloseTo(1000 / 1.001 ** 2, 9);
    expect(run.metrics.total_return).toBeCloseTo(1 / 1.001 ** 2 - 1, 12);
    expect(run.feesPaid).toBeCloseTo(1 / 1.001, 12);
    expect(run.tradedNotional).toBeCloseTo(1000 / 1.001, 9);
  });

  it('samples once per bar timestamp at the bar close, flat until the next open fills', () => {
    expect(run.startTs).toBe(T0);
    expect(run.equity.map((p) => p.ts)).toEqual([1, 2, 3, 4].map((i) => T0 + i * H));
    expect(run.equity[0]?.equity).toBe(1000);
    expect(run.grossExposure[0]).toBe(0);
    expect(run.equity[1]?.equity).toBeCloseTo(1000 / 1.001 ** 2, 9);
    expect(run.grossExposure[1]).toBeCloseTo(1, 9);
    expect(run.periodsPerYear).toBe(8760);
  });

  it('holds both positions to the end and closes no trade', () => {
    expect(run.trades).toEqual([]);
    expect(run.finalPositions['BTC/USDT']).toBeCloseTo(500 / (100 * 1.001 ** 2), 12);
    expect(run.finalPositions['ETH/USDT']).toBeCloseTo(500 / (10 * 1.001 ** 2), 12);
    expect(run.venue).toMatchObject({ orders: 2, fills: 2, expired: 0 });
  });

  it('pays no impact on its opening buy: the venue knows no σ before the second bar', () => {
    const thin = path({ 'BTC/USDT': [100, 101, 99, 102] }).map((b) => ({ ...b, volume: 20 }));
    const free = runBuyAndHold(thin, { capital: 1000, venue: venue() });
    const costly = runBuyAndHold(thin, { capital: 1000, venue: venue({ slippage: { impactCoeff: 1 } }) });
    expect(costly.equity).toEqual(free.equity);
  });

  it('refuses bars of another venue or out of time order', () => {
    expect(() => runBuyAndHold(bars, { capital: 1000, venue: venue({ venue: 'kraken' }) })).toThrow(/venue binance/);
    expect(() => runBuyAndHold([...bars].reverse(), { capital: 1000, venue: venue() })).toThrow(/time order/);
    expect(() => runBuyAndHold([], { capital: 1000, venue: venue() })).toThrow(/no bars/);
    expect(() => runBuyAndHold(bars, { capital: 1000, venue: venue(), barMs: 300_000 })).toThrow(/does not match/);
    expect(runBuyAndHold(bars, { capital: 1000, venue: venue(), barMs: H }).equity).toEqual(run.equity);
  });
});

describe('grid', () => {
  // Anchor 100, step 10 %: levels 90, 80 below, 110 above; 2 levels → lot = 1000 / 2 / 100 = 5.
  // Fees 10 bps, no spread: each fill lands on the next (flat) bar's price.
  const costs = venue({ spreadBps: 0 });

  it('buys on a dip below 90 and sells on the rise above 100, twice on a zig-zag', () => {
    const bars = path({ 'BTC/USDT': [100, 89, 89, 101, 101, 89, 89, 101, 101] });
    const run = runGrid(bars, { capital: 1000, levels: 2, stepBps: 1000, venue: costs });
    // Each round trip: 5 × (101 − 89) = 60 minus fees 5 × 89 × 0.001 + 5 × 101 × 0.001 = 0.95.
    expect(run.trades).toHaveLength(2);
    for (const t of run.trades) {
      expect(t).toMatchObject({ symbol: 'BTC/USDT', side: 'long', qty: 5, entryPrice: 89, exitPrice: 101 });
      expect(t.pnl).toBeCloseTo(59.05, 10);
    }
    expect(run.trades.map((t) => [t.entryTs, t.exitTs])).toEqual([
      [T0 + 2 * H, T0 + 4 * H],
      [T0 + 6 * H, T0 + 8 * H],
    ]);
    expect(run.equity.at(-1)?.equity).toBeCloseTo(1000 + 2 * 59.05, 9);
    expect(run.metrics.trades).toBe(2);
    expect(run.metrics.win_rate).toBe(1);
    expect(run.finalPositions).toEqual({});
  });

  it('does not sell what it does not hold, bounds inventory by levels, and buys several levels at once', () => {
    // 121: no inventory, nothing to sell. 79: crosses 90 and 80 → 2 lots (10) at once. 69: full,
    // no more. 101: crosses 90 and 100 → sells both. One trade of 10: (101 − 79) × 10 − 1.8.
    const bars = path({ 'BTC/USDT': [100, 121, 121, 79, 79, 69, 69, 101, 101] });
    const run = runGrid(bars, { capital: 1000, levels: 2, stepBps: 1000, venue: costs });
    expect(run.venue.orders).toBe(2);
    expect(run.trades).toHaveLength(1);
    expect(run.trades[0]).toMatchObject({ qty: 10, entryPrice: 79, exitPrice: 101 });
    expect(run.trades[0]?.pnl).toBeCloseTo(220 - 1.8, 10);
  });

  it('runs a grid per symbol on the same capital split', () => {
    const bars = path({ 'BTC/USDT': [100, 89, 89, 101, 101], 'ETH/USDT': [10, 10, 10, 10, 10] });
    const run = runGrid(bars, { capital: 1000, levels: 2, stepBps: 1000, venue: costs });
    // 500 per symbol → lot 2.5 BTC: pnl 2.5 × 12 − 2.5 × 190 × 0.001.
    expect(run.trades).toHaveLength(1);
    expect(run.trades[0]?.qty).toBe(2.5);
    expect(run.trades[0]?.pnl).toBeCloseTo(30 - 0.475, 10);
  });

  it('pays square-root impact through the venue once σ is known: a thin market costs more', () => {
    const thin = path({ 'BTC/USDT': [100, 101, 99, 89, 89, 101, 101] }).map((b) => ({ ...b, volume: 20 }));
    const free = runGrid(thin, { capital: 1000, levels: 2, stepBps: 1000, venue: costs });
    const costly = runGrid(thin, { capital: 1000, levels: 2, stepBps: 1000, venue: { ...costs, slippage: { impactCoeff: 1 } } });
    expect(free.trades[0]?.pnl).toBeCloseTo(59.05, 10);
    expect(costly.trades).toHaveLength(1);
    expect(costly.trades[0]!.entryPrice).toBeGreaterThan(89);
    expect(costly.trades[0]!.exitPrice).toBeLessThan(101);
    expect(costly.equity.at(-1)!.equity).toBeLessThan(free.equity.at(-1)!.equity);
  });

  it('defaults to DEFAULT_GRID (10 levels of 2 %)', () => {
    const bars = path({ 'BTC/USDT': [100, 97.9, 97.9, 100.1, 100.1] });
    const run = runGrid(bars, { capital: 1000, venue: costs });
    expect(DEFAULT_GRID).toEqual({ levels: 10, stepBps: 200 });
    expect(run.trades).toHaveLength(1);
    expect(run.trades[0]).toMatchObject({ qty: 1, entryPrice: 97.9, exitPrice: 100.1 });
  });

  it('refuses a grid whose lowest level is not a positive price', () => {
    const bars = path({ 'BTC/USDT': [100, 101] });
    expect(() => runGrid(bars, { capital: 1000, levels: 10, stepBps: 1000, venue: costs })).toThrow(/levels × stepBps/);
  });

  it('is deterministic: the same bars give identical runs', () => {
    const bars = path({ 'BTC/USDT': [100, 93, 88, 97, 104, 99, 91, 86, 95, 106, 111, 98] });
    const a = runGrid(bars, { capital: 1000, levels: 3, stepBps: 500, venue: venue({ slippage: { impactCoeff: 0.5 } }) });
    const b = runGrid(bars, { capital: 1000, levels: 3, stepBps: 500, venue: venue({ slippage: { impactCoeff: 0.5 } }) });
    expect(a).toEqual(b);
    expect(a.trades.length).toBeGreaterThan(0);
  });
});

describe('baselines on BTC/USDT 1h, 2022', async () => {
  const [file] = findBarFiles(requireDataDir(), { symbols: ['BTC/USDT'], timeframe: '1h' });
  if (file === undefined) throw new Error('no BTC/USDT 1h file in the data folder');
  const bars: Bar[] = [];
  for await (const b of readBars(file.path, { venue: 'binance', symbol: 'BTC/USDT', tf: '1h', from: Date.UTC(2022, 0, 1), to: Date.UTC(2023, 0, 1) })) bars.push(b);
  const costs = venue({ takerFeeBps: 10, spreadBps: 2, slippage: { impactCoeff: 0.1 }, maxVolumeShare: 0.1 });

  it('reads a year of hourly bars', () => {
    expect(bars.length).toBeGreaterThan(8700);
  });

  it('buy-and-hold loses about two thirds, as BTC did (≈ 46.2k → 16.5k)', () => {
    const run = runBuyAndHold(bars, { capital: 10_000, venue: costs });
    PerformanceMetricsSchema.parse(run.metrics);
    expect(run.metrics.total_return).toBeLessThan(-0.6);
    expect(run.metrics.total_return).toBeGreaterThan(-0.7);
    expect(run.metrics.max_drawdown).toBeGreaterThan(0.6);
    expect(run.metrics.exposure).toBeGreaterThan(0.99);
    expect(run.metrics.periods).toBe(bars.length);
  });

  it('the grid (10 levels, 2 %) trades lots, loses less than BTC fell, and yields finite metrics, identical on a second run', () => {
    const run = runGrid(bars, { capital: 10_000, levels: 10, stepBps: 200, venue: costs });
    const m = PerformanceMetricsSchema.parse(run.metrics);
    // BTC fell through the whole grid, so inventory was rarely flat: few flat-to-flat round
    // trips, but many lots traded in and out (traded notional ≫ capital).
    expect(m.trades).toBeGreaterThan(0);
    expect(run.tradedNotional).toBeGreaterThan(5 * 10_000);
    expect(m.total_return).toBeGreaterThan(-0.6);
    for (const v of Object.values(m)) expect(v === null || Number.isFinite(v)).toBe(true);
    expect(m.fees_paid).toBeGreaterThan(0);
    expect(runGrid(bars, { capital: 10_000, levels: 10, stepBps: 200, venue: costs }).metrics).toEqual(m);
  });
});
