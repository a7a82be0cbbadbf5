import { describe, expect, it } from 'vitest';
import { createRiskCore } from '../../models/risk/risk-core.js';
import { baseLimits, BTC, fill, suggestion, T0, VENUE } from './risk-fixtures.js';

const ETHBTC = 'ETH/BTC';
const ETHUSDC = 'ETH/USDC';
/** An account in USDT trading BTC/USDT and ETH/BTC, BTC valued at the BTC/USDT mid. */
const usdtAccount = { accountCurrency: 'USDT', conversions: { BTC: BTC } } as const;

describe('risk limits in the account currency', () => {
  it('halts on a daily loss of 0.05 BTC on ETH/BTC worth 3,000 USDT past a maxDailyLoss of 1,000 USDT', () => {
    const c = createRiskCore({ account: 'acc', limits: { ...baseLimits, allowlist: [BTC, ETHBTC], maxDailyLoss: 1_000 }, currency: usdtAccount });
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 60_000 });
    c.onMarket({ venue: VENUE, symbol: ETHBTC, ts: T0, mid: 0.05 });
    c.onFill(fill({ orderId: 'o:1', symbol: ETHBTC, side: 'buy', qty: 10, price: 0.05 }));
    expect(c.state()).toBe('ACTIVE');
    // 10 ETH × (0.045 − 0.05) = −0.05 BTC = −3,000 USDT at 60,000.
    const states = c.onMarket({ venue: VENUE, symbol: ETHBTC, ts: T0 + 60_000, mid: 0.045 });
    expect(c.state()).toBe('HALTED');
    expect(states[0]?.reason).toMatch(/daily loss 3,?000/);
    expect(c.status()).toMatchObject({ currency: 'USDT', pnl: { daily: expect.closeTo(-3_000, 6) as number } });
  });

  it('moves the equity with the conversion mid alone: the BTC/USDT mid falling revalues BTC PnL', () => {
    const c = createRiskCore({ account: 'acc', limits: { ...baseLimits, allowlist: [BTC, ETHBTC], maxDailyLoss: 10_000, maxDrawdown: 10_000 }, currency: usdtAccount });
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 60_000 });
    c.onMarket({ venue: VENUE, symbol: ETHBTC, ts: T0, mid: 0.05 });
    c.onFill(fill({ orderId: 'o:1', symbol: ETHBTC, side: 'sell', qty: 10, price: 0.05 }));
    c.onMarket({ venue: VENUE, symbol: ETHBTC, ts: T0 + 1_000, mid: 0.04 }); // +0.1 BTC
    expect(c.status().pnl.equity).toBeCloseTo(6_000, 6);
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 2_000, mid: 30_000 });
    expect(c.status().pnl.equity).toBeCloseTo(3_000, 6);
    expect(c.status().pnl.drawdown).toBeCloseTo(3_000, 6);
  });

  it('refuses an ETH/BTC order of 0.5 BTC (30,000 USDT) past maxOrderNotional and maxGrossNotional in USDT', () => {
    const c = createRiskCore({ account: 'acc', limits: { ...baseLimits, allowlist: [BTC, ETHBTC], maxOrderNotional: 10_000, maxGrossNotional: 20_000 }, currency: usdtAccount });
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 60_000 });
    c.onMarket({ venue: VENUE, symbol: ETHBTC, ts: T0, mid: 0.05 });
    const d = c.onSuggestion(suggestion({ symbol: ETHBTC, qty: 10, refPrice: 0.05, limitPrice: 0.05 }), T0);
    expect(d.kind === 'reject' ? d.reject.reasons : []).toEqual(['MAX_ORDER_NOTIONAL', 'GROSS_EXPOSURE']);
    const ok = c.onSuggestion(suggestion({ symbol: ETHBTC, qty: 1, refPrice: 0.05, limitPrice: 0.05 }), T0);
    expect(ok.kind).toBe('order');
  });

  it('refuses an order whose conversion mid is missing or stale, naming it', () => {
    const c = createRiskCore({ account: 'acc', limits: { ...baseLimits, allowlist: [BTC, ETHBTC] }, currency: usdtAccount });
    c.onMarket({ venue: VENUE, symbol: ETHBTC, ts: T0, mid: 0.05 });
    const none = c.onSuggestion(suggestion({ symbol: ETHBTC, refPrice: 0.05, limitPrice: 0.05 }), T0);
    expect(none.kind === 'reject' ? [none.reject.reasons, none.reject.detail] : []).toEqual([['NO_MARKET_DATA'], expect.stringMatching(/no BTC\/USDT mid on binance to value BTC in USDT/)]);
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 - 60_000, mid: 60_000 });
    const stale = c.onSuggestion(suggestion({ symbol: ETHBTC, refPrice: 0.05, limitPrice: 0.05 }), T0);
    expect(stale.kind === 'reject' ? [stale.reject.reasons, stale.reject.detail] : []).toEqual([['STALE_MARKET_DATA'], expect.stringMatching(/BTC\/USDT mid .* is 60000 ms old/)]);
  });

  it('refuses what adds risk while a position held cannot be valued (no conversion mid yet)', () => {
    const c = createRiskCore({ account: 'acc', limits: { ...baseLimits, allowlist: [BTC, ETHBTC, 'ETH/USDT'] }, currency: usdtAccount });
    c.onMarket({ venue: VENUE, symbol: ETHBTC, ts: T0, mid: 0.05 });
    c.onFill(fill({ orderId: 'o:1', symbol: ETHBTC, side: 'buy', qty: 1, price: 0.05 }));
    c.onMarket({ venue: VENUE, symbol: 'ETH/USDT', ts: T0, mid: 3_000 });
    const d = c.onSuggestion(suggestion({ symbol: 'ETH/USDT', refPrice: 3_000, limitPrice: 3_000 }), T0);
    expect(d.kind === 'reject' ? [d.reject.reasons, d.reject.detail] : []).toEqual([['NO_MARKET_DATA'], expect.stringMatching(/no BTC\/USDT mid on binance to value the ETH\/BTC position's BTC in USDT/)]);
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 60_000 });
    expect(c.onSuggestion(suggestion({ symbol: 'ETH/USDT', refPrice: 3_000, limitPrice: 3_000 }), T0).kind).toBe('order');
  });

  it('values a stablecoin at a fixed rate, and an account in the base currency at the inverse mid', () => {
    const usdc = createRiskCore({ account: 'acc', limits: { ...baseLimits, allowlist: [BTC, ETHUSDC], maxDailyLoss: 50 }, currency: { accountCurrency: 'USDT', conversions: { USDC: 1 } } });
    usdc.onMarket({ venue: VENUE, symbol: ETHUSDC, ts: T0, mid: 2_000 });
    usdc.onFill(fill({ orderId: 'o:1', symbol: ETHUSDC, side: 'buy', qty: 1, price: 2_000 }));
    usdc.onMarket({ venue: VENUE, symbol: ETHUSDC, ts: T0 + 1_000, mid: 1_940 });
    expect(usdc.state()).toBe('HALTED');
    // An account kept in BTC: a USDT loss is worth loss / (BTC/USDT mid) BTC.
    const btc = createRiskCore({ account: 'acc', limits: { ...baseLimits, allowlist: [BTC, ETHBTC], maxDailyLoss: 0.01 }, currency: { accountCurrency: 'BTC', conversions: { USDT: BTC } } });
    btc.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 50_000 });
    btc.onFill(fill({ orderId: 'o:2', symbol: BTC, side: 'buy', qty: 1, price: 50_000 }));
    btc.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 1_000, mid: 49_000 });
    // −1,000 USDT at 49,000 = −0.0204 BTC.
    expect(btc.status().pnl.daily).toBeCloseTo(-1_000 / 49_000, 9);
    expect(btc.state()).toBe('HALTED');
  });

  it('refuses an allowlist in two quote currencies with no conversion, saying what to add', () => {
    expect(() => createRiskCore({ account: 'acc', limits: { ...baseLimits, allowlist: [BTC, ETHBTC] } })).toThrow(
      /quoted in BTC \(ETH\/BTC\) and USDT \(BTC\/USDT\).*set risk\.accountCurrency.*risk\.conversions/,
    );
    expect(() => createRiskCore({ account: 'acc', limits: { ...baseLimits, allowlist: [BTC, ETHUSDC] }, currency: { accountCurrency: 'USDT' } })).toThrow(
      /ETH\/USDC is quoted in USDC.*add risk\.conversions\.USDC/,
    );
    expect(() => createRiskCore({ account: 'acc', limits: baseLimits, currency: { accountCurrency: 'USDT', conversions: { BTC: 'ETH/USDC' } } })).toThrow(/conversions\.BTC: ETH\/USDC/);
  });

  it('refuses a limits patch that allowlists a symbol in a currency with no conversion; nothing changes', () => {
    const c = createRiskCore({ account: 'acc', limits: baseLimits });
    expect(() => c.setLimits({ allowlist: [BTC, ETHBTC] })).toThrow(/invalid risk limits patch: .*quoted in BTC/);
    expect(c.getLimits().allowlist).toEqual(baseLimits.allowlist);
    const conv = createRiskCore({ account: 'acc', limits: baseLimits, currency: usdtAccount });
    expect(conv.setLimits({ allowlist: [BTC, ETHBTC] }).allowlist).toEqual([BTC, ETHBTC]);
  });

  it('keeps a single-currency account as it was: its quote is the account currency', () => {
    const c = createRiskCore({ account: 'acc', limits: baseLimits });
    expect(c.status().currency).toBe('USDT');
  });
});
