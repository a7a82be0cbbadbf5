import { describe, expect, it } from 'vitest';
import { demoRiskOf, feesText, orderOutcomesOf, ordersLine, riskLine } from '../../cli/commands/demo-summary.js';
import type { RiskStatus } from '../../models/risk/risk-core.js';

type Held = Readonly<{ symbol: string; qty: number; realised: number; unrealised: number }>;

/** A risk status as the risk core gives it, with what the summary reads of it (`currency`: the book's, null where it cannot tell one). */
function statusOf(currency: string | null, allowlist: readonly string[], held: readonly Held[]): RiskStatus {
  const realised = held.reduce((a, p) => a + p.realised, 0);
  const equity = held.reduce((a, p) => a + p.realised + p.unrealised, 0);
  return {
    account: 'demo',
    currency,
    state: 'ACTIVE',
    reason: 'start',
    flattening: false,
    scopedHalts: [],
    positions: held.map((p) => ({ venue: 'binance', symbol: p.symbol, qty: p.qty, avgCost: 100, realised: p.realised, unrealised: p.unrealised, price: 100 })),
    pnl: { realised, unrealised: equity - realised, equity, daily: equity, peak: Math.max(0, equity), drawdown: 0 },
    asOf: null,
    inFlight: [],
    limits: { allowlist: [...allowlist], maxDailyLoss: 500, maxDrawdown: 1_000 },
  } as unknown as RiskStatus;
}

/**
 * `sextant demo` printed 'orders 207 approved by risk' and 'fills 206 (fees 49.45, 0 orders
 * expired unfilled)': one order was accounted for nowhere (still working when the window ended),
 * and no money figure said its currency.
 */
describe('the demo summary: orders and money', () => {
  it('accounts for every approved order: filled in full, expired (part-filled or not), still working at the end', () => {
    const o = orderOutcomesOf({ ordersFilled: 205, expired: 3, expiredPartlyFilled: 1, working: 1, workingPartlyFilled: 0, lapsed: 0 });
    expect(o).toEqual({ filled: 205, expiredPartlyFilled: 1, expiredUnfilled: 2, working: 1, workingPartlyFilled: 0, lapsed: 0 });
    expect(o.filled + o.expiredPartlyFilled + o.expiredUnfilled + o.working).toBe(209);
    expect(ordersLine(209, o)).toBe('209 approved by risk: 205 filled in full, 1 partly filled, then expired, 2 expired unfilled, 1 still working at the venue when the window ended (none of them partly filled)');
    expect(ordersLine(207, { filled: 206, expiredPartlyFilled: 0, expiredUnfilled: 0, working: 1, workingPartlyFilled: 1, lapsed: 0 })).toBe(
      '207 approved by risk: 206 filled in full, 0 expired unfilled, 1 still working at the venue when the window ended (all of them partly filled)',
    );
    expect(ordersLine(3, { filled: 3, expiredPartlyFilled: 0, expiredUnfilled: 0, working: 0, workingPartlyFilled: 0, lapsed: 0 })).toBe('3 approved by risk: 3 filled in full, 0 expired unfilled, 0 still working at the venue when the window ended');
    // With the paper venue off, orders past their expiresAt that the desk reported nothing of were said nowhere.
    const live = orderOutcomesOf({ ordersFilled: 0, expired: 0, expiredPartlyFilled: 0, working: 3, workingPartlyFilled: 0, lapsed: 82 });
    expect(live.lapsed).toBe(82);
    expect(ordersLine(85, live)).toBe('85 approved by risk: 0 filled in full, 0 expired unfilled, 3 still working at the venue when the window ended (none of them partly filled), 82 past their expiresAt with no fill or expiry reported by the venue');
    expect(ordersLine(0, null)).toBe('0 approved by risk');
  });

  it('says the quote currency of the PnL and the fees, in the line and the JSON', () => {
    const r = demoRiskOf(statusOf('USDT', ['BTC/USDT', 'ETH/USDT'], [{ symbol: 'BTC/USDT', qty: 0.5, realised: 106.87, unrealised: -9.18 }]), { fees: 49.45, feesBySymbol: { 'BTC/USDT': 49.45 } });
    expect(r).toMatchObject({ state: 'ACTIVE', currency: 'USDT', realised: 106.87, fees: 49.45, feesByCurrency: [{ currency: 'USDT', fees: 49.45 }], positions: [{ symbol: 'BTC/USDT', qty: 0.5 }] });
    expect(r.byCurrency).toBeUndefined();
    expect(riskLine(r)).toBe('ACTIVE, PnL 97.69 USDT (realised 106.87 USDT, unrealised -9.18 USDT, after fees)');
    expect(feesText(r)).toBe('fees 49.45 USDT');
    expect(JSON.parse(JSON.stringify(r))).toMatchObject({ currency: 'USDT' });
  });

  it('with several quote currencies and no currency for the book: per currency, not added up', () => {
    const r = demoRiskOf(
      statusOf(null, ['BTC/USDT', 'ETH/USDC'], [
        { symbol: 'BTC/USDT', qty: 0, realised: -20, unrealised: 0 },
        { symbol: 'ETH/USDC', qty: 1, realised: 4, unrealised: 5 },
      ]),
      { fees: 3, feesBySymbol: { 'BTC/USDT': 2, 'ETH/USDC': 1 } },
    );
    expect(r.currency).toBeNull();
    expect(r.byCurrency).toEqual([
      { currency: 'USDC', realised: 4, unrealised: 5, equity: 9 },
      { currency: 'USDT', realised: -20, unrealised: 0, equity: -20 },
    ]);
    expect(r.feesByCurrency).toEqual([
      { currency: 'USDC', fees: 1 },
      { currency: 'USDT', fees: 2 },
    ]);
    expect(riskLine(r)).toBe('ACTIVE, PnL in 2 quote currencies, not added up: 9.00 USDC (realised 4.00, unrealised 5.00) · -20.00 USDT (realised -20.00, unrealised 0.00), after fees');
    expect(feesText(r)).toBe('fees 1.00 USDC · 2.00 USDT');
  });

  it('fees per quote currency of their symbols, whatever currency the book says its PnL is in', () => {
    // The book in USDT (its account currency, converting others; or ETH/USDC taken off the allowlist since): the USDC fee is still USDC.
    const r = demoRiskOf(statusOf('USDT', ['BTC/USDT'], []), { fees: 3, feesBySymbol: { 'BTC/USDT': 2, 'ETH/USDC': 1 } });
    expect(r.currency).toBe('USDT');
    expect(feesText(r)).toBe('fees 1.00 USDC · 2.00 USDT');
    expect(feesText({ ...r, fees: 0, feesByCurrency: [] })).toBe('fees 0.00 USDT');
  });
});
