import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { barFiles } from '../../cli/commands/backtest.js';
import { runDemo } from '../../cli/commands/demo.js';
import { replayFiles } from '../../cli/commands/replay.js';
import { loadSymbolBars } from '../../cli/commands/train.js';
import { loadConfig } from '../../config/load.js';
import { DataDirError, findBarFiles, findBarFilesUnder, requireDataDir, unreadBarFiles } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { unreadFileWarnings } from '../../gateways/unread-bar-files.js';

const tmp = mkdtempSync(join(tmpdir(), 'sextant-ftmixed-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HOUR = 3_600_000;
const T0 = Date.UTC(2023, 0, 1);
type Row = readonly [number, number, number, number, number, number];
const rowsOf = (n: number, base: number): Row[] => Array.from({ length: n }, (_, i) => [T0 + i * HOUR, base + i, base + i + 1, base + i - 1, base + i + 0.5, 1 + (i % 5)] as const);
const json = (rows: readonly Row[]): string => JSON.stringify(rows);
const csv = (rows: readonly Row[]): string => ['timestamp,datetime,open,high,low,close,volume', ...rows.map(([t, ...v]) => `${t},${new Date(t).toISOString()},${v.join(',')}`)].join('\n') + '\n';

/** A folder `<tmp>/<name>/binance` holding `files` (relative path → body). */
function folder(name: string, files: Readonly<Record<string, string>>): string {
  const dir = join(tmp, name, 'binance');
  for (const [rel, body] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), body);
  }
  return dir;
}

const btc = rowsOf(48, 100);
const eth = rowsOf(48, 50);

async function barsOf(path: string, symbol: string): Promise<number[][]> {
  const out: number[][] = [];
  for await (const b of readBars(path, { venue: 'binance', symbol, tf: '1h' })) out.push([b.ts, b.open, b.high, b.low, b.close, b.volume]);
  return out;
}

