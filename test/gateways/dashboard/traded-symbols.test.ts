import { describe, expect, it } from 'vitest';
import { assetSymbol, TradedSymbols } from '../../../gateways/dashboard/src/traded-symbols.js';

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
    expect(t.traded('ETH/USDT')).toBe(true);
    expect(t.actor('asset:binance:BTC/USDT')).toBe(true);
    expect(t.actor('asset:binance:BTC/USDT')).toBe(false);
    expect([t.traded('BTC/USDT'), t.traded('ETH/USDT')]).toEqual([true, false]);
    // A drop keeps the list; the next connection starts with nothing said (all traded) until it names one.
    t.status('reconnecting');
    expect(t.traded('ETH/USDT')).toBe(false);
    t.status('open');
    expect(t.traded('ETH/USDT')).toBe(true);
    t.status('open');
    expect(t.actor('asset:binance:ETH/USDT')).toBe(true);
    expect([t.traded('BTC/USDT'), t.traded('ETH/USDT')]).toEqual([false, true]);
  });
});
