import { describe, expect, it } from 'vitest';
import { subjectsFor, SubjectError, symbolToken, tokenToSymbol, venueToken } from '../../streams/subjects.js';

describe('subjects', () => {
  it('turns ccxt symbols into one subject token and back', () => {
    expect(symbolToken('BTC/USDT')).toBe('BTC-USDT');
    expect(symbolToken('BTC/USDT:USDT')).toBe('BTC-USDT_USDT');
    expect(tokenToSymbol('BTC-USDT_USDT')).toBe('BTC/USDT:USDT');
    expect(tokenToSymbol(symbolToken('1000PEPE/USDT'))).toBe('1000PEPE/USDT');
    expect(() => symbolToken('BTC USDT')).toThrow(SubjectError);
    expect(() => symbolToken('BTC.USDT')).toThrow(SubjectError);
  });

  it('builds every subject of the design from one module', () => {
    const s = subjectsFor('sx');
    expect(s.trade('binance', 'BTC/USDT')).toBe('sx.md.binance.BTC-USDT.trade');
    expect(s.quote('binance', 'BTC/USDT')).toBe('sx.md.binance.BTC-USDT.quote');
    expect(s.bar('binance', 'ETH/USDT', '5m')).toBe('sx.md.binance.ETH-USDT.bar.5m');
    expect(s.marketData('binance', 'BTC/USDT')).toBe('sx.md.binance.BTC-USDT.>');
    expect(s.features('binance', 'BTC/USDT')).toBe('sx.feat.binance.BTC-USDT');
    expect(s.prediction('mlp', 'binance', 'BTC/USDT')).toBe('sx.pred.mlp.binance.BTC-USDT');
    expect(s.order('mlp', 'binance', 'BTC/USDT:USDT')).toBe('sx.exec.order.mlp.binance.BTC-USDT_USDT');
    expect(s.dlq('asset')).toBe('sx.dlq.asset');
    expect(s.riskState()).toBe('sx.risk.state');
    expect(s.streamSubjects.MD).toEqual(['sx.md.>']);
    expect(() => s.trade('bin.ance', 'BTC/USDT')).toThrow(SubjectError);
  });

  it('parses market-data subjects and rejects anything else', () => {
    const s = subjectsFor('sx');
    expect(s.parseMarketData('sx.md.binance.BTC-USDT.bar.1h')).toEqual({ venue: 'binance', symbol: 'BTC/USDT', kind: 'bar', tf: '1h' });
    expect(s.parseMarketData('sx.md.binance.BTC-USDT_USDT.trade')).toEqual({ venue: 'binance', symbol: 'BTC/USDT:USDT', kind: 'trade' });
    expect(s.parseMarketData('sx.md.binance.BTC-USDT.trade.x')).toBeUndefined();
    expect(s.parseMarketData('sx.md.binance.BTC-USDT.bar')).toBeUndefined();
    expect(s.parseMarketData('sx.feat.binance.BTC-USDT')).toBeUndefined();
    expect(s.parseMarketData('other.md.binance.BTC-USDT.trade')).toBeUndefined();
  });
});

describe('subjects, cached tokens', () => {
  it('gives the same subjects on repeated calls and refuses a bad venue or symbol every time', () => {
    const s = subjectsFor('sx');
    for (let i = 0; i < 3; i++) {
      expect(s.prediction('mlp', 'binance', 'BTC/USDT:USDT')).toBe('sx.pred.mlp.binance.BTC-USDT_USDT');
      expect(s.fill('kraken', 'BTC/USDT')).toBe('sx.exec.fill.kraken.BTC-USDT');
      expect(() => s.trade('binance', 'BTC USDT')).toThrow(SubjectError);
      expect(() => s.trade('bin.ance', 'BTC/USDT')).toThrow(SubjectError);
      expect(() => symbolToken('BTC.USDT')).toThrow(SubjectError);
    }
  });

  it('stays right past its bound (more assets than it keeps)', () => {
    const s = subjectsFor('sx');
    for (let i = 0; i < 5000; i++) expect(s.features('binance', `C${i}/USDT`)).toBe(`sx.feat.binance.C${i}-USDT`);
    expect(s.features('binance', 'C0/USDT')).toBe('sx.feat.binance.C0-USDT');
    expect(symbolToken('C4999/USDT')).toBe('C4999-USDT');
  });
});

