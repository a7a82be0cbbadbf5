import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseLimitPairs } from '../../cli/commands/ctl.js';
import { applyLimitsPatch, parseRiskLimits } from '../../models/risk/risk-limits.js';

describe('sextant ctl limits set: key=value pairs', () => {
  it('reads numbers, lists, strings and JSON values', () => {
    expect(parseLimitPairs(['maxOrderNotional=1234', 'allowlist=BTC/USDT,ETH/USDT', 'note=x', 'perSymbol={"BTC/USDT":2}', 'caps=[1,2]'])).toEqual({
      maxOrderNotional: 1234,
      allowlist: ['BTC/USDT', 'ETH/USDT'],
      note: 'x',
      perSymbol: { 'BTC/USDT': 2 },
      caps: [1, 2],
    });
  });

  it('refuses a pair without a key, and JSON that does not parse, naming the key', () => {
    expect(() => parseLimitPairs(['=5'])).toThrow(/expected key=value, got "=5"/);
    expect(() => parseLimitPairs(['maxPositionQty={"BTC/USDT":'])).toThrow(InvalidArgumentError);
    expect(() => parseLimitPairs(['maxPositionQty={"BTC/USDT":'])).toThrow(/^maxPositionQty: not valid JSON .*: \{"BTC\/USDT":$/);
  });

  it('reads a list limit given one symbol, or none, as a list (allowlist=BTC/USDT, allowlist=), which the engine would refuse as a string', () => {
    expect(parseLimitPairs(['allowlist=BTC/USDT'])).toEqual({ allowlist: ['BTC/USDT'] });
    expect(parseLimitPairs(['allowlist='])).toEqual({ allowlist: [] });
    expect(applyLimitsPatch(parseRiskLimits({ allowlist: ['BTC/USDT', 'ETH/USDT'] }), parseLimitPairs(['allowlist=ETH/USDT'])).allowlist).toEqual(['ETH/USDT']);
    // Other keys keep their scalar reading.
    expect(parseLimitPairs(['maxOrderNotional=5', 'onBreach=halt'])).toEqual({ maxOrderNotional: 5, onBreach: 'halt' });
  });

  it('refuses a numeric limit that is not a finite number (1e400, Infinity, NaN) as such, not as "expected number, received string"', () => {
    for (const v of ['1e400', '-1e400', 'Infinity', '-Infinity', 'NaN', 'abc', '']) {
      expect(() => parseLimitPairs([`maxOrderNotional=${v}`]), v).toThrow(InvalidArgumentError);
      expect(() => parseLimitPairs([`maxOrderNotional=${v}`]), v).toThrow(`maxOrderNotional: ${JSON.stringify(v)} is not a finite number`);
    }
    expect(() => parseLimitPairs(['windowMs=Infinity'])).toThrow('windowMs: "Infinity" is not a finite number');
    // Inside a JSON value JSON.parse reads 1e400 as Infinity, which would be sent as null: refused with its place.
    expect(() => parseLimitPairs(['maxOrderQty={"default":1,"perSymbol":{"BTC/USDT":1e400}}'])).toThrow(
      'maxOrderQty.perSymbol.BTC/USDT: Infinity is not a finite number (in {"default":1,"perSymbol":{"BTC/USDT":1e400}})',
    );
    // An item of a comma-separated list was sent as the string "1e400": refused too, for every key.
    for (const v of ['1e400', '-1e400', 'Infinity', 'NaN']) {
      expect(() => parseLimitPairs([`maxOrderNotional=1,${v}`]), v).toThrow(InvalidArgumentError);
      expect(() => parseLimitPairs([`maxOrderNotional=1,${v}`]), v).toThrow(`maxOrderNotional: ${JSON.stringify(v)} is not a finite number (in 1,${v})`);
      expect(() => parseLimitPairs([`caps=${v},2`]), v).toThrow(`caps: ${JSON.stringify(v)} is not a finite number (in ${v},2)`);
      expect(() => parseLimitPairs([`allowlist=${v}`]), v).toThrow(`allowlist: ${JSON.stringify(v)} is not a finite number (in ${v})`);
    }
    // In a JSON value, a string that spells one (sent as a string) and an array item too.
    expect(() => parseLimitPairs(['maxOrderQty={"default":"Infinity"}'])).toThrow('maxOrderQty.default: "Infinity" is not a finite number (in {"default":"Infinity"})');
    expect(() => parseLimitPairs(['maxPositionQty={"perSymbol":{"BTC/USDT":"1e400"}}'])).toThrow(/^maxPositionQty\.perSymbol\.BTC\/USDT: "1e400" is not a finite number /);
    expect(() => parseLimitPairs(['caps=[1,-1e400]'])).toThrow('caps.1: -Infinity is not a finite number (in [1,-1e400])');
    expect(() => parseLimitPairs(['caps=[1,"NaN"]'])).toThrow(InvalidArgumentError);
    // Lists of finite numbers and of symbols, and JSON strings that are text, still pass.
    expect(parseLimitPairs(['caps=1,2.5e3,-3', 'allowlist=BTC/USDT,ETH/USDT', 'perSymbol={"BTC/USDT":"abc"}'])).toEqual({ caps: [1, 2500, -3], allowlist: ['BTC/USDT', 'ETH/USDT'], perSymbol: { 'BTC/USDT': 'abc' } });
    // Finite numbers in every spelling still pass, and a text limit is left alone.
    expect(parseLimitPairs(['maxOrderNotional=1e300', 'collarBps=0.5', 'onBreach=NaN'])).toEqual({ maxOrderNotional: 1e300, collarBps: 0.5, onBreach: 'NaN' });
  });
});

