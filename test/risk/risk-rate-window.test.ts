import { describe, expect, it } from 'vitest';
import { RAISED_WINDOW_KEPT, RiskBook } from '../../models/risk/risk-book.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import { MAX_RATE_WINDOW_MS, RiskLimitsError } from '../../models/risk/risk-limits.js';
import type { Order } from '../../streams/messages/order.js';
import { baseLimits, BTC, suggestion, T0, VENUE } from './risk-fixtures.js';

const order = (i: number, ts: number): Order => ({
  type: 'exec.order',
  v: 1,
  id: `o:${i}`,
  ts,
  strategy: 'alpha',
  venue: VENUE,
  symbol: BTC,
  suggestionId: `s:${i}`,
  side: 'buy',
  qty: 1,
  orderType: 'limit',
  limitPrice: 100,
  expiresAt: ts + 1,
  reducing: false,
});

describe('the order-rate throttle after an operator raises its window', () => {
  it('counts the orders approved before the raise (it dropped those older than the old window and let a burst through)', () => {
    const c = createRiskCore({ account: 'acc', limits: { ...baseLimits, maxOrdersPerWindow: 2, windowMs: 1_000, maxPositionQty: { default: 100, perSymbol: {} } } });
    const at = (ts: number) => {
      c.onMarket({ venue: VENUE, symbol: BTC, ts, mid: 100 });
      return c.onSuggestion(suggestion({ ts }), ts);
    };
    expect(at(T0).kind).toBe('order');
    expect(at(T0 + 500).kind).toBe('order');
    expect(at(T0 + 5_000).kind).toBe('order'); // the 1 s window holds none of the first two
    c.setLimits({ windowMs: 60_000 });
    const d = at(T0 + 5_100);
    expect(d.kind).toBe('reject');
    expect(d.kind === 'reject' ? d.reject : undefined).toMatchObject({ reasons: ['ORDER_RATE'], detail: 'ORDER_RATE: 3 orders in the last 60000 ms' });
  });

  it('counts exactly in the current window and keeps a bounded number of older times', () => {
    const book = new RiskBook();
    for (let i = 0; i < 5_000; i++) {
      book.addOrder(order(i, T0 + i * 10));
      book.ordersInWindow(T0 + i * 10, 100, 20);
    }
    const now = T0 + 4_999 * 10;
    expect(book.ordersInWindow(now, 100, 20)).toBe(10);
    expect(book.snapshot().orderTimes).toHaveLength(20); // the cap's worth, not 5,000
    expect(book.ordersInWindow(now, 60_000, 20)).toBe(20); // a raised window refuses at once
    // A cap over RAISED_WINDOW_KEPT keeps that many past the window (and every time in it).
    expect(book.ordersInWindow(now, 100, 1_000_000)).toBe(10);
    expect(book.ordersInWindow(now + MAX_RATE_WINDOW_MS, 100, 20)).toBe(0);
    expect(book.snapshot().orderTimes).toHaveLength(0); // older than the longest window: gone
    expect(RAISED_WINDOW_KEPT).toBeGreaterThanOrEqual(20);
  });

  it('refuses a window longer than the book keeps order times for', () => {
    const c = createRiskCore({ account: 'acc', limits: baseLimits });
    expect(() => c.setLimits({ windowMs: MAX_RATE_WINDOW_MS + 1 })).toThrow(RiskLimitsError);
    expect(c.setLimits({ windowMs: MAX_RATE_WINDOW_MS }).windowMs).toBe(MAX_RATE_WINDOW_MS);
  });
});
