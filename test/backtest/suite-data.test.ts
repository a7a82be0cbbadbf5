import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRegimeSuite } from '../../cli/commands/backtest-suite.js';
import { suiteData } from '../../cli/commands/suite-data.js';
import { loadConfig } from '../../config/load.js';
import { testDataDir } from '../support/data-dir.js';

// `--data` says a flat folder of <BASE>_<QUOTE>_<tf>*.csv files (or a single file) works, but
// `--suite regimes --data <dir>` took only a folder holding ohlcv/ ("has no ohlcv/ folder").
describe('--suite regimes --data takes every folder form a backtest takes, and says why not a file', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sextant-suite-data-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const root = resolve(testDataDir());
  const btc = join(root, 'ohlcv', 'binance_spot_1h', 'BTC_USDT_1h.csv');
  const flat = join(tmp, 'flat');
  const cfg = loadConfig({ env: { SEXTANT_DATA_DIR: root } });
  // A flat folder (its file a link to the shared one: the data is never copied).
  mkdirSync(flat);
  symlinkSync(btc, join(flat, 'BTC_USDT_1h.csv'));

  it('a flat folder: its files, training on the configured data folder (as a single backtest)', () => {
    const s = suiteData(flat, cfg, '1h');
    expect(s.files.map((f) => f.symbol)).toEqual(['BTC/USDT']);
    expect(s.data).toBe(flat);
    expect(resolve(s.trainingDir)).toBe(root);
  });

  it('an ohlcv/<venue>_<market>_<tf>/ folder: its files, training on the data folder it lies in', () => {
    const s = suiteData(join(root, 'ohlcv', 'binance_spot_1h'), cfg, '1h');
    expect(s.files.map((f) => f.symbol)).toContain('BTC/USDT');
    expect(s.trainingDir).toBe(root);
  });

  it('one file is refused, naming what the suite needs', () => {
    expect(() => suiteData(btc, cfg, '1h')).toThrow(/--suite regimes backtests several symbols per window, so --data must be a folder: a data folder \(holding ohlcv\/\), .*a folder of <BASE>_<QUOTE>_<tf>\*\.csv files, or a freqtrade exchange folder \(user_data\/data\/<exchange>\); .*BTC_USDT_1h\.csv is one file/);
  });

  it('runs a window on a flat folder', async () => {
    const windows = [{ name: 'early 2023', from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 0, 4) }];
    const rows = await runRegimeSuite({ data: flat, reportDir: join(tmp, 'out'), windows, symbols: ['BTC/USDT', 'ETH/USDT'] });
    expect(rows[0]?.symbols).toEqual(['BTC/USDT']);
    expect(rows[0]?.skipped).toEqual([{ symbol: 'ETH/USDT', why: 'no 1h file' }]);
    expect(rows[0]?.error).toBeNull();
    expect(Number.isFinite(rows[0]?.report?.metrics.total_return)).toBe(true);
  }, 120_000);
});
