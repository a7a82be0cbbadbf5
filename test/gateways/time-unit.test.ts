import { afterAll, describe, expect, it } from 'vitest';
import { replaySources } from '../../cli/commands/replay.js';
import { loadConfig } from '../../config/load.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { readMarketData } from '../../gateways/historical/market-data-csv.js';
import { SourceError } from '../../gateways/historical/source-error.js';
import { wrongTimeUnitOf } from '../../gateways/historical/time-unit.js';
import { BTC_1H, collect, csvRows, dataPath, scratch, XRPETH_TRADES } from './data.js';

const tmp = scratch();
afterAll(() => tmp.cleanup());

/** The first `n` rows of a shared file with the timestamp column rewritten by `ts` (ms → another unit). */
function rewritten(file: string, name: string, n: number, ts: (ms: number) => string): string {
  const { header, rows } = csvRows(dataPath(file));
  const col = header.indexOf('timestamp');
  const lines = rows.slice(0, n).map((r) => r.map((c, i) => (i === col ? ts(Number(c)) : c)).join(','));
  return tmp.file(name, `${[header.join(','), ...lines].join('\n')}\n`);
}

/** What a read ends with (its error, if any) and how many items it gave before. */
async function readAll(src: AsyncIterable<unknown>): Promise<{ error: unknown; read: number }> {
  let read = 0;
  try {
    for await (const _ of src) read++;
  } catch (error) {
    return { error, read };
  }
  return { error: undefined, read };
}

describe('a CSV file in another time unit than epoch milliseconds', () => {
  it('tells seconds, microseconds and nanoseconds of the same years from milliseconds', () => {
    expect(wrongTimeUnitOf(1_589_155_200)).toMatchObject({ unit: 'seconds' });
    expect(wrongTimeUnitOf(1_589_155_200.25)).toMatchObject({ unit: 'seconds' });
    expect(wrongTimeUnitOf(1_589_155_200_000_000)).toMatchObject({ unit: 'microseconds' });
    expect(wrongTimeUnitOf(1_589_155_200_000_000_000)).toMatchObject({ unit: 'nanoseconds' });
    expect(wrongTimeUnitOf(1_589_155_200_000)).toBeUndefined();
    expect(wrongTimeUnitOf(42)).toBeUndefined();
    expect(wrongTimeUnitOf(1_589_155_200_000_000.5)).toBeUndefined();
  });

  it.each([
    ['seconds', (ms: number) => String(ms / 1000), /timestamp 1589155200 is in epoch seconds, expected epoch milliseconds.*multiply it by 1000/],
    ['microseconds', (ms: number) => `${ms}000`, /timestamp 1589155200000000 is in epoch microseconds, expected epoch milliseconds.*divide it by 1000\b/],
  ])('refuses an OHLCV file in %s once, at its first row, even when bad rows are skipped', async (unit, ts, reason) => {
    const path = rewritten(BTC_1H, `BTC_USDT_1h_${unit}.csv`, 500, ts);
    const bad: SourceError[] = [];
    const { error, read } = await readAll(readBars(path, { venue: 'binance', symbol: 'BTC/USDT', tf: '1h', onBadRow: (e) => bad.push(e) }));
    expect(bad).toEqual([]); // was: 500 bad rows, one per row
    expect(read).toBe(0);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).line).toBe(2);
    expect((error as SourceError).message).toMatch(reason);
  });

  it('refuses a trades file in microseconds the same way', async () => {
    const path = rewritten(XRPETH_TRADES, 'trades_us.csv', 300, (ms) => `${ms}000`);
    const bad: SourceError[] = [];
    const { error, read } = await readAll(readMarketData(path, { venue: 'binance', symbol: 'XRP/ETH', onBadRow: (e) => bad.push(e) }));
    expect(bad).toEqual([]);
    expect(read).toBe(0);
    expect((error as SourceError).message).toMatch(/:2: timestamp 1570752011620000 is in epoch microseconds, expected epoch milliseconds/);
  });

  it('is one error for `sextant replay`, not one dead letter per row', async () => {
    const cfg = loadConfig({ env: {} });
    const symbol = cfg.assets[0]?.symbol ?? 'BTC/USDT';
    const path = rewritten(BTC_1H, 'seconds_1h.csv', 200, (ms) => String(ms / 1000));
    const refused: SourceError[] = [];
    const sources = replaySources(cfg, { data: path, symbol, timeframe: '1h' }, (e) => refused.push(e));
    expect(sources).toHaveLength(1);
    const { error } = await readAll(sources[0] as AsyncIterable<unknown>);
    expect(refused).toEqual([]);
    expect((error as Error).message).toMatch(/in epoch seconds, expected epoch milliseconds/);
  });

  it('still reads a file in milliseconds, and a later row in seconds stays one bad row', async () => {
    const path = rewritten(BTC_1H, 'one_bad.csv', 5, (ms) => (ms === 1589155200000 + 2 * 3_600_000 ? String(ms / 1000) : String(ms)));
    const bad: SourceError[] = [];
    const bars = await collect(readBars(path, { venue: 'binance', symbol: 'BTC/USDT', tf: '1h', onBadRow: (e) => bad.push(e) }));
    expect(bars.map((b) => b.ts)).toEqual([0, 1, 3, 4].map((i) => 1589155200000 + i * 3_600_000));
    expect(bad.map((e) => e.line)).toEqual([4]);
  });
});