describe('subjects, details', () => {
  it('round-trips spot, perpetual and dated-future symbols through their token', () => {
    for (const sym of ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'BTC/USDT:USDT', 'ETH/USD:ETH', '1000PEPE/USDT']) {
      expect(tokenToSymbol(symbolToken(sym))).toBe(sym);
    }
  });

  it('throws SubjectError for symbols and tokens that cannot be one subject token', () => {
    for (const bad of ['', 'BTC USDT', 'BTC.USDT', 'BTC/USDT.x', 'BTC*', 'BTC/>', 'ÉTH/USDT']) expect(() => symbolToken(bad), bad).toThrow(SubjectError);
    for (const bad of ['', 'BTC.USDT', 'BTC/USDT', '*', '>']) expect(() => tokenToSymbol(bad), bad).toThrow(SubjectError);
    expect(() => venueToken('bin_ance')).toThrow(SubjectError);
    expect(() => venueToken('')).toThrow(SubjectError);
    expect(venueToken('binance-us')).toBe('binance-us');
  });

  it('builds every subject of the design under the given prefix', () => {
    const s = subjectsFor('sx');
    expect(s.prefix).toBe('sx');
    expect(s.allMarketData()).toBe('sx.md.>');
    expect(s.allFeatures()).toBe('sx.feat.>');
    expect(s.suggestion('mlp', 'binance', 'BTC/USDT')).toBe('sx.exec.suggest.mlp.binance.BTC-USDT');
    expect(s.reject('mlp', 'binance', 'BTC/USDT')).toBe('sx.exec.reject.mlp.binance.BTC-USDT');
    expect(s.fill('binance', 'BTC/USDT')).toBe('sx.exec.fill.binance.BTC-USDT');
    expect(s.outcome('mlp', 'binance', 'BTC/USDT')).toBe('sx.outcome.mlp.binance.BTC-USDT');
    expect(s.label('mlp', 'binance', 'BTC/USDT')).toBe('sx.label.mlp.binance.BTC-USDT');
    expect(s.model('mlp', 'promoted')).toBe('sx.model.mlp.promoted');
    expect(s.control('halt')).toBe('sx.ctl.halt');
    expect(s.allDlq()).toBe('sx.dlq.>');
    expect(s.streamSubjects).toEqual({
      MD: ['sx.md.>'],
      SIGNALS: ['sx.pred.>', 'sx.exec.>'],
      OUTCOMES: ['sx.outcome.>', 'sx.label.>', 'sx.model.>'],
      DLQ: ['sx.dlq.>'],
    });
    const demo = subjectsFor('sxdemo');
    expect(demo.trade('binance', 'BTC/USDT')).toBe('sxdemo.md.binance.BTC-USDT.trade');
    expect(demo.dlq('asset')).toBe('sxdemo.dlq.asset');
    expect(subjectsFor().prefix).toBe('sx');
  });

  it('parses back what its own builders produce, for every kind', () => {
    const s = subjectsFor('sx');
    expect(s.parseMarketData(s.trade('binance', 'ETH/USDT'))).toEqual({ venue: 'binance', symbol: 'ETH/USDT', kind: 'trade' });
    expect(s.parseMarketData(s.quote('binance', 'BTC/USDT:USDT'))).toEqual({ venue: 'binance', symbol: 'BTC/USDT:USDT', kind: 'quote' });
    expect(s.parseMarketData(s.bar('kraken', 'SOL/USDT', '5m'))).toEqual({ venue: 'kraken', symbol: 'SOL/USDT', kind: 'bar', tf: '5m' });
  });

  it('parses only its own prefix and only the market-data shapes', () => {
    const s = subjectsFor('sx');
    expect(subjectsFor('sxdemo').parseMarketData('sx.md.binance.BTC-USDT.trade')).toBeUndefined();
    expect(s.parseMarketData('sx.md.binance.BTC-USDT.book')).toBeUndefined();
    expect(s.parseMarketData('sx.md.binance.BTC-USDT.quote.1')).toBeUndefined();
    expect(s.parseMarketData('sx.md.binance.BTC-USDT.bar.1h.x')).toBeUndefined();
    expect(s.parseMarketData('sx.md.binance.BTC-USDT')).toBeUndefined();
    expect(s.parseMarketData('')).toBeUndefined();
  });
});
