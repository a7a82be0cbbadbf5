import { describe, expect, it } from 'vitest';
import { createBookedFills } from '../../../gateways/ws/booked-fills.js';
import type { Fill } from '../../../streams/messages/fill.js';
import type { Order } from '../../../streams/messages/order.js';

const order: Order = {
  type: 'exec.order', v: 1, id: 'o:sell', ts: 0, strategy: 'alpha', venue: 'binance', symbol: 'BTC/USDT', suggestionId: 'sell',
  side: 'sell', qty: 1, orderType: 'limit', limitPrice: 40_150.064925, expiresAt: 60_000, reducing: false,
};
const fill = (n: number, price: number): Fill => ({
  type: 'exec.fill', v: 1, id: `x:o:sell:${n}`, ts: 1, orderId: 'o:sell', strategy: 'alpha', venue: 'binance', symbol: 'BTC/USDT', side: 'sell', qty: 0.25, price, fee: 0, liquidity: 'maker', slippageBps: 0, final: false,
});

describe("the websocket feed's booked fills (gateways/ws/booked-fills.ts)", () => {
  it('withholds a fill the engine refuses for its price (worse than the limit by more than the tolerance), as it does, and relays one within it or better', () => {
    const booked = createBookedFills(10, 5);
    booked.approved(order);
    expect(booked.book(fill(0, 4_015.0064925))).toMatchObject({ reason: 'ORDER_MISMATCH', detail: expect.stringContaining("below order o:sell's sell limit 40150.064925 by 9000 bps, more than the 5 bps tolerance") });
    expect(booked.book(fill(1, 40_150.06))).toBeUndefined();
    expect(booked.book(fill(2, 41_000))).toBeUndefined();
    // Refused, it took none of the order: a fourth quarter fits, a fifth does not.
    expect(booked.book(fill(3, 40_150.07))).toBeUndefined();
    expect(booked.book(fill(4, 40_150.07))).toBeUndefined();
    expect(booked.book(fill(5, 40_150.07))).toMatchObject({ detail: expect.stringContaining('filled in full already') });
    const wide = createBookedFills(10, 10_000);
    wide.approved(order);
    expect(wide.book(fill(0, 4_015.0064925))).toBeUndefined();
  });

  it("withholds a market order's fill the engine refuses for its distance from the order's refPrice (validation.marketFillBandBps), as it does, and relays one within it; null checks none (paper venue)", () => {
    const market: Order = { ...order, id: 'o:mkt', suggestionId: 'mkt', side: 'buy', orderType: 'market', limitPrice: null, refPrice: 42_000 };
    const mfill = (n: number, price: number): Fill => ({ ...fill(n, price), id: `x:o:mkt:${n}`, orderId: 'o:mkt', side: 'buy' });
    const booked = createBookedFills(10, 5, 1000);
    booked.approved(market);
    expect(booked.book(mfill(0, 420_000))).toMatchObject({ reason: 'ORDER_MISMATCH', detail: expect.stringContaining("above market buy order o:mkt's reference price 42000 (the mid risk approved it against) by 90000 bps, more than the 1000 bps band") });
    expect(booked.book(mfill(1, 4_200))).toMatchObject({ reason: 'ORDER_MISMATCH' });
    expect(booked.book(mfill(2, 42_300))).toBeUndefined();
    expect(booked.book(mfill(3, 39_000))).toBeUndefined();
    const paper = createBookedFills(10, 5, null);
    paper.approved(market);
    expect(paper.book(mfill(0, 420_000))).toBeUndefined();
    // An order published before orders carried refPrice is not checked.
    const { refPrice: _, ...before } = market;
    const old = createBookedFills(10, 5, 1000);
    old.approved(before);
    expect(old.book(mfill(0, 420_000))).toBeUndefined();
  });

  it("relays a market order's fill after the market moved 15 % when it is near the latest mid the feed relayed, as the engine books it, and still withholds a unit error", () => {
    const market: Order = { ...order, id: 'o:mkt', suggestionId: 'mkt', side: 'buy', orderType: 'market', limitPrice: null, refPrice: 42_000 };
    const mfill = (n: number, price: number): Fill => ({ ...fill(n, price), id: `x:o:mkt:${n}`, orderId: 'o:mkt', side: 'buy' });
    const booked = createBookedFills(10, 5, 1000);
    booked.approved(market);
    expect(booked.book(mfill(0, 48_300))).toMatchObject({ reason: 'ORDER_MISMATCH' });
    // The hourly bar that closed at the new market (known at its close), then an older trade: ignored, as the risk book ignores it.
    booked.marked({ type: 'md.bar', v: 1, id: 'b:1', venue: 'binance', symbol: 'BTC/USDT', tf: '1h', ts: 0, open: 42_000, high: 48_400, low: 41_900, close: 48_300, volume: 10, recvTs: 0 });
    booked.marked({ type: 'md.trade', v: 1, id: 't:1', venue: 'binance', symbol: 'BTC/USDT', ts: 1, price: 42_000, qty: 1, side: 'buy', recvTs: 1 });
    // Another market's mid is not this order's.
    booked.marked({ type: 'md.trade', v: 1, id: 't:2', venue: 'binance', symbol: 'ETH/USDT', ts: 3_600_001, price: 483_000, qty: 1, side: 'buy', recvTs: 1 });
    expect(booked.book(mfill(1, 48_300))).toBeUndefined();
    expect(booked.book(mfill(2, 483_000))).toMatchObject({ reason: 'ORDER_MISMATCH', detail: expect.stringContaining('and above the latest mid 48300 (event time 3600000)') });
  });
});
