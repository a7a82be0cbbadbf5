import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATA_DIR_ENV, DataDirError, dataRootOf, DEFAULT_DATA_DIR, findBarFiles, findBarFilesUnder, requireDataDir, resolveDataDir } from '../../gateways/data-dir.js';
import { scratch } from './data.js';

const tmp = scratch();
afterAll(() => tmp.cleanup());

describe('resolveDataDir', () => {
  it('prefers the explicit value, then SEXTANT_DATA_DIR, then ../shared/data beside the repo', () => {
    const env = { [DATA_DIR_ENV]: '/from/env' };
    expect(resolveDataDir('/from/flag', { env })).toBe('/from/flag');
    expect(resolveDataDir(undefined, { env })).toBe('/from/env');
    expect(resolveDataDir('', { env })).toBe('/from/env');
    expect(resolveDataDir(undefined, { env: {} })).toBe(DEFAULT_DATA_DIR);
    expect(DEFAULT_DATA_DIR).toBe(resolve(import.meta.dirname, '../../../shared/data'));
  });

  it('takes a relative path from the working directory', () => {
    expect(resolveDataDir('data', { env: {}, cwd: '/work/x' })).toBe('/work/x/data');
  });
});

describe('requireDataDir', () => {
  it('finds the shared market data (tests fail, never skip, without it)', () => {
    const dir = requireDataDir();
    expect(findBarFiles(dir).length).toBeGreaterThan(0);
  });

  it('says which folder is missing, what it must hold and how to point elsewhere', () => {
    const missing = join(tmp.dir, 'nope');
    const err = (() => {
      try {
        requireDataDir(missing, { env: {} });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(DataDirError);
    const e = err as DataDirError;
    expect(e.retryable).toBe(false);
    expect(e.dir).toBe(missing);
    expect(e.message).toContain(`market data folder ${missing} does not exist.`);
    expect(e.message).toContain('ohlcv/<venue>_<market>_<tf>/<BASE>_<QUOTE>_<tf>[_<anything>].csv');
    expect(e.message).toContain('timestamp,datetime,open,high,low,close,volume');
    expect(e.message).toContain('--data <dir>');
    expect(e.message).toContain(`${DATA_DIR_ENV}=<dir>`);
    expect(e.message).toContain(DEFAULT_DATA_DIR);
  });

  it('refuses a file or a folder without ohlcv/', () => {
    const file = tmp.file('plain.txt', 'x');
    expect(() => requireDataDir(file)).toThrow(/is not a folder/);
    mkdirSync(join(tmp.dir, 'empty'));
    expect(() => requireDataDir(join(tmp.dir, 'empty'))).toThrow(/has no ohlcv\/ folder/);
    expect(() => findBarFiles(join(tmp.dir, 'empty'))).toThrow(DataDirError);
  });
});

describe('findBarFiles', () => {
  it('lists the BTC/USDT 5m files in era order, with symbol, timeframe and venue from the names', () => {
    const files = findBarFiles(requireDataDir(), { symbols: ['BTC/USDT'], timeframe: '5m' });
    expect(files.map((f) => f.path.split('/').slice(-2).join('/'))).toEqual([
      'binance_spot_5m/BTC_USDT_5m_2024-01_2024-09.csv',
      'binance_spot_5m/BTC_USDT_5m_2024-12_2026-02.csv',
    ]);
    expect(files.every((f) => f.symbol === 'BTC/USDT' && f.timeframe === '5m' && f.venue === 'binance' && f.market === 'spot')).toBe(true);
  });

  it('lists every pair of a timeframe, or several symbols across timeframes', () => {
    const dir = requireDataDir();
    const hourly = findBarFiles(dir, { timeframe: '1h' });
    expect(hourly.map((f) => f.symbol)).toEqual(['AVAX/USDT', 'BNB/USDT', 'BTC/USDT', 'DOGE/USDT', 'ETH/USDT', 'LINK/USDT', 'PEPE/USDT', 'SHIB/USDT', 'SOL/USDT', 'XRP/USDT']);
    const two = findBarFiles(dir, { symbols: ['ETH/USDT', 'BTC/USDT'] });
    expect(two.map((f) => `${f.symbol} ${f.timeframe}`)).toEqual(['BTC/USDT 1m', 'BTC/USDT 5m', 'BTC/USDT 5m', 'BTC/USDT 1h', 'ETH/USDT 1m', 'ETH/USDT 5m', 'ETH/USDT 5m', 'ETH/USDT 1h']);
    expect(findBarFiles(dir, { symbols: ['NOPE/USDT'] })).toEqual([]);
    expect(() => findBarFiles(dir, { timeframe: '7m' })).toThrow(RangeError);
  });

  it('ignores folders and files that do not follow the naming pattern', () => {
    const root = join(tmp.dir, 'layout');
    for (const d of ['binance_spot_5m', 'binance_spot_3m', 'notes', 'kraken_spot_1h']) mkdirSync(join(root, 'ohlcv', d), { recursive: true });
    for (const f of ['binance_spot_5m/BTC_USDT_5m.csv', 'binance_spot_5m/BTC_USDT_1h.csv', 'binance_spot_5m/README.md', 'binance_spot_3m/BTC_USDT_3m.csv', 'kraken_spot_1h/ETH_EUR_1h_2020.csv', 'notes/x.csv']) {
      writeFileSync(join(root, 'ohlcv', f), 'timestamp,open,high,low,close,volume\n');
    }
    writeFileSync(join(root, 'ohlcv', 'binance_spot_1m'), 'a file, not a folder');
    expect(findBarFiles(root).map((f) => [f.venue, f.symbol, f.timeframe])).toEqual([
      ['binance', 'BTC/USDT', '5m'],
      ['kraken', 'ETH/EUR', '1h'],
    ]);
  });
});

describe('findBarFilesUnder (the --data folder of a backtest)', () => {
  const shared = requireDataDir();
  const btc1h = (dir: string): string[] => findBarFilesUnder(dir, { symbols: ['BTC/USDT'], timeframe: '1h' }).map((f) => f.path);
  it('takes the data folder, its ohlcv/ folder or one <venue>_<market>_<tf>/ folder of it, each to the same files', () => {
    const all = btc1h(shared);
    expect(all.length).toBeGreaterThan(0);
    expect(btc1h(join(shared, 'ohlcv'))).toEqual(all);
    expect(btc1h(join(shared, 'ohlcv', 'binance_spot_1h'))).toEqual(all);
    expect(findBarFilesUnder(join(shared, 'ohlcv', 'binance_spot_5m'), { symbols: ['BTC/USDT'], timeframe: '1h' })).toEqual([]);
    for (const d of [shared, join(shared, 'ohlcv'), join(shared, 'ohlcv', 'binance_spot_1h')]) expect(dataRootOf(d)).toBe(resolve(shared));
  });

  it('takes a plain folder of <BASE>_<QUOTE>_<tf>….csv files, and refuses one with none', () => {
    const plain = join(tmp.dir, 'plain-bars');
    mkdirSync(plain, { recursive: true });
    writeFileSync(join(plain, 'BTC_USDT_1h_2022.csv'), 'timestamp,open,high,low,close,volume\n');
    writeFileSync(join(plain, 'ETH_USDT_5m.csv'), 'timestamp,open,high,low,close,volume\n');
    expect(findBarFilesUnder(plain, { timeframe: '1h' }).map((f) => [f.symbol, f.timeframe, f.venue])).toEqual([['BTC/USDT', '1h', 'unknown']]);
    expect(dataRootOf(plain)).toBeUndefined();
    const empty = join(tmp.dir, 'no-bars');
    mkdirSync(empty, { recursive: true });
    writeFileSync(join(empty, 'notes.txt'), 'x');
    expect(() => findBarFilesUnder(empty)).toThrow(DataDirError);
    expect(() => findBarFilesUnder(join(tmp.dir, 'missing'))).toThrow(/does not exist/);
  });
});
