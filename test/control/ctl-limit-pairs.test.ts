import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseLimitPairs } from '../../cli/commands/ctl.js';

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
});
