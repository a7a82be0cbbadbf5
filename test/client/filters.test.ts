import { describe, expect, it } from 'vitest';
import { ClientValidationError, orderFilter, predictionFilter } from 'sextant/client';

describe('sextant/client subscription filters', () => {
  it('builds the filter subject, with * for what is left out', () => {
    expect(orderFilter('sx', { strategy: 'alpha', symbol: 'BTC/USDT' })).toBe('sx.exec.order.alpha.*.BTC-USDT');
    expect(predictionFilter('sx', { venue: 'binance', symbol: 'BTC/USDT:USDT' })).toBe('sx.pred.*.binance.BTC-USDT_USDT');
    expect(orderFilter('sx', {})).toBe('sx.exec.order.*.*.*');
  });

  it('refuses a symbol that can never match an engine symbol (upper case BASE/QUOTE), saying what it should be', () => {
    for (const filter of [orderFilter, predictionFilter]) {
      expect(() => filter('sx', { symbol: 'btc/usdt' })).toThrow(ClientValidationError);
      expect(() => filter('sx', { symbol: 'btc/usdt' })).toThrow('symbol "btc/usdt" can never match: the engine\'s symbols are ccxt unified symbols, upper case BASE/QUOTE[:SETTLE] like "BTC/USDT" (did you mean "BTC/USDT"?)');
      // Not the engine's form at all: no hint.
      expect(() => filter('sx', { symbol: 'BTCUSDT' })).toThrow(/^symbol "BTCUSDT" can never match: .*like "BTC\/USDT"$/);
      expect(() => filter('sx', { symbol: 'BTC-USDT' })).toThrow(ClientValidationError);
    }
  });

  it('refuses a strategy that is not one subject token (dir.mlp would match nothing; a b, empty or > crashed in the server call)', () => {
    for (const filter of [orderFilter, predictionFilter]) {
      for (const strategy of ['dir.mlp', 'a b', '', '>', '*']) {
        expect(() => filter('sx', { strategy })).toThrow(ClientValidationError);
      }
      expect(() => filter('sx', { strategy: 'dir.mlp' })).toThrow('strategy "dir.mlp" can never match: the engine\'s strategy names (config strategy.name) are 1-64 letters, digits, _ and -');
      expect(filter('sx', { strategy: 'dir_mlp-2' })).toMatch(/\.dir_mlp-2\.\*\.\*$/);
    }
  });
});
