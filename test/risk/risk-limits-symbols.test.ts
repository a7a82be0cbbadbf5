import { describe, expect, it } from 'vitest';
import { createRiskCore } from '../../models/risk/risk-core.js';
import { RiskLimitsError } from '../../models/risk/risk-limits.js';
import { baseLimits, BTC } from './risk-fixtures.js';

/**
 * `sextant ctl limits set allowlist=btc/usdt,ETH/USDT` (or `BTC-USDT`) was answered ok: every
 * BTC/USDT order was then refused SYMBOL_NOT_ALLOWED. A per-symbol cap for `BTC-USDT` was stored
 * and never applied to BTC/USDT, whose old cap stayed in force. A symbol in a patch is now a ccxt
 * unified one, as the engine's assets are, or the patch is refused and nothing changes.
 */
describe('risk limits patch: symbols', () => {
  it('refuses an allowlist or a per-symbol cap that names no unified symbol, changing nothing', () => {
    const c = createRiskCore({ account: 'acc', limits: baseLimits });
    const before = c.getLimits();
    expect(() => c.setLimits({ allowlist: ['btc/usdt', 'ETH/USDT'] })).toThrow(RiskLimitsError);
    expect(() => c.setLimits({ allowlist: ['BTC-USDT'] })).toThrow(/allowlist\.0: a ccxt unified symbol like BTC\/USDT/);
    expect(() => c.setLimits({ maxOrderQty: { perSymbol: { 'BTC-USDT': 0.01 } } })).toThrow(/maxOrderQty\.perSymbol\.BTC-USDT: not a ccxt unified symbol/);
    expect(() => c.setLimits({ maxPositionQty: { perSymbol: { 'btc/usdt': 1 } } })).toThrow(/maxPositionQty\.perSymbol\.btc\/usdt/);
    expect(c.getLimits()).toEqual(before);
  });

  it('takes unified symbols, with a settle currency too', () => {
    const c = createRiskCore({ account: 'acc', limits: baseLimits });
    const l = c.setLimits({ allowlist: [BTC, 'BTC/USDT:USDT'], maxOrderQty: { perSymbol: { [BTC]: 0.01, 'BTC/USDT:USDT': 1 } } });
    expect(l.allowlist).toEqual([BTC, 'BTC/USDT:USDT']);
    expect(l.maxOrderQty.perSymbol[BTC]).toBe(0.01);
  });
});
