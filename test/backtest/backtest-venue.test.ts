import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { BacktestSpecError, resolveBacktestInputs } from '../../cli/commands/backtest-spec.js';
import { backtestVenue } from '../../cli/commands/backtest-venue.js';
import { UNKNOWN_VENUE } from '../../gateways/data-dir.js';
import { venueOfTickFile } from '../../gateways/historical/tick-file-venue.js';
import { testDataDir } from '../support/data-dir.js';
import { emptyTrainingCache } from '../support/empty-training-cache.js';

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
    const { configFile, trained } = emptyTrainingCache(dir, 'kraken');
    await expect(runBacktest({ ...window, configFile, data: btcFile, symbols: ['BTC/USDT'], venue: 'kraken', report: join(dir, 'kraken') })).rejects.toThrow(
      `venue: kraken (the spec) contradicts the data: the bars under ${btcFile} are binance bars by their folder: drop \`venue:\` or give kraken bars`,
    );
    await expect(runBacktest({ ...window, configFile, data: testDataDir(), symbols: ['BTC/USDT'], venue: 'kraken', report: join(dir, 'kraken') })).rejects.toThrow(/^venue: kraken \(the spec\) contradicts the data/);
    expect(trained()).toEqual([]); // nothing trained
  });

  it('records the venue the bars ran under in report.json and report.html', async () => {
    const report = await runBacktest({ ...window, data: btcFile, symbols: ['BTC/USDT'], venue: 'binance', report: join(dir, 'binance') });
    expect(report.venue).toBe('binance');
    expect(JSON.parse(readFileSync(join(dir, 'binance', 'report.json'), 'utf8')).venue).toBe('binance');
    expect(readFileSync(join(dir, 'binance', 'report.html'), 'utf8')).toContain(' · venue binance · ');
  }, 120_000);

  it("runs a config's `venue: kraken` over binance bars as binance, and warns (report.json said kraken, silently)", async () => {
    const config = join(dir, 'kraken.yaml');
    writeFileSync(config, 'venue: kraken\n');
    const report = await runBacktest({ ...window, configFile: config, data: testDataDir(), symbols: ['BTC/USDT'], report: join(dir, 'config-kraken') });
    expect(report.venue).toBe('binance');
    const warning = `venue kraken (the config's \`venue:\`) is not the data's: the bars under ${testDataDir()} are binance bars by their folder; ran as binance, with the config's paperVenue costs: give \`venue: binance\` in the spec to run so without this warning`;
    expect(report.warnings).toContain(warning);
    const json = JSON.parse(readFileSync(join(dir, 'config-kraken', 'report.json'), 'utf8')) as { venue: string; warnings: string[] };
    expect(json.venue).toBe('binance');
    expect(json.warnings).toContain(warning);
    // The spec's `venue: binance` says it: no warning.
    const said = await runBacktest({ ...window, configFile: config, venue: 'binance', data: testDataDir(), symbols: ['BTC/USDT'], report: join(dir, 'config-kraken-said') });
    expect(said.warnings.filter((w) => w.startsWith('venue '))).toEqual([]);
  }, 120_000);

  it('refuses tick files whose name names another venue than the spec or the bars, before training', async () => {
    const ticksDir = join(testDataDir(), 'ticks');
    const trades = join(ticksDir, 'binance_BTCUSDT_spot_trades_2021-01-08_46s.csv');
    const krakenTrades = join(dir, 'kraken_BTCUSDT_spot_trades_2021-01-08_46s.csv');
    copyFileSync(trades, krakenTrades);
    // A bar file outside ohlcv/<venue>_…/ names no venue: the ticks' name is all the data says.
    const flatBars = join(dir, 'BTC_USDT_1h.csv');
    copyFileSync(btcFile, flatBars);
    const at = { timeframe: '1h', from: Date.UTC(2021, 0, 7), to: Date.UTC(2021, 0, 9), capital: 10_000, symbols: ['BTC/USDT'] } as const;
    const { configFile, trained } = emptyTrainingCache(dir, 'ticks');
    await expect(runBacktest({ ...at, configFile, data: flatBars, venue: 'kraken', ticks: [{ symbol: 'BTC/USDT', path: trades }], report: join(dir, 't1') })).rejects.toThrow(
      `venue: kraken (the spec) contradicts the data: --ticks ${trades} holds binance ticks by its name: drop \`venue:\` or give kraken ticks`,
    );
    await expect(runBacktest({ ...at, configFile, data: btcFile, ticks: [{ symbol: 'BTC/USDT', path: krakenTrades }], report: join(dir, 't2') })).rejects.toThrow(
      `the data names 2 venues (binance, kraken): the bars under ${btcFile} are binance bars by their folder; --ticks ${krakenTrades} holds kraken ticks by its name: an asset is fed one venue's prices: give bars and ticks of one venue`,
    );
    expect(trained()).toEqual([]); // nothing trained
  });

  it('takes the venue from the data, the spec, then the config', async () => {
    const data = (bars: string[], ticks: string[] = []) => ({ data: '/d', bars, ticks: ticks.map((venue, i) => ({ path: `/t${i}.csv`, venue })) });
    expect(backtestVenue({ config: 'kraken' })).toEqual({ venue: 'kraken' });
    expect(backtestVenue({ config: 'kraken', data: data([UNKNOWN_VENUE]) })).toEqual({ venue: 'kraken' });
    expect(backtestVenue({ spec: 'bybit', config: 'kraken', data: data([UNKNOWN_VENUE], [UNKNOWN_VENUE]) })).toEqual({ venue: 'bybit' });
    expect(backtestVenue({ config: 'kraken', data: data([UNKNOWN_VENUE], ['binance']) })).toMatchObject({ venue: 'binance', warning: expect.stringMatching(/^venue kraken \(the config's `venue:`\) is not the data's: --ticks \/t0\.csv holds binance ticks/) as unknown });
    expect(backtestVenue({ config: 'binance', data: data(['binance'], ['binance']) })).toEqual({ venue: 'binance' });
    expect(() => backtestVenue({ config: 'binance', data: data(['binance', 'kraken']) })).toThrow(/^the data names 2 venues \(binance, kraken\): the bars under \/d are binance and kraken bars/);
    expect(await venueOfTickFile('/x/binance_BTCUSDT_spot_trades_2021-01-08_46s.csv')).toBe('binance');
    expect(await venueOfTickFile('/x/freqtrade_orderflow_ETHUSDT_like_trades_2023-02-02.csv')).toBe(UNKNOWN_VENUE);
    expect(await venueOfTickFile('/x/trades.csv')).toBe(UNKNOWN_VENUE);
  });
});
