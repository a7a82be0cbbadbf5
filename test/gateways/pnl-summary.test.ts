import { describe, expect, it } from 'vitest';
import { pnlOf } from '../../cli/engine-status-feed.js';
import { PnlSchema } from '../../gateways/dashboard/src/topics.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import { baseLimits, BTC, ETH, fill, T0, VENUE } from '../risk/risk-fixtures.js';

/** The feed's `pnl` payload (what the dashboard shows of the risk actor's book). */
describe('pnl summary on the feed', () => {
  it('carries daily PnL and drawdown with their limits, the quote currency, and how far the book has got in event time', () => {
    const c = createRiskCore({ account: 'acc', limits: { ...baseLimits, allowlist: [BTC, ETH], maxDailyLoss: 1_000, maxDrawdown: 1_500 } });
    expect(pnlOf(c.status())).toMatchObject({ currency: 'USDT', asOf: null });
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    c.onFill(fill({ orderId: 'o:1', side: 'buy', qty: 2, price: 100 }));
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 60_000, mid: 90 });
    c.onMarket({ venue: VENUE, symbol: ETH, ts: T0 + 30_000, mid: 10 });
    const p = pnlOf(c.status());
    expect(p).toMatchObject({ currency: 'USDT', limits: { maxDailyLoss: 1_000, maxDrawdown: 1_500 }, asOf: T0 + 60_000 });
    // 20 lost on the mark (and the fill's fee): the day's PnL and the drawdown from the peak say it.
    expect([p.daily, p.drawdown]).toEqual([c.status().pnl.daily, c.status().pnl.drawdown]);
    expect(p.daily).toBeLessThanOrEqual(-20);
    expect(p.drawdown).toBeGreaterThanOrEqual(20);
    expect(p.positions).toEqual([expect.objectContaining({ symbol: BTC, qty: 2, avgPrice: 100, price: 90, unrealised: -20 })]);
    // The page takes it whole, as it travels (a field its schema refused would leave the PnL panel as it was).
    const sent = JSON.parse(JSON.stringify(p)) as unknown;
    expect(PnlSchema.parse(sent)).toEqual(sent);
    const none = JSON.parse(JSON.stringify(pnlOf(createRiskCore({ account: 'acc', limits: { ...baseLimits, allowlist: [] } }).status()))) as unknown;
    expect(PnlSchema.parse(none)).toEqual(none);
  });

  it('names the account currency of an account trading symbols of two quote currencies, none when nothing tells it', () => {
    const c = createRiskCore({ account: 'acc', limits: { ...baseLimits, allowlist: [BTC, 'ETH/BTC'] }, currency: { accountCurrency: 'USDT', conversions: { BTC } } });
    expect(pnlOf(c.status()).currency).toBe('USDT');
    expect(pnlOf(createRiskCore({ account: 'acc', limits: { ...baseLimits, allowlist: ['BTC/USDT:USDT'] } }).status()).currency).toBe('USDT');
    expect(pnlOf(createRiskCore({ account: 'acc', limits: { ...baseLimits, allowlist: [] } }).status()).currency).toBeNull();
  });

  it('puts USDC amounts in the USDT account currency at their conversion, never one unitless sum', () => {
    const c = createRiskCore({ account: 'acc', limits: { ...baseLimits, allowlist: [BTC, 'ETH/USDC'] }, currency: { accountCurrency: 'USDT', conversions: { USDC: 0.5 } } });
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    c.onMarket({ venue: VENUE, symbol: 'ETH/USDC', ts: T0, mid: 100 });
    c.onFill(fill({ orderId: 'o:1', side: 'buy', qty: 2, price: 100 }));
    c.onFill(fill({ orderId: 'o:2', symbol: 'ETH/USDC', side: 'buy', qty: 1, price: 100, fee: 1 }));
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 60_000, mid: 90 });
    c.onMarket({ venue: VENUE, symbol: 'ETH/USDC', ts: T0 + 60_000, mid: 110 });
    const p = pnlOf(c.status());
    // -20 USDT on BTC, +10 USDC on ETH less its 1 USDC fee = 9 USDC = 4.5 USDT (at a made-up 0.5).
    expect(p).toMatchObject({ currency: 'USDT', realised: -0.5, unrealised: -15, equity: -15.5 });
    expect(p).not.toHaveProperty('byCurrency');
    // Each position stays in its own quote currency.
    expect(p.positions.map((x) => [x.symbol, x.unrealised])).toEqual([
      [BTC, -20],
      ['ETH/USDC', 10],
    ]);
  });

  it('sums realised, unrealised and equity per quote currency where a symbol has none, never one unitless sum', () => {
    const c = createRiskCore({ account: 'acc', limits: { ...baseLimits, allowlist: [BTC, 'ETHUSDC'] } });
    expect(pnlOf(c.status())).toMatchObject({ currency: null, byCurrency: [] });
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    c.onMarket({ venue: VENUE, symbol: 'ETHUSDC', ts: T0, mid: 100 });
    c.onFill(fill({ orderId: 'o:1', side: 'buy', qty: 2, price: 100 }));
    c.onFill(fill({ orderId: 'o:2', symbol: 'ETHUSDC', side: 'buy', qty: 1, price: 100, fee: 1 }));
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 60_000, mid: 90 });
    c.onMarket({ venue: VENUE, symbol: 'ETHUSDC', ts: T0 + 60_000, mid: 110 });
    const p = pnlOf(c.status());
    expect(p.currency).toBeNull();
    // -20 USDT on BTC, +10 on ETHUSDC less its 1 fee: by name, each in its own unit.
    expect(p.byCurrency).toEqual([
      { currency: 'USDT', realised: 0, unrealised: -20, equity: -20 },
      { currency: null, realised: -1, unrealised: 10, equity: 9 },
    ]);
    // The unitless book figures stay as they were (the risk limits read them).
    expect(p.equity).toBe(-11);
    const sent = JSON.parse(JSON.stringify(p)) as unknown;
    expect(PnlSchema.parse(sent)).toEqual(sent);
    // One currency: no breakdown, the amounts are in it.
    expect(pnlOf(createRiskCore({ account: 'acc', limits: baseLimits }).status())).not.toHaveProperty('byCurrency');
  });
});
