import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { MS_PER_YEAR } from '../../models/backtest/annualisation.js';
import { runBuyAndHold, runGrid } from '../../models/backtest/baselines.js';
import type { PaperVenueOptions } from '../../models/execution/paper-venue-core.js';
import { barId } from '../../streams/messages/bar.js';
import type { Bar } from '../../streams/messages/bar.js';
import { testDataDir } from '../support/data-dir.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const FILE = join('ohlcv', 'binance_spot_1h', 'BTC_USDT_1h.csv');

const bar = (i: number, price: number): Bar => ({
  type: 'md.bar',
  v: 1,
  id: barId('binance', 'BTC/USDT', '1h', T0 + i * H),
  venue: 'binance',
  symbol: 'BTC/USDT',
  tf: '1h',
  open: price,
  high: price,
  low: price,
  close: price,
  volume: 1e9,
  ts: T0 + i * H,
});
const venue: PaperVenueOptions = { venue: 'binance', takerFeeBps: 0, makerFeeBps: 0, spreadBps: 0, slippage: { impactCoeff: 0 }, maxVolumeShare: 1 };

/**
 * A baseline is measured over the same time as the strategy it is set beside: from the window's
 * start, not from its own first bar. Where the data starts inside the window (a hole at its start,
 * or a `from` between two bar opens), the strategy's curve started at `from` and the baselines'
 * at their first bar, so their annualised return, turnover and drawdown durations were over less
 * time than the strategy's.
 */
describe('baselines start where the window starts', () => {
  it('runBaseline: the curve starts at startTs when given, at the first bar otherwise; never after it', () => {
    // Bars from T0 + 2 h: +10 % over 3 bars. From T0 the run spans 5 h, from its first bar 3 h.
    const bars = [bar(2, 100), bar(3, 100), bar(4, 110)];
    const own = runBuyAndHold(bars, { capital: 1000, venue });
    expect(own.startTs).toBe(T0 + 2 * H);
    expect(own.metrics.elapsed_ms).toBe(3 * H);
    const run = runBuyAndHold(bars, { capital: 1000, venue, startTs: T0 });
    expect(run.startTs).toBe(T0);
    expect(run.metrics.elapsed_ms).toBe(5 * H);
    expect(run.metrics.total_return).toBe(own.metrics.total_return);
    expect(run.metrics.annualised_return).toBeCloseTo((1 + run.metrics.total_return) ** (MS_PER_YEAR / (5 * H)) - 1, 6);
    expect(runGrid(bars, { capital: 1000, venue, startTs: T0 }).metrics.elapsed_ms).toBe(5 * H);
    expect(() => runBuyAndHold(bars, { capital: 1000, venue, startTs: T0 + 3 * H })).toThrow(/startTs .* at or before the first bar/);
  });

  const dir = mkdtempSync(join(tmpdir(), 'sextant-bl-start-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sextant backtest: BTC/USDT data with its first 6 window hours cut out; baselines span the strategy’s time', async () => {
    const from = Date.UTC(2023, 0, 1);
    const to = Date.UTC(2023, 0, 4);
    const cutDir = join(dir, 'data');
    mkdirSync(join(cutDir, 'ohlcv', 'binance_spot_1h'), { recursive: true });
    const lines = readFileSync(join(testDataDir(), FILE), 'utf8').split('\n');
    const kept = lines.filter((l, i) => {
      if (i === 0) return true;
      const ts = Number(l.slice(0, l.indexOf(',')));
      return !(ts >= from && ts < from + 6 * H);
    });
    expect(lines.length - kept.length).toBe(6);
    writeFileSync(join(cutDir, FILE), kept.join('\n'));

    const r = await runBacktest({ data: cutDir, symbols: ['BTC/USDT'], timeframe: '1h', from, to, capital: 10_000, report: join(dir, 'report') });
    expect(r.gaps).toEqual([expect.objectContaining({ symbol: 'BTC/USDT', missingBars: 6 })]);
    expect(r.metrics.elapsed_ms).toBe(to - from);
    expect(r.baselines.buy_and_hold.elapsed_ms).toBe(r.metrics.elapsed_ms);
    expect(r.baselines.grid.elapsed_ms).toBe(r.metrics.elapsed_ms);
    const bh = r.baselines.buy_and_hold;
    expect(bh.annualised_return).toBeCloseTo((1 + bh.total_return) ** (MS_PER_YEAR / (to - from)) - 1, 6);
  });
});
