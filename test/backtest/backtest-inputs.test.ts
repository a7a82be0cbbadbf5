import { mkdtempSync, rmSync } from 'node:fs';
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
});
