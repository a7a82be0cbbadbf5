import { describe, expect, it } from 'vitest';
import { detectFormat, parseHeader } from '../../gateways/historical/csv-format.js';
import { readMarketData, readTickBatches } from '../../gateways/historical/market-data-csv.js';
import { BTC_1H, BTC_5M_ORACLE, BTC_QUOTES, BTC_TRADES, collect, csvRows, dataPath, ORDERFLOW_TRADES, XRPETH_1M, XRPETH_TRADES } from './data.js';

describe('detectFormat', () => {
  it.each([
    [BTC_1H, 'ohlcv'],
    [BTC_5M_ORACLE, 'ohlcv'],
    [XRPETH_1M, 'ohlcv'],
    [XRPETH_TRADES, 'freqtrade-trades'],
    [ORDERFLOW_TRADES, 'freqtrade-trades'],
    [BTC_TRADES, 'nautilus-trades'],
    [BTC_QUOTES, 'bookticker'],
    ['ticks/binance_BTCUSDT_perp_depth_snapshot_2022-11-01.csv', undefined],
    ['ticks/tardis_binance-futures_BTCUSDT_book_snapshot_5_2020-09-01.csv', undefined],
  ])('tells %s from its header: %s', (file, format) => {
    expect(detectFormat(csvRows(dataPath(file)).header)).toBe(format);
  });

  it('ignores case, spaces, column order and a byte-order mark', () => {
    expect(detectFormat(parseHeader('\uFEFFVolume, Close ,low,HIGH,open,timestamp'))).toBe('ohlcv');
  });
});

describe('readMarketData', () => {
  const o = { venue: 'binance', symbol: 'BTC/USDT' } as const;

  it('picks the reader from the header', async () => {
    const bars = await collect(readMarketData(dataPath(BTC_1H), { ...o, tf: '1h', limit: 2 }));
    expect(bars.map((m) => m.type)).toEqual(['md.bar', 'md.bar']);
    const trades = await collect(readMarketData(dataPath(BTC_TRADES), o));
    expect(trades.every((m) => m.type === 'md.trade')).toBe(true);
    expect(trades).toHaveLength(2001);
    const quotes = await collect(readMarketData(dataPath(BTC_QUOTES), o));
    expect(quotes.every((m) => m.type === 'md.quote')).toBe(true);
    expect(quotes).toHaveLength(451);
  });

  it('needs a timeframe for bars and refuses unknown layouts, listing the known ones', async () => {
    await expect(collect(readMarketData(dataPath(BTC_1H), o))).rejects.toThrow(/:1: an OHLCV file needs a timeframe/);
    await expect(collect(readMarketData(dataPath('ticks/binance_BTCUSDT_perp_depth_snapshot_2022-11-01.csv'), o))).rejects.toThrow(
      /:1: unknown CSV layout "symbol,timestamp,.*"; known: ohlcv \(timestamp,open,high,low,close,volume\); freqtrade-trades/,
    );
  });
});

describe('readTickBatches', () => {
  const o = { venue: 'binance', symbol: 'BTC/USDT' } as const;
  const flat = async <T>(it: AsyncIterable<readonly T[]>): Promise<T[]> => {
    const out: T[] = [];
    for await (const b of it) out.push(...b);
    return out;
  };

  it('reads either trades layout and bookTicker quotes in chunks, equal to the one-by-one reader, within the window', async () => {
    for (const file of [BTC_TRADES, BTC_QUOTES, XRPETH_TRADES]) {
      expect(await flat(readTickBatches(dataPath(file), o))).toEqual(await collect(readMarketData(dataPath(file), o)));
    }
    const from = 1610064010000;
    const to = 1610064020000;
    const part = await flat(readTickBatches(dataPath(BTC_TRADES), { ...o, from, to }));
    expect(part.length).toBeGreaterThan(0);
    expect(part.every((m) => m.ts >= from && m.ts < to)).toBe(true);
    expect(part).toEqual((await collect(readMarketData(dataPath(BTC_TRADES), o))).filter((m) => m.ts >= from && m.ts < to));
  });

  it('refuses bars and unknown layouts at line 1', async () => {
    await expect(flat(readTickBatches(dataPath(BTC_1H), o))).rejects.toThrow(/:1: not a trades or quotes file \(it is ohlcv\)/);
    await expect(flat(readTickBatches(dataPath('ticks/binance_BTCUSDT_perp_depth_snapshot_2022-11-01.csv'), o))).rejects.toThrow(/:1: not a trades or quotes file: header "symbol,timestamp,/);
  });
});