describe('a flat folder holding CSV and freqtrade bar files', () => {
  it('is read whole: the CSV files beside the freqtrade ones are listed (backtest, replay) and trained on (train)', async () => {
    const dir = folder('both', { 'BTC_USDT-1h.json': json(btc), 'ETH_USDT_1h.csv': csv(eth) });
    const listed = findBarFilesUnder(dir, { timeframe: '1h' });
    expect(listed.map((f) => [f.symbol, f.venue, f.path.slice(dir.length)])).toEqual([
      ['BTC/USDT', 'binance', '/BTC_USDT-1h.json'],
      ['ETH/USDT', 'unknown', '/ETH_USDT_1h.csv'],
    ]);
    expect(findBarFiles(requireDataDir(dir), { timeframe: '1h' }).map((f) => f.path)).toEqual(listed.map((f) => f.path));
    expect(await barsOf(listed[1]!.path, 'ETH/USDT')).toEqual(eth);
    const trained = await loadSymbolBars(dir, ['BTC/USDT', 'ETH/USDT'], '1h', {});
    expect(trained.map((s) => [s.symbol, s.bars.length])).toEqual([
      ['BTC/USDT', btc.length],
      ['ETH/USDT', eth.length],
    ]);
  });

  it.each([
    ['a CSV file', 'BTC_USDT_1h_2023.csv', csv(btc)],
    ['the same pair in another freqtrade format', 'BTC_USDT-1h.feather', 'never read'],
  ])('one symbol and timeframe in a freqtrade file and %s is an error naming both files', (_, other, body) => {
    const dir = folder(`overlap-${other}`, { 'BTC_USDT-1h.json': json(btc), [other]: body, 'ETH_USDT_1h.csv': csv(eth) });
    const err = ((): unknown => {
      try {
        findBarFilesUnder(dir, { timeframe: '1h' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(DataDirError);
    const files = ['BTC_USDT-1h.json', other].sort();
    expect((err as Error).message).toContain(`BTC/USDT 1h in 2 files (${files.join(', ')})`);
    expect(() => findBarFiles(dir, { symbols: ['BTC/USDT'] })).toThrow(DataDirError);
    // The other symbols of the folder are read as before.
    expect(findBarFilesUnder(dir, { symbols: ['ETH/USDT'] }).map((f) => f.symbol)).toEqual(['ETH/USDT']);
  });
});

describe('files that look like bars but are not read', () => {
  const dir = folder('unread', {
    'BTC_USDT-1h.json': json(btc),
    'BTC_USDT-3m.json': json(btc),
    'BTC_USDT-trades.feather': 'trades',
    'BTC_USDT-1h.h5': 'hdf5',
    'SOL_USDT_2h.csv': csv(eth),
    'futures/ETH_USDT_USDT-8h-mark.feather': 'mark',
    'futures/ETH_USDT_USDT-8h-funding_rate.feather': 'funding',
    'futures/ETH_USDT_USDT-1h-index.feather': 'index',
    'notes.txt': 'not a bar file',
  });

  it('are warned of, one line per kind, naming the files and why', () => {
    const unread = unreadBarFiles(dir);
    expect(unread.map((f) => [f.path.slice(dir.length), f.symbol, f.kind])).toEqual([
      ['/BTC_USDT-1h.h5', 'BTC/USDT', 'hdf5'],
      ['/BTC_USDT-3m.json', 'BTC/USDT', 'timeframe'],
      ['/BTC_USDT-trades.feather', 'BTC/USDT', 'trades'],
      ['/SOL_USDT_2h.csv', 'SOL/USDT', 'timeframe'],
      ['/futures/ETH_USDT_USDT-1h-index.feather', 'ETH/USDT:USDT', 'candles'],
      ['/futures/ETH_USDT_USDT-8h-funding_rate.feather', 'ETH/USDT:USDT', 'candles'],
      ['/futures/ETH_USDT_USDT-8h-mark.feather', 'ETH/USDT:USDT', 'candles'],
    ]);
    expect(unreadFileWarnings(unread, dir)).toEqual([
      `1 file under ${dir} not read, freqtrade hdf5 (convert them: freqtrade convert-data --format-to feather): BTC_USDT-1h.h5`,
      `2 files under ${dir} not read, their timeframe is not one Sextant reads (1m, 5m, 15m, 1h, 4h, 1d): BTC_USDT-3m.json, SOL_USDT_2h.csv`,
      `1 file under ${dir} not read, freqtrade trades, not bars: BTC_USDT-trades.feather`,
      `3 files under ${dir} not read, freqtrade mark, index, premium-index or funding-rate candles, not trade bars: futures/ETH_USDT_USDT-1h-index.feather, futures/ETH_USDT_USDT-8h-funding_rate.feather, futures/ETH_USDT_USDT-8h-mark.feather`,
    ]);
    // Only the symbols asked for; --data <folder>/futures only those.
    expect(unreadBarFiles(dir, { symbols: ['SOL/USDT'] }).map((f) => f.path.slice(dir.length))).toEqual(['/SOL_USDT_2h.csv']);
    expect(unreadBarFiles(join(dir, 'futures')).map((f) => f.kind)).toEqual(['candles', 'candles', 'candles']);
  });

  it('a symbol with only such files is an error naming them (backtest, replay, train, demo), not "no rows"', async () => {
    const named = /no 1h bar files for ETH\/USDT:USDT under .* \(not read there: futures\/ETH_USDT_USDT-1h-index\.feather, futures\/ETH_USDT_USDT-8h-funding_rate\.feather, futures\/ETH_USDT_USDT-8h-mark\.feather: freqtrade mark, index, premium-index or funding-rate candles, not trade bars\)$/;
    await expect(barFiles(dir, ['ETH/USDT:USDT'], '1h')).rejects.toThrow(named);
    await expect(loadSymbolBars(dir, ['ETH/USDT:USDT'], '1h', {})).rejects.toThrow(named);
    const base = loadConfig({ env: {} });
    const cfg = { ...base, assets: [...base.assets, { ...base.assets[0]!, symbol: 'ETH/USDT:USDT' }] };
    expect(() => replayFiles(cfg, { data: dir, symbols: ['ETH/USDT:USDT'] })).toThrow(named);
    // The demo in train's words (missingBarFilesMessage): it said `under <dir>/ohlcv`, wrong for this folder, and named none of them.
    const demo = runDemo({ data: dir, symbols: ['ETH/USDT:USDT'], timeframe: '1h', from: T0, to: T0 + 24 * HOUR, embedded: true, faults: false });
    await expect(demo).rejects.toThrow(named);
    await expect(demo).rejects.toThrow(`under ${dir} (not read there: `);
    // A symbol with files of both kinds reads its bars; a symbol with none is named with nothing added.
    expect((await barFiles(dir, ['BTC/USDT'], '1h')).map((f) => f.path.slice(dir.length))).toEqual(['/BTC_USDT-1h.json']);
    await expect(barFiles(dir, ['DOGE/USDT'], '1h')).rejects.toThrow(/^no 1h bar files for DOGE\/USDT under [^(]*$/);
  });

  it('a flat folder with only such files says what it holds', () => {
    const only = folder('only-unread', { 'BTC_USDT-8h-mark.feather': 'mark' });
    expect(() => findBarFilesUnder(only)).toThrow(/no freqtrade files .*\(not read there: BTC_USDT-8h-mark\.feather: freqtrade mark/);
  });
});
