import { describe, expect, it } from 'vitest';
import { pnlItems, positionRows } from '../../../gateways/dashboard/src/pnl-view.js';
import { PnlSchema } from '../../../gateways/dashboard/src/topics.js';
import type { Pnl } from '../../../gateways/dashboard/src/topics.js';

/** As the engine's status feed sends it (cli/engine-status-feed.ts pnlOf) after its drawdown halt in a demo. */
const halted = (over: Record<string, unknown> = {}): Pnl =>
  PnlSchema.parse({
    account: 'paper',
    state: 'HALTED',
    currency: 'USDT',
    realised: -1387.2904,
    unrealised: -12.5,
    equity: -1399.7904,
    daily: -312.456,
    drawdown: 1506.6412,
    limits: { maxDailyLoss: 1000, maxDrawdown: 1500 },
    asOf: Date.UTC(2024, 11, 1),
    positions: [{ venue: 'binance', symbol: 'BTC/USDT', qty: 0.01, avgPrice: 99_500.5, realised: 3, unrealised: -12.5, price: 98_250.5 }],
    ...over,
  });

describe('dashboard PnL and positions', () => {
  it("shows today's PnL and the drawdown against their limits, every amount in the account's currency", () => {
    expect(pnlItems([halted()]).map((i) => [i.label, i.text])).toEqual([
      ['Realised', '-1,387.29 USDT'],
      ['Unrealised', '-12.50 USDT'],
      ['Equity', '-1,399.79 USDT'],
      ['Today', '-312.46 USDT (limit -1,000.00)'],
      ['Drawdown', '1,506.64 USDT (limit 1,500.00)'],
    ]);
    // Past its limit: the drawdown is flagged (red); today's loss is within its limit.
    expect(pnlItems([halted()]).map((i) => i.breached)).toEqual([false, false, false, false, true]);
  });

  it('shows each position with its mark price and unrealised PnL in its quote currency', () => {
    expect(positionRows([halted()])).toEqual([['paper', 'BTC/USDT', 'binance', '0.01', '99,500.5 USDT', '98,250.5 USDT', '-12.50 USDT']]);
    expect(positionRows([halted({ positions: [{ symbol: 'ETH/BTC', qty: -2, avgPrice: 0.05 }] })])).toEqual([['paper', 'ETH/BTC', '', '-2', '0.05 BTC', '–', '–']]);
  });

  it('leaves out what a publisher did not send: no unit without a currency, no limits, no daily or drawdown', () => {
    const bare = PnlSchema.parse({ account: 'paper', realised: 1, unrealised: 0, equity: 1, positions: [] });
    expect(pnlItems([bare]).map((i) => [i.label, i.text])).toEqual([
      ['Realised', '1.00'],
      ['Unrealised', '0.00'],
      ['Equity', '1.00'],
    ]);
    // Two accounts in two currencies: a sum per currency, never USDT and EUR added; each account's own figures say whose they are.
    const two = [halted(), halted({ account: 'b', currency: 'EUR', limits: undefined })];
    expect(pnlItems(two).map((i) => [i.label, i.text])).toEqual([
      ['Realised', '-1,387.29 EUR · -1,387.29 USDT'],
      ['Unrealised', '-12.50 EUR · -12.50 USDT'],
      ['Equity', '-1,399.79 EUR · -1,399.79 USDT'],
      ['Today (b)', '-312.46 EUR'],
      ['Drawdown (b)', '1,506.64 EUR'],
      ['Today (paper)', '-312.46 USDT (limit -1,000.00)'],
      ['Drawdown (paper)', '1,506.64 USDT (limit 1,500.00)'],
    ]);
  });

  it('sums the accounts of one currency together, those naming none apart and without a unit, toned only where every sum agrees', () => {
    const acct = (account: string, currency: string | null, realised: number): Pnl => PnlSchema.parse({ account, currency, realised, unrealised: 0, equity: realised, positions: [] });
    const items = pnlItems([acct('a', 'USDT', 10), acct('b', 'USDT', 5), acct('c', null, -3), acct('d', 'BTC', 0.5)]);
    expect(items.map((i) => [i.label, i.text, i.tone])).toEqual([
      ['Realised', '0.50 BTC · 15.00 USDT · -3.00', ''],
      ['Unrealised', '0.00 BTC · 0.00 USDT · 0.00', ''],
      ['Equity', '0.50 BTC · 15.00 USDT · -3.00', ''],
    ]);
    expect(pnlItems([acct('a', 'USDT', 10), acct('b', 'EUR', 2)]).map((i) => i.tone)).toEqual(['pos', '', 'pos']);
  });

  it("shows an account in several quote currencies per currency (its breakdown), added to other accounts' sums of the same currency", () => {
    // As pnlOf sends a book holding BTC/USDT and ETH/USDC: realised, unrealised and equity add USDT and USDC.
    const mixed = PnlSchema.parse({
      account: 'multi', currency: null, realised: -1, unrealised: -10, equity: -11, daily: -11, drawdown: 11, positions: [],
      byCurrency: [{ currency: 'USDC', realised: -1, unrealised: 10, equity: 9 }, { currency: 'USDT', realised: 0, unrealised: -20, equity: -20 }],
    });
    expect(pnlItems([mixed]).map((i) => [i.label, i.text])).toEqual([
      ['Realised', '-1.00 USDC · 0.00 USDT'],
      ['Unrealised', '10.00 USDC · -20.00 USDT'],
      ['Equity', '9.00 USDC · -20.00 USDT'],
      ['Today', '-11.00'],
      ['Drawdown', '11.00'],
    ]);
    const usdt = PnlSchema.parse({ account: 'spot', currency: 'USDT', realised: 5, unrealised: 0, equity: 5, positions: [] });
    expect(pnlItems([mixed, usdt]).slice(0, 3).map((i) => i.text)).toEqual(['-1.00 USDC · 5.00 USDT', '10.00 USDC · -20.00 USDT', '9.00 USDC · -15.00 USDT']);
  });
});
