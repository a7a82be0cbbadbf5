import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { runDemo } from '../../cli/commands/demo.js';
import { experimentCommand, runRetrainVsFrozen } from '../../cli/commands/experiment.js';
import { REGIME_WINDOWS } from '../../cli/commands/regime-windows.js';
import { spellingHint } from '../../cli/commands/symbol-spelling.js';
import { loadSymbolBars } from '../../cli/commands/train.js';
import { runWalkForward } from '../../cli/commands/walk-forward.js';
import { testDataDir } from '../support/data-dir.js';

/** Symbols are exact everywhere; a symbol the data holds in another spelling is named, never taken silently. */
describe('a symbol spelt in another case', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-bt-case-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });
  const window = { from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 5) };

  it('sextant backtest --symbols btc/usdt: no bar files, did you mean BTC/USDT?', async () => {
    await expect(runBacktest({ data: testDataDir(), timeframe: '1h', capital: 10_000, report: dir, symbols: ['btc/usdt'], ...window })).rejects.toThrow(
      /^no 1h bar files for btc\/usdt under .*; did you mean BTC\/USDT\?$/,
    );
    // Only the misspelt one is hinted; a symbol the data does not hold at all gets no guess.
    await expect(runBacktest({ data: testDataDir(), timeframe: '1h', capital: 10_000, report: dir, symbols: ['BTC/USDT', 'eth/usdt', 'FOO/USDT'], ...window })).rejects.toThrow(
      /^no 1h bar files for eth\/usdt, FOO\/USDT under .*; did you mean ETH\/USDT \(for eth\/usdt\)\?$/,
    );
    await expect(runBacktest({ data: testDataDir(), timeframe: '1h', capital: 10_000, report: dir, symbols: ['FOO/USDT'], ...window })).rejects.toThrow(/^no 1h bar files for FOO\/USDT under [^;]*$/);
  });

  // Beside another symbol it was refused as a quote currency of its own: 'symbols quoted in USDT (ETH/USDT), usdt (btc/usdt): …'.
  it('sextant backtest --walk-forward --symbols btc/usdt,ETH/USDT: no bar files, did you mean BTC/USDT?', async () => {
    const wf = { data: testDataDir(), timeframe: '1h', capital: 10_000, report: join(dir, 'wf'), stepMs: 86_400_000, embargoMs: 86_400_000, ...window };
    await expect(runWalkForward({ ...wf, symbols: ['btc/usdt', 'ETH/USDT'] })).rejects.toThrow(/^no 1h bar files for btc\/usdt under .*; did you mean BTC\/USDT\?$/);
    await expect(runWalkForward({ ...wf, symbols: ['ETH/USDT', 'FOO/USDT'] })).rejects.toThrow(/^no 1h bar files for FOO\/USDT under [^;]*$/);
  });

  it('sextant train, the demo model (loadSymbolBars) and sextant demo say the same', async () => {
    await expect(loadSymbolBars(testDataDir(), ['sol/usdt'], '1h', window)).rejects.toThrow(/^no 1h bar files for sol\/usdt under .*; did you mean SOL\/USDT\?$/);
    // Refused before the demo connects to anything.
    await expect(runDemo({ data: testDataDir(), symbols: ['sol/usdt'], timeframe: '1h', ...window, embedded: true, faults: false })).rejects.toThrow(/^no 1h bar files for sol\/usdt under .*; did you mean SOL\/USDT\?$/);
  });

  // It left btc/usdt out of every window ("2024-08 crash month: no symbol has data for this window",
  // exit 1 after the listing), and beside ETH/USDT refused it as a currency of its own ("usdt").
  it('sextant experiment retrain-vs-frozen --symbols btc/usdt: refused before any window, did you mean BTC/USDT?', async () => {
    const ex = { data: testDataDir(), windows: [REGIME_WINDOWS[2]!], arms: ['frozen' as const], epochs: 1 };
    await expect(runRetrainVsFrozen({ ...ex, symbols: ['btc/usdt'] })).rejects.toThrow(/^no 1h bar files for btc\/usdt under .*; did you mean BTC\/USDT\?$/);
    await expect(runRetrainVsFrozen({ ...ex, symbols: ['btc/usdt', 'ETH/USDT'] })).rejects.toThrow(/^no 1h bar files for btc\/usdt under .*; did you mean BTC\/USDT\?$/);
    await expect(runRetrainVsFrozen({ ...ex, symbols: ['BTC/USDT', 'FOO/USDT'] })).rejects.toThrow(/^no 1h bar files for FOO\/USDT under [^;]*$/);
    const cli = (...args: string[]): Promise<unknown> => experimentCommand(() => undefined).parseAsync(['retrain-vs-frozen', '--windows', '3', '--arms', 'frozen', '--epochs', '1', ...args], { from: 'user' });
    await expect(cli('--data', testDataDir(), '--symbols', 'btc/usdt')).rejects.toThrow(/^no 1h bar files for btc\/usdt under .*; did you mean BTC\/USDT\?$/);
    // The default symbols are still left out of a window where they have no file, not refused.
    const data = join(dir, 'only-btc');
    mkdirSync(join(data, 'ohlcv', 'binance_spot_1h'), { recursive: true });
    writeFileSync(join(data, 'ohlcv', 'binance_spot_1h', 'BTC_USDT_1h.csv'), 'timestamp,datetime,open,high,low,close,volume\n1704067200000,2024-01-01T00:00:00.000Z,1,1,1,1,1\n');
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await cli('--data', data);
    expect(process.exitCode).toBe(1); // its one window had no symbol with data: run, and said so
  });

  it('matches case and separators only', () => {
    expect(spellingHint(['btc-usdt'], ['BTC/USDT', 'ETH/USDT'])).toBe('; did you mean BTC/USDT?');
    expect(spellingHint(['BTC/USDC'], ['BTC/USDT'])).toBe('');
    expect(spellingHint(['BTC/USDT'], ['BTC/USDT'])).toBe('');
  });
});
