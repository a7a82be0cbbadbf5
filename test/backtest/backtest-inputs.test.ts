import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { testDataDir } from '../support/data-dir.js';

/** Inputs a backtest refuses with a clear error before it trains a model or replays a bar. */
describe('sextant backtest inputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-bt-inputs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = { data: testDataDir(), timeframe: '1h', capital: 10_000, report: dir };

  it('refuses a window whose start is not before its end', async () => {
    await expect(runBacktest({ ...base, symbols: ['BTC/USDT'], from: Date.UTC(2023, 1, 1), to: Date.UTC(2023, 0, 1) })).rejects.toThrow(
      'the window is empty: from 2023-02-01T00:00:00.000Z is not before to 2023-01-01T00:00:00.000Z',
    );
    await expect(runBacktest({ ...base, symbols: ['BTC/USDT'], from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 0, 1) })).rejects.toThrow('the window is empty');
  });

  it('refuses a window shorter than two bars before training (the metrics need two closes)', async () => {
    const from = Date.UTC(2024, 0, 1);
    await expect(runBacktest({ ...base, symbols: ['BTC/USDT'], from, to: from + 3_600_000 })).rejects.toThrow('the window 2024-01-01T00:00:00.000Z → 2024-01-01T01:00:00.000Z is shorter than two 1h bars: give a longer one');
  });

  it('refuses a symbol given twice (it trained the model on its bars twice and ran two actors for it)', async () => {
    await expect(runBacktest({ ...base, symbols: ['BTC/USDT', 'ETH/USDT', 'BTC/USDT'], from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 0, 10) })).rejects.toThrow('symbols: BTC/USDT given more than once');
  });

  it('names the symbols the data holds no bar of in the window, instead of failing in training', async () => {
    await expect(runBacktest({ ...base, symbols: ['BTC/USDT', 'ETH/USDT'], from: Date.UTC(2030, 0, 1), to: Date.UTC(2030, 1, 1) })).rejects.toThrow(
      /^no 1h bars of BTC\/USDT, ETH\/USDT in the window 2030-01-01T00:00:00\.000Z → 2030-02-01T00:00:00\.000Z under /,
    );
    // PEPE/USDT has no 1h bars before 2023-05: only it is named.
    await expect(runBacktest({ ...base, symbols: ['BTC/USDT', 'PEPE/USDT'], from: Date.UTC(2021, 0, 1), to: Date.UTC(2021, 1, 1) })).rejects.toThrow(/^no 1h bars of PEPE\/USDT in the window/);
  });

  it('refuses a --data file whose name names another timeframe or symbol (a 5m file was replayed as 1h bars)', async () => {
    const file = join(testDataDir(), 'ohlcv', 'binance_spot_5m', 'BTC_USDT_5m_2024-01_2024-09.csv');
    const window = { from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 5) };
    await expect(runBacktest({ ...base, data: file, symbols: ['BTC/USDT'], ...window })).rejects.toThrow('BTC_USDT_5m_2024-01_2024-09.csv holds 5m bars by its name, not 1h: give --timeframe 5m');
    await expect(runBacktest({ ...base, data: file, timeframe: '5m', symbols: ['ETH/USDT'], ...window })).rejects.toThrow('holds BTC/USDT bars by its name, not ETH/USDT: give --symbols BTC/USDT');
  });

  it('refuses a --data file whose bars are not one timeframe apart when its name does not say', async () => {
    const file = join(dir, 'bars.csv');
    const t0 = Date.UTC(2024, 0, 1);
    const rows = Array.from({ length: 30 }, (_, i) => `${t0 + i * 300_000},${new Date(t0 + i * 300_000).toISOString()},100,101,99,100,5`);
    writeFileSync(file, `timestamp,datetime,open,high,low,close,volume\n${rows.join('\n')}\n`);
    await expect(runBacktest({ ...base, data: file, symbols: ['BTC/USDT'], from: t0, to: t0 + 7_200_000 })).rejects.toThrow('bars.csv: its first bars are 5m apart, not 1h: give --timeframe 5m');
  });

  it('says why it cannot train when the data holds no years before the window (5m bars begin 2024-01)', async () => {
    await expect(runBacktest({ ...base, timeframe: '5m', symbols: ['BTC/USDT'], from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 2) })).rejects.toThrow(
      /^cannot train direction-mlp on the 5m bars of BTC\/USDT in the three years before 2024-01-01T00:00:00\.000Z under .*: only 0 labelled rows \(after a 200-bar warm-up\), fewer than the 200 needed to train: .*; give a later --from \(the data must hold bars before it\) or serve a registered model with --model$/,
    );
  });
});
