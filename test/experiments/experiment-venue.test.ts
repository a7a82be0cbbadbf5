import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRetrainVsFrozen } from '../../cli/commands/experiment.js';
import { testDataDir } from '../support/data-dir.js';

// `sextant experiment` never looked at the venue the bars' folders name, as a backtest does
// (backtest-venue.ts): one symbol's files of two venues were both read and merged into one asset.
describe('sextant experiment checks the data\'s venue as a backtest does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-exp-venue-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses bars of two venues before anything is trained, naming both', async () => {
    const data = join(dir, 'two-venues');
    for (const venue of ['binance', 'kraken']) {
      mkdirSync(join(data, 'ohlcv', `${venue}_spot_1h`), { recursive: true });
      symlinkSync(join(testDataDir(), 'ohlcv', 'binance_spot_1h', 'BTC_USDT_1h.csv'), join(data, 'ohlcv', `${venue}_spot_1h`, 'BTC_USDT_1h.csv'));
    }
    // No window: anything the check does not refuse returns at once, trained nothing.
    await expect(runRetrainVsFrozen({ data, symbols: ['BTC/USDT'], windows: [] })).rejects.toThrow(/the data names 2 venues \(binance, kraken\)/);
  });
});
