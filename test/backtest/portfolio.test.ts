import { describe, expect, it } from 'vitest';
import { closedTrades, createPortfolio } from '../../models/backtest/portfolio.js';
import { roundTrips } from '../../models/backtest/round-trips.js';
import type { Fill } from '../../streams/messages/fill.js';
import type { OrderSide } from '../../streams/messages/order-side.js';

let n = 0;
const fill = (ts: number, symbol: string, side: OrderSide, qty: number, price: number, fee: number): Fill => ({
  type: 'exec.fill',
  v: 1,
  id: `x:test:${n++}`,
  ts,
  orderId: `o:test:${ts}`,
  strategy: 'test',
  venue: 'binance',
  symbol,
  side,
  qty,
  price,
  fee,
  liquidity: 'taker',
  slippageBps: 0,
  final: true,
});

/*
 * BTC: buy 2 @ 100, buy 1 @ 130 (avg entry 110), sell 1 @ 120, sell 3 @ 140 (closes the last 2,
 * flips short 1 @ 140 with 1/3 of the fee), buy 1 @ 150 (closes the short).
 * Long trade: entry 330 / 3 = 110, exit (120 + 280) / 3 = 133.33…, fees 0.2 + 0.13 + 0.12 +
 *   0.28 = 0.73, pnl = 400 − 330 − 0.73 = 69.27.
 * Short trade: entry 140, exit 150, fees 0.14 + 0.15 = 0.29, pnl = −10 − 0.29 = −10.29.
 * ETH: buy 10 @ 10 (fee 0.1), still open at the end, marked at 12.
 */
const fills: Fill[] = [
  fill(1, 'BTC/USDT', 'buy', 2, 100, 0.2),
  fill(2, 'ETH/USDT', 'buy', 10, 10, 0.1),
  fill(3, 'BTC/USDT', 'buy', 1, 130, 0.13),
  fill(4, 'BTC/USDT', 'sell', 1, 120, 0.12),
  fill(5, 'BTC/USDT', 'sell', 3, 140, 0.42),
  fill(6, 'BTC/USDT', 'buy', 1, 150, 0.15),
];

describe('portfolio on a hand-built fill sequence', () => {
  const p = createPortfolio(1000);
  for (const f of fills) p.apply(f);
  p.mark('ETH/USDT', 12);

  it('deducts notional and fees from quote cash: 1000 + 60 (BTC) − 100 (ETH) − 1.12 fees = 958.88', () => {
    expect(p.cash()).toBeCloseTo(958.88, 10);
    expect(p.feesPaid()).toBeCloseTo(1.12, 12);
    expect(p.tradedNotional()).toBeCloseTo(200 + 100 + 130 + 120 + 420 + 150, 10);
  });

  it('holds only ETH and marks it to market: equity 958.88 + 10 × 12, exposure 120 / 1078.88', () => {
    expect(p.position('BTC/USDT')).toBe(0);
    expect(p.position('ETH/USDT')).toBe(10);
    expect(p.symbols()).toEqual(['ETH/USDT']);
    expect(p.equity()).toBeCloseTo(1078.88, 10);
    expect(p.grossValue()).toBe(120);
    expect(p.grossExposure()).toBeCloseTo(120 / 1078.88, 12);
  });

  it('cuts BTC into a long round trip and, after the flip, a short one, with fees split pro rata', () => {
    const [long, short] = p.trades();
    expect(p.trades()).toHaveLength(2);
    expect(long).toMatchObject({ symbol: 'BTC/USDT', side: 'long', entryTs: 1, exitTs: 5, qty: 3 });
    expect(long?.entryPrice).toBeCloseTo(110, 12);
    expect(long?.exitPrice).toBeCloseTo(400 / 3, 12);
    expect(long?.fees).toBeCloseTo(0.73, 12);
    expect(long?.pnl).toBeCloseTo(69.27, 10);
    expect(short).toMatchObject({ symbol: 'BTC/USDT', side: 'short', entryTs: 5, exitTs: 6, qty: 1, entryPrice: 140, exitPrice: 150 });
    expect(short?.fees).toBeCloseTo(0.29, 12);
    expect(short?.pnl).toBeCloseTo(-10.29, 10);
  });

  it('closed trades account for all BTC cash: Σ pnl = BTC cash change net of fees', () => {
    const sum = p.trades().reduce((s, t) => s + t.pnl, 0);
    expect(sum).toBeCloseTo(60 - 1.02, 10);
  });

  it('roundTrips() and closedTrades() over the same fills give the same trades', () => {
    expect(roundTrips(fills)).toEqual(p.trades());
    expect(closedTrades(fills)).toEqual(p.trades());
  });
});

describe('portfolio edge cases', () => {
  it('treats float dust as flat: buy 0.1 + 0.2, sell 0.3 closes the trade', () => {
    const p = createPortfolio(100);
    p.apply(fill(1, 'BTC/USDT', 'buy', 0.1, 10, 0));
    p.apply(fill(2, 'BTC/USDT', 'buy', 0.2, 10, 0));
    p.apply(fill(3, 'BTC/USDT', 'sell', 0.3, 11, 0));
    expect(p.position('BTC/USDT')).toBe(0);
    expect(p.grossExposure()).toBe(0);
    expect(p.trades()).toHaveLength(1);
    expect(p.trades()[0]?.pnl).toBeCloseTo(0.3, 12);
  });

  it('a partial reduction keeps the trade open', () => {
    const p = createPortfolio(100);
    p.apply(fill(1, 'BTC/USDT', 'buy', 2, 10, 0));
    p.apply(fill(2, 'BTC/USDT', 'sell', 1, 12, 0));
    expect(p.trades()).toHaveLength(0);
    expect(p.position('BTC/USDT')).toBe(1);
    p.mark('BTC/USDT', 12);
    expect(p.equity()).toBe(100 - 20 + 12 + 12);
  });

  it('refuses a malformed fill and a bad mark', () => {
    const p = createPortfolio(100);
    expect(() => p.apply({ ...fill(1, 'BTC/USDT', 'buy', 1, 10, 0), qty: -1 })).toThrow(/must be > 0/);
    expect(() => p.mark('BTC/USDT', Number.NaN)).toThrow(RangeError);
    expect(() => createPortfolio(0)).toThrow(RangeError);
  });
});
