import { describe, expect, it } from 'vitest';
import { ORDER_TIMES_KEPT, RiskBook } from '../../models/risk/risk-book.js';
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
    expect(d.kind === 'reject' ? d.reject : undefined).toMatchObject({ reasons: ['ORDER_RATE'], detail: `ORDER_RATE: 3 orders in the 60000 ms window ending ${new Date(T0 + 5_100).toISOString()}` });
  });

  it('counts exactly in the current window and keeps a bounded number of older times', () => {
    const book = new RiskBook();
    for (let i = 0; i < 5_000; i++) {
      book.addOrder(order(i, T0 + i * 10));
      book.pruneOrderTimes(T0 + i * 10, 100);
    }
    const now = T0 + 4_999 * 10;
    expect(book.ordersInWindow(now, 100, 20)).toEqual({ count: 10, end: now });
    expect(book.snapshot().orderTimes).toHaveLength(ORDER_TIMES_KEPT); // not 5,000
    expect(book.snapshot().droppedThrough).toBe(T0 + 3_999 * 10);
    expect(book.ordersInWindow(now, 60_000, 20).count).toBe(ORDER_TIMES_KEPT); // a raised window refuses at once
    // A cap over ORDER_TIMES_KEPT: a raised window reaching the times dropped says so (the check refuses: never counted short).
    expect(book.ordersInWindow(now, 60_000, 1_000_000)).toEqual({ count: ORDER_TIMES_KEPT, end: now, droppedAfter: T0 + 3_999 * 10 });
    expect(book.ordersInWindow(now, 100, 1_000_000)).toEqual({ count: 10, end: now });
    book.pruneOrderTimes(now + MAX_RATE_WINDOW_MS, 100);
    expect(book.ordersInWindow(now + MAX_RATE_WINDOW_MS, 100, 20)).toEqual({ count: 0, end: now + MAX_RATE_WINDOW_MS });
    expect(book.snapshot().orderTimes).toHaveLength(0); // older than the longest window: gone
  });

  it('counts without dropping anything: the count is a read, the pruning its own step', () => {
    const book = new RiskBook();
    for (let i = 0; i < 1_050; i++) book.addOrder(order(i, T0 + i * 10));
    const now = T0 + 1_049 * 10;
    expect(book.ordersInWindow(now, 100, 20)).toEqual({ count: 10, end: now });
    expect(book.snapshot().orderTimes).toHaveLength(1_050);
    book.pruneOrderTimes(now, 100);
    expect(book.snapshot().orderTimes).toHaveLength(ORDER_TIMES_KEPT);
    expect(book.ordersInWindow(now, 100, 20)).toEqual({ count: 10, end: now }); // the same count after
  });

  it('keeps a bounded number of order times through the core (it prunes them at each suggestion it checks)', () => {
    const c = createRiskCore({ account: 'acc', limits: { ...baseLimits, maxOrdersPerWindow: 2, windowMs: 1_000, maxPositionQty: { default: 100, perSymbol: {} } } });
    for (let i = 0; i < 1_100; i++) {
      const ts = T0 + i * 20_000; // past the last order's expiry: nothing in flight to refuse it
      c.onMarket({ venue: VENUE, symbol: BTC, ts, mid: 100 });
      expect(c.onSuggestion(suggestion({ ts }), ts).kind).toBe('order');
    }
    // ORDER_TIMES_KEPT kept at the last check (of the 1,099 before it), then the last order's time.
    const times = c.bookSnapshot().book.orderTimes;
    expect(times).toHaveLength(ORDER_TIMES_KEPT + 1);
    expect([times[0], times.at(-1)]).toEqual([T0 + 99 * 20_000, T0 + 1_099 * 20_000]);
  });

  it('refuses a window longer than the book keeps order times for', () => {
    const c = createRiskCore({ account: 'acc', limits: baseLimits });
    expect(() => c.setLimits({ windowMs: MAX_RATE_WINDOW_MS + 1 })).toThrow(RiskLimitsError);
    expect(c.setLimits({ windowMs: MAX_RATE_WINDOW_MS }).windowMs).toBe(MAX_RATE_WINDOW_MS);
  });
});

/**
 * Orders decided out of time order: live, the event sequencer releases an asset marked idle whose
 * older events come late (`EventSequencer.late()`), and the standalone risk actor takes several
 * strategies' suggestions as they arrive. The book appended approved-order times in arrival order
 * and binary-searched them as if sorted.
 */
