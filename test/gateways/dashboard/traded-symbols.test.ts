import { describe, expect, it } from 'vitest';
import { assetOf, assetSymbol, TradedSymbols } from '../../../gateways/dashboard/src/traded-symbols.js';

describe('dashboard: the symbols the engine trades, from its asset actors on this connection', () => {
  it('reads the symbol of an asset actor id, with or without its venue', () => {
    expect(assetSymbol('asset:binance:BTC/USDT')).toBe('BTC/USDT');
    expect(assetSymbol('asset:binance:BTC/USDT:USDT')).toBe('BTC/USDT:USDT');
    expect(assetSymbol('asset:BTC/USDT')).toBe('BTC/USDT');
    expect(assetSymbol('asset:BTC/USDT:USDT')).toBe('BTC/USDT:USDT');
    expect([assetSymbol('risk:paper'), assetSymbol('decision:dir'), assetSymbol('asset:binance'), assetSymbol('asset:binance:')]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('counts every symbol traded until the connection names an asset actor, then only those named; a new connection starts over', () => {
    const t = new TradedSymbols();
    t.status('open');
    expect(t.actor('risk:paper')).toBe(false);
    expect(t.traded('binance', 'ETH/USDT')).toBe(true);
    expect(t.actor('asset:binance:BTC/USDT')).toBe(true);
    expect(t.actor('asset:binance:BTC/USDT')).toBe(false);
    expect([t.traded('binance', 'BTC/USDT'), t.traded('binance', 'ETH/USDT')]).toEqual([true, false]);
    // A drop keeps the list; the next connection starts with nothing said (all traded) until it names one.
    t.status('reconnecting');
    expect(t.traded('binance', 'ETH/USDT')).toBe(false);
    t.status('open');
    expect(t.traded('binance', 'ETH/USDT')).toBe(true);
    t.status('open');
    expect(t.actor('asset:binance:ETH/USDT')).toBe(true);
    expect([t.traded('binance', 'BTC/USDT'), t.traded('binance', 'ETH/USDT')]).toEqual([false, true]);
  });

  it('tells one symbol on two venues apart: an engine trading BTC/USDT on binance only does not trade it on kraken', () => {
    expect(assetOf('asset:kraken:BTC/USDT')).toEqual({ venue: 'kraken', symbol: 'BTC/USDT' });
    expect(assetOf('asset:BTC/USDT:USDT')).toEqual({ venue: null, symbol: 'BTC/USDT:USDT' });
    const t = new TradedSymbols();
    t.status('open');
    expect(t.actor('asset:binance:BTC/USDT')).toBe(true);
    expect([t.traded('binance', 'BTC/USDT'), t.traded('kraken', 'BTC/USDT')]).toEqual([true, false]);
    // Named on kraken too: a new asset, both traded.
    expect(t.actor('asset:kraken:BTC/USDT')).toBe(true);
    expect(t.traded('kraken', 'BTC/USDT')).toBe(true);
    // An id without a venue names its symbol on every venue.
    expect(t.actor('asset:ETH/USDT')).toBe(true);
    expect([t.traded('binance', 'ETH/USDT'), t.traded('kraken', 'ETH/USDT')]).toEqual([true, true]);
  });
});
