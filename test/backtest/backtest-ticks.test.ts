import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import type { BacktestOptions } from '../../cli/commands/backtest.js';
import { testDataDir } from '../support/data-dir.js';

/**
 * `sextant backtest --ticks`: the real BTC/USDT trades (2,001) and bookTicker quotes (451) of
 * 2021-01-08 00:00:00–00:00:46 replayed beside the 1h bars, through the same actors.
 */
describe('sextant backtest with trade and quote CSVs beside the bars', () => {
  const root = mkdtempSync(join(tmpdir(), 'sextant-bt-ticks-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const ticksDir = join(testDataDir(), 'ticks');
  const trades = join(ticksDir, 'binance_BTCUSDT_spot_trades_2021-01-08_46s.csv');
  const quotes = join(ticksDir, 'binance_BTCUSDT_spot_bookticker_2021-01-08_46s.csv');
  const base: BacktestOptions = { data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: Date.UTC(2021, 0, 7), to: Date.UTC(2021, 0, 9), capital: 10_000, report: join(root, 'plain') };

  it('replays every tick of the window with the bars, refuses none, and decides the same way twice', async () => {
    const plain = await runBacktest(base);
    const signals: string[][] = [];
    const run = () => runBacktest({ ...base, report: join(root, `ticks-${signals.length}`), ticks: [{ symbol: 'BTC/USDT', path: trades }, { symbol: 'BTC/USDT', path: quotes }], onSignals: (m) => void signals.push([...m]) });
    const a = await run();
    const b = await run();

    expect(a.counts['ticks']).toEqual({ trades: 2001, quotes: 451 });
    expect(a.counts['refused']).toEqual({});
    expect(a.run.events).toBe(plain.run.events + 2001 + 451);
    expect(plain.counts['ticks']).toBeUndefined();
    // The strategy still scores the bars, one prediction each (ticks are not scored).
    expect(a.counts['predictions']).toBe(48);
    expect(a.counts['bars']).toBe(plain.counts['bars']);
    // Same input, same decision stream (ids and payloads), ticks and all.
    expect(signals[0]).toHaveLength(48);
    expect(signals[1]).toEqual(signals[0]);
    expect(b.metrics).toEqual(a.metrics);
  }, 180_000);

  it('refuses, before training anything: an OHLCV file, a missing file, a symbol the backtest does not trade, ticks with --source pg', async () => {
    const ohlcv = join(root, 'BTC_USDT_1h.csv');
    writeFileSync(ohlcv, 'timestamp,open,high,low,close,volume\n1610064000000,1,1,1,1,1\n');
    const refusal = async (o: Partial<BacktestOptions>): Promise<string> => {
      const e: unknown = await runBacktest({ ...base, ...o }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(InvalidArgumentError);
      return (e as Error).message;
    };
    expect(await refusal({ ticks: [{ symbol: 'BTC/USDT', path: ohlcv }] })).toMatch(/an OHLCV file; bars come from --data/);
    expect(await refusal({ ticks: [{ symbol: 'BTC/USDT', path: join(root, 'nope.csv') }] })).toMatch(/no such file/);
    expect(await refusal({ ticks: [{ symbol: 'ETH/USDT', path: trades }] })).toMatch(/ETH\/USDT is not among the backtest's symbols/);
    expect(await refusal({ ticks: [{ symbol: 'BTC/USDT', path: trades }, { symbol: 'BTC/USDT', path: trades }] })).toMatch(/given more than once/);
    expect(await refusal({ source: 'pg', timeseries: { bars: async () => [] } as unknown as NonNullable<BacktestOptions['timeseries']>, ticks: [{ symbol: 'BTC/USDT', path: trades }] })).toMatch(/does not apply to --source pg/);
  }, 60_000);
});
