import { describe, expect, it } from 'vitest';
import { detectFormat, parseHeader } from '../../gateways/historical/csv-format.js';
import { readMarketData } from '../../gateways/historical/market-data-csv.js';
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