describe('the order-rate throttle with orders decided on late events', () => {
  const W = 100;
  // No grace for unreported expiries: an order of 50 ms leaves the position limit at its expiresAt.
  const core = (cap: number) =>
    createRiskCore({ account: 'acc', limits: { ...baseLimits, maxOrdersPerWindow: cap, windowMs: W, staleAfterMs: 60_000, maxPositionQty: { default: 100, perSymbol: {} }, unreportedExpiryGraceMs: 0 } });
  const at = (c: ReturnType<typeof core>, ts: number) => c.onSuggestion(suggestion({ ts }), ts);
  const mark = (c: ReturnType<typeof core>, ts: number) => c.onMarket({ venue: VENUE, symbol: BTC, ts, mid: 100 });

  it('counts the orders a late one landed among (a late time hid them from the window and a burst passed the cap)', () => {
    const c = core(2);
    mark(c, T0);
    for (const t of [100, 250, 150, 260]) expect(at(c, T0 + t).kind).toBe('order'); // 150 late
    const d = at(c, T0 + 300); // (200, 300] holds 250 and 260: counted 1 before
    expect(d.kind === 'reject' ? d.reject : undefined).toMatchObject({ reasons: ['ORDER_RATE'], detail: `ORDER_RATE: 2 orders in the ${W} ms window ending ${new Date(T0 + 300).toISOString()}` }); // in order: the window ends at its time
  });

  it('counts a late order in the windows after it', () => {
    const c = core(3);
    mark(c, T0);
    for (const t of [10, 240, 230, 220]) expect(at(c, T0 + t).kind).toBe('order'); // 230 and 220 late
    expect(at(c, T0 + 300).kind).toBe('reject'); // (200, 300] holds 240, 230, 220
    expect(at(c, T0 + 321).kind).toBe('order'); // (221, 321]: 240, 230
  });

  it('refuses a late order that would put a later window past the cap, and passes one no window of the cap holds', () => {
    const c = core(2);
    mark(c, T0);
    for (const t of [250, 260]) expect(at(c, T0 + t).kind).toBe('order');
    // At 200 it would share (160, 260] with 250 and 260: three in one window.
    const d = at(c, T0 + 200);
    expect(d.kind === 'reject' ? d.reject.reasons : undefined).toEqual(['ORDER_RATE']);
    // The window breached is named, ending at 260: it said '2 orders in the last 100 ms', which (100, 200] holds none of.
    expect(d.kind === 'reject' ? d.reject.detail : undefined).toBe(`ORDER_RATE: 2 orders in the ${W} ms window ending ${new Date(T0 + 260).toISOString()}`);
    // At 100 every window that holds it ends before 200: 250 and 260 are in none (refused before, for orders after its time).
    expect(at(c, T0 + 100).kind).toBe('order');
    expect(at(c, T0 + 160).kind).toBe('order'); // (60, 160] holds 100; (150, 250] holds 160 and 250
    expect(at(c, T0 + 155).kind).toBe('reject'); // (60, 160] would hold 100, 155, 160
  });

  it('counts a suggestion more than a window late against the orders of its own windows (they were dropped once a window behind the newest)', () => {
    const c = core(2);
    mark(c, T0);
    for (const t of [100, 150, 400, 410, 500]) expect(at(c, T0 + t).kind).toBe('order');
    // At 120 (late by 380, nearly four windows) it would share (50, 150] with 100 and 150.
    const d = at(c, T0 + 120);
    expect(d.kind === 'reject' ? d.reject.detail : undefined).toBe(`ORDER_RATE: 2 orders in the ${W} ms window ending ${new Date(T0 + 150).toISOString()}`);
    expect(at(c, T0 + 280).kind).toBe('order'); // no window holding it holds two
  });

  it('refuses a suggestion later than the order times kept reach back: its windows cannot be counted', () => {
    const c = core(2);
    for (let i = 0; i <= ORDER_TIMES_KEPT + 100; i++) {
      const ts = T0 + 1_000 + i * 60;
      mark(c, ts);
      expect(c.onSuggestion(suggestion({ ts, ttlMs: 50 }), ts).kind).toBe('order'); // one in any 100 ms before it, none in flight
    }
    const d = at(c, T0 + 500);
    expect(d.kind === 'reject' ? d.reject : undefined).toMatchObject({
      reasons: ['ORDER_RATE'],
      detail: `ORDER_RATE: decided at ${new Date(T0 + 500).toISOString()}, its ${W} ms windows reach order times no longer kept (up to ${new Date(T0 + 1_000 + 99 * 60).toISOString()}: the newest ${ORDER_TIMES_KEPT} of a day are): not counted`,
    });
    // Restored, the book still knows what it dropped.
    const back = createRiskCore({ account: 'acc', limits: c.getLimits(), book: c.bookSnapshot() });
    expect(back.onSuggestion(suggestion({ ts: T0 + 510 }), T0 + 510).kind).toBe('reject');
  });

  it('keeps a restored book in time order (one stored before holds a late time out of place)', () => {
    const c = core(2);
    mark(c, T0);
    for (const t of [100, 250, 150, 260]) at(c, T0 + t);
    const stored = c.bookSnapshot();
    stored.book.orderTimes = [T0 + 100, T0 + 250, T0 + 150, T0 + 260]; // as a book before the fix wrote it
    const back = createRiskCore({ account: 'acc', limits: c.getLimits(), book: stored });
    expect(back.bookSnapshot().book.orderTimes).toEqual([100, 150, 250, 260].map((t) => T0 + t));
    expect(back.onSuggestion(suggestion({ ts: T0 + 300 }), T0 + 300).kind).toBe('reject'); // (200, 300] holds 250 and 260
  });
});
