import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { BacktestSpecError, resolveBacktestInputs } from '../../cli/commands/backtest-spec.js';
import { testDataDir } from '../support/data-dir.js';

describe("a backtest spec's venue and symbols against its data", () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-bt-venue-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const btcFile = join(testDataDir(), 'ohlcv/binance_spot_1h/BTC_USDT_1h.csv');
  const window = { timeframe: '1h', from: Date.UTC(2024, 2, 1), to: Date.UTC(2024, 2, 3), capital: 10_000 } as const;

  it('names the spec key (not --symbols) when `symbols:` gives several with a one-file `data:`', () => {
    const refused = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const fromSpec = refused(() => resolveBacktestInputs({ from: 0, to: 1, report: '/r', data: btcFile, symbols: ['BTC/USDT', 'ETH/USDT'] }, {}));
    expect(fromSpec).toBeInstanceOf(BacktestSpecError);
    expect((fromSpec as Error).message).toBe(`data: ${btcFile} (the spec) is one bar file (one symbol), but \`symbols:\` in the spec names 2 (BTC/USDT, ETH/USDT): give one symbol there, or a data folder`);
    const fromFlags = refused(() => resolveBacktestInputs({ from: 0, to: 1, report: '/r', symbols: ['BTC/USDT'] }, { data: btcFile, symbols: ['BTC/USDT', 'ETH/USDT'] }));
    expect((fromFlags as Error).message).toMatch(/^--data .* names 2 \(BTC\/USDT, ETH\/USDT\)/);
    expect((fromFlags as Error).message).toContain('but --symbols names 2');
    expect(resolveBacktestInputs({ from: 0, to: 1, report: '/r', data: btcFile, symbols: ['BTC/USDT'] }, {}).symbols).toEqual(['BTC/USDT']);
  });

  it("refuses a spec's venue that contradicts the bars' folder before training (Binance files ran as kraken)", async () => {
    const t0 = performance.now();
    await expect(runBacktest({ ...window, data: btcFile, symbols: ['BTC/USDT'], venue: 'kraken', report: join(dir, 'kraken') })).rejects.toThrow(
      `venue: kraken (the spec) contradicts the data: the bars under ${btcFile} are binance bars by their folder: drop \`venue:\` or give kraken bars`,
    );
    await expect(runBacktest({ ...window, data: testDataDir(), symbols: ['BTC/USDT'], venue: 'kraken', report: join(dir, 'kraken') })).rejects.toThrow(/^venue: kraken \(the spec\) contradicts the data/);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('records the venue the bars ran under in report.json and report.html', async () => {
    const report = await runBacktest({ ...window, data: btcFile, symbols: ['BTC/USDT'], venue: 'binance', report: join(dir, 'binance') });
    expect(report.venue).toBe('binance');
    expect(JSON.parse(readFileSync(join(dir, 'binance', 'report.json'), 'utf8')).venue).toBe('binance');
    expect(readFileSync(join(dir, 'binance', 'report.html'), 'utf8')).toContain(' · venue binance · ');
  }, 120_000);
});
