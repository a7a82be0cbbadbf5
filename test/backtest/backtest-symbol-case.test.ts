import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { runDemo } from '../../cli/commands/demo.js';
import { spellingHint } from '../../cli/commands/symbol-spelling.js';
import { loadSymbolBars } from '../../cli/commands/train.js';
import { testDataDir } from '../support/data-dir.js';

/** Symbols are exact everywhere; a symbol the data holds in another spelling is named, never taken silently. */
describe('a symbol spelt in another case', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-bt-case-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
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

  it('sextant train, the demo model (loadSymbolBars) and sextant demo say the same', async () => {
    await expect(loadSymbolBars(testDataDir(), ['sol/usdt'], '1h', window)).rejects.toThrow(/^no 1h bar files for sol\/usdt under .*; did you mean SOL\/USDT\?$/);
    // Refused before the demo connects to anything.
    await expect(runDemo({ data: testDataDir(), symbols: ['sol/usdt'], timeframe: '1h', ...window, embedded: true, faults: false })).rejects.toThrow(/^no 1h bar files for sol\/usdt under .*; did you mean SOL\/USDT\?$/);
  });

  it('matches case and separators only', () => {
    expect(spellingHint(['btc-usdt'], ['BTC/USDT', 'ETH/USDT'])).toBe('; did you mean BTC/USDT?');
    expect(spellingHint(['BTC/USDC'], ['BTC/USDT'])).toBe('');
    expect(spellingHint(['BTC/USDT'], ['BTC/USDT'])).toBe('');
  });
});
