import { describe, expect, it } from 'vitest';
import { ControlRequestSchema, createRiskCore } from '../../models/risk/risk-core.js';
import { marketMid } from '../../models/risk/market-mid.js';
import type { RiskCore, RiskDecision } from '../../models/risk/risk-core.js';
import { RiskLimitsError } from '../../models/risk/risk-limits.js';
import { OrderSchema } from '../../streams/messages/order.js';
import { RejectSchema } from '../../streams/messages/reject.js';
import { RiskStateSchema } from '../../streams/messages/risk-state.js';
import { baseLimits, BTC, ETH, fill, suggestion, T0, VENUE } from './risk-fixtures.js';

function core(over: Parameters<RiskCore['setLimits']>[0] = {}): RiskCore {
  const c = createRiskCore({ account: 'acc', limits: baseLimits });
  c.setLimits(over);
  c.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
  c.onMarket({ venue: VENUE, symbol: ETH, ts: T0, mid: 10 });
  c.onMarket({ venue: VENUE, symbol: 'DOGE/USDT', ts: T0, mid: 100 });
  return c;
}
const reasons = (d: RiskDecision): readonly string[] => (d.kind === 'reject' ? d.reject.reasons : []);

let setup = 0;
/** Books a fill of `qty` BTC at `price` (an order placed before), so the account holds a position. */
function hold(c: RiskCore, qty: number, price = 100, side: 'buy' | 'sell' = 'buy'): void {
  c.onFill(fill({ orderId: `o:setup${++setup}`, side, qty, price }));
}

describe('risk core: one reason at a time', () => {
  it('approves an in-limit suggestion as a valid order with deterministic id and expiry', () => {
    const c = core();
    const s = suggestion({ qty: 2 });
    const d = c.onSuggestion(s, T0 + 5);
    expect(d.kind).toBe('order');
    if (d.kind !== 'order') return;
    expect(OrderSchema.parse(d.order)).toEqual(d.order);
    expect(d.order).toMatchObject({ id: `o:${s.id}`, suggestionId: s.id, ts: T0 + 5, expiresAt: T0 + 5 + 10_000, qty: 2, reducing: false });
    expect(c.status().inFlight).toHaveLength(1);
  });

  it('counts an order decided on a bar from its close: expiresAt is the bar close + ttl, so a live consumer gets the whole time-to-live', () => {
    const c = createRiskCore({ account: 'acc', limits: baseLimits });
    const H = 3_600_000;
    const bar = { type: 'md.bar' as const, v: 1 as const, id: 'b', venue: VENUE, symbol: BTC, tf: '1h' as const, open: 100, high: 101, low: 99, close: 100, volume: 5, ts: T0 };
    c.onMarket(marketMid(bar)); // known at T0 + 1h
    const d = c.onSuggestion(suggestion({ qty: 1, ts: T0 }), T0); // stamped with the bar's open, as decisions on bars are
    expect(d.kind === 'order' && [d.order.ts, d.order.expiresAt]).toEqual([T0, T0 + H + 10_000]);
    expect(c.status().inFlight.map((o) => o.expiresAt)).toEqual([T0 + H + 10_000]); // in flight until then, not an hour less
  });

  const cases: [string, () => RiskDecision, string][] = [
    ['SYMBOL_NOT_ALLOWED', () => core().onSuggestion(suggestion({ symbol: 'DOGE/USDT' }), T0), 'a symbol off the allowlist'],
    ['MAX_ORDER_QTY', () => core().onSuggestion(suggestion({ qty: 2.5 }), T0), 'qty above the per-symbol cap (2 for BTC)'],
    ['MAX_ORDER_NOTIONAL', () => core({ maxOrderNotional: 150 }).onSuggestion(suggestion({ qty: 2 }), T0), 'notional 200 above 150'],
    ['MIN_ORDER_NOTIONAL', () => core({ minOrderNotional: 5 }).onSuggestion(suggestion({ qty: 0.04 }), T0), 'notional 4 below the venue minimum of 5'],
    ['PRICE_COLLAR', () => core().onSuggestion(suggestion({ limitPrice: 100.51 }), T0), 'a limit 51 bps from the mid (collar 50)'],
    ['POSITION_LIMIT', () => {
      const c = core();
      hold(c, 2);
      return c.onSuggestion(suggestion({ qty: 1.5 }), T0);
    }, 'a buy that takes the position to 3.5 (cap 3)'],
    ['GROSS_EXPOSURE', () => core({ maxGrossNotional: 150 }).onSuggestion(suggestion({ qty: 2 }), T0), 'gross 200 above 150'],
    ['ORDER_RATE', () => {
      const c = core({ maxOrdersPerWindow: 2, maxPositionQty: { default: 100, perSymbol: { [BTC]: 100 } } });
      c.onSuggestion(suggestion(), T0);
      c.onSuggestion(suggestion(), T0 + 500);
      return c.onSuggestion(suggestion(), T0 + 999);
    }, 'a third order within the 1 s window'],
    ['STALE_MARKET_DATA', () => core().onSuggestion(suggestion({ ts: T0 + 5_001 }), T0 + 5_001), 'a mid 5,001 ms old (stale after 5,000)'],
    ['NO_MARKET_DATA', () => {
      const c = createRiskCore({ account: 'acc', limits: baseLimits });
      return c.onSuggestion(suggestion(), T0);
    }, 'no mid at all'],
    ['INVALID_SUGGESTION', () => core().onSuggestion(suggestion({ orderType: 'market' }), T0), 'a market order with a limit price'],
    ['HALTED', () => {
      const c = core();
      c.halt({ scope: 'all', reason: 'operator', ts: T0 });
      return c.onSuggestion(suggestion(), T0);
    }, 'a halted account'],
    ['REDUCING_ONLY', () => {
      const c = core();
      c.reduce({ reason: 'flatten', ts: T0 });
      return c.onSuggestion(suggestion(), T0);
    }, 'a flat account that is reducing only'],
  ];
  for (const [reason, run, what] of cases) {
    it(`refuses ${what} with exactly ${reason}`, () => {
      const d = run();
      expect(reasons(d)).toEqual([reason]);
      if (d.kind === 'reject') {
        expect(RejectSchema.parse(d.reject)).toEqual(d.reject);
        expect(d.reject.id).toBe(`r:${d.reject.suggestionId}`);
        expect(d.reject.detail).toContain(reason);
      }
    });
  }

  it('passes the boundaries themselves: qty = cap, price exactly at the collar, mid exactly staleAfterMs old', () => {
    const c = core();
    expect(c.onSuggestion(suggestion({ qty: 2 }), T0).kind).toBe('order');
    expect(c.onSuggestion(suggestion({ qty: 0.5, limitPrice: 100.5 }), T0).kind).toBe('order');
    expect(c.onSuggestion(suggestion({ qty: 0.5, ts: T0 + 5_000 }), T0 + 5_000).kind).toBe('order');
  });

  it('collects every applicable reason in a stable order', () => {
    const c = core();
    c.halt({ scope: 'all', reason: 'op', ts: T0 });
    const d = c.onSuggestion(suggestion({ qty: 5, limitPrice: 120 }), T0 + 6_000);
    expect(reasons(d)).toEqual(['MAX_ORDER_QTY', 'PRICE_COLLAR', 'POSITION_LIMIT', 'STALE_MARKET_DATA', 'HALTED']);
  });

  it('counts orders in flight toward the position limit until they fill, finish or expire', () => {
    // No grace for an unreported expiry: released at its expiresAt (unreported-expiry-grace.test.ts has the grace).
    const c = core({ unreportedExpiryGraceMs: 0 });
    expect(c.onSuggestion(suggestion({ qty: 2, ttlMs: 1_000 }), T0).kind).toBe('order');
    expect(reasons(c.onSuggestion(suggestion({ qty: 2 }), T0 + 10))).toEqual(['POSITION_LIMIT']);
    // A sell is held to the short side: pos 0 − sells 0 − 2 ≥ −3.
    expect(c.onSuggestion(suggestion({ side: 'sell', qty: 2 }), T0 + 10).kind).toBe('order');
    // After the buy expired (event time past expiresAt) the same buy passes.
    expect(c.onSuggestion(suggestion({ qty: 2, ts: T0 + 1_001 }), T0 + 1_001).kind).toBe('order');
  });

  it('counts orders in flight toward gross exposure, worst case per symbol', () => {
    const c = core({ maxGrossNotional: 250 });
    expect(c.onSuggestion(suggestion({ qty: 2 }), T0).kind).toBe('order'); // 200
    expect(reasons(c.onSuggestion(suggestion({ qty: 1 }), T0))).toEqual(['GROSS_EXPOSURE']); // 300
    expect(c.onSuggestion(suggestion({ symbol: ETH, qty: 5, limitPrice: 10, refPrice: 10 }), T0).kind).toBe('order'); // 250
    // A sell against the in-flight buy does not raise BTC's worst case (max(|0+2|, |0-1|) = 2).
    expect(c.onSuggestion(suggestion({ side: 'sell', qty: 1 }), T0).kind).toBe('order');
  });

  it('refuses a different suggestion reusing an id, and answers an identical redelivery with the earlier decision', () => {
    const c = core();
    const s = suggestion();
    const first = c.onSuggestion(s, T0);
    const again = c.onSuggestion(s, T0 + 1);
    expect(again.replay).toBe(true);
    expect(again.kind === 'order' && first.kind === 'order' && again.order).toEqual(first.kind === 'order' && first.order);
    expect(c.status().inFlight).toHaveLength(1);
    expect(reasons(c.onSuggestion({ ...s, qty: 0.5 }, T0 + 2))).toEqual(['DUPLICATE_SUGGESTION']);
  });

  it('remembers the suggestions it decided across a restart: the same redelivery and reuse verdicts from a restored book', () => {
    const c = core();
    const s = suggestion();
    const first = c.onSuggestion(s, T0);
    const book = c.bookSnapshot();
    // The snapshot holds each suggestion's content fingerprint, written as JSON and read back.
    const restored = createRiskCore({ account: 'acc', limits: baseLimits, book: JSON.parse(JSON.stringify(book)) as typeof book });
    expect(restored.bookSnapshot()).toEqual(book);
    const again = restored.onSuggestion({ ...s }, T0 + 1);
    expect(again.replay).toBe(true);
    expect(again.kind === 'order' && first.kind === 'order' && again.order).toEqual(first.kind === 'order' && first.order);
    expect(reasons(restored.onSuggestion({ ...s, limitOffsetBps: s.limitOffsetBps + 1 }, T0 + 2))).toEqual(['DUPLICATE_SUGGESTION']);
    expect(reasons(c.onSuggestion({ ...s, limitOffsetBps: s.limitOffsetBps + 1 }, T0 + 2))).toEqual(['DUPLICATE_SUGGESTION']);
  });

  it('in REDUCING passes only orders that shrink the position without crossing zero, counting sells in flight', () => {
    const c = core();
    hold(c, 2.5);
    c.reduce({ reason: 'flatten', ts: T0 });
    expect(reasons(c.onSuggestion(suggestion({ side: 'buy', qty: 0.1 }), T0))).toEqual(['REDUCING_ONLY']);
    expect(reasons(c.onSuggestion(suggestion({ side: 'sell', qty: 2.6 }), T0))).toEqual(['MAX_ORDER_QTY', 'REDUCING_ONLY']);
    const ok = c.onSuggestion(suggestion({ side: 'sell', qty: 2 }), T0);
    expect(ok.kind === 'order' && ok.order.reducing).toBe(true);
    // 2 already in flight: another 1 could cross zero.
    expect(reasons(c.onSuggestion(suggestion({ side: 'sell', qty: 1 }), T0))).toEqual(['REDUCING_ONLY']);
    expect(c.onSuggestion(suggestion({ side: 'sell', qty: 0.5 }), T0).kind).toBe('order');
  });

  it('halts by itself on a daily loss and refuses with HALTED and DAILY_LOSS; a new UTC day clears the loss, not the halt', () => {
    const c = core({ maxDrawdown: 1e9, maxDailyLoss: 100 });
    hold(c, 3, 100);
    expect(c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 1, mid: -1 })).toEqual([]); // not a price: ignored
    expect(c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 1, mid: 66.75 })).toEqual([]); // loss 99.75
    expect(c.state()).toBe('ACTIVE');
    const changes = c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 2, mid: 66 });
    expect(changes.map((s) => RiskStateSchema.parse(s))).toEqual([expect.objectContaining({ state: 'HALTED', previous: 'ACTIVE', reason: expect.stringContaining('DAILY_LOSS') })]);
    expect(c.status().pnl.daily).toBeCloseTo(-102, 9);
    // The loss limit refuses what adds exposure; a sell that reduces the long meets only the halt.
    expect(reasons(c.onSuggestion(suggestion({ symbol: ETH, side: 'buy', qty: 1, limitPrice: 10, refPrice: 10 }), T0 + 3))).toEqual(['DAILY_LOSS', 'HALTED']);
    expect(reasons(c.onSuggestion(suggestion({ side: 'sell', qty: 1, limitPrice: 66, refPrice: 66 }), T0 + 3))).toEqual(['HALTED']);
    const nextDay = Date.UTC(2026, 11, 1, 0, 0, 1);
    c.onMarket({ venue: VENUE, symbol: BTC, ts: nextDay, mid: 66 });
    expect(c.status().pnl.daily).toBe(0);
    expect(reasons(c.onSuggestion(suggestion({ side: 'sell', qty: 1, limitPrice: 66, refPrice: 66, ts: nextDay }), nextDay))).toEqual(['HALTED']);
    expect(c.resume({ scope: 'all', reason: 'reviewed', ts: nextDay }).map((s) => s.state)).toEqual(['ACTIVE']);
  });

  it('keeps an order decided on a bar in flight as long as the paper venue works it: its time-to-live counts from the bar close', () => {
    const c = createRiskCore({ account: 'acc', limits: baseLimits });
    const H = 3_600_000;
    // A 1h bar opened at T0: its mark is stamped at its close (market-mid.ts).
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + H, mid: 100 });
    const d = c.onSuggestion(suggestion({ ts: T0, ttlMs: 30 * 60_000 }), T0); // decided on that bar, stamped with its open time
    expect(d.kind).toBe('order');
    c.onSuggestion(suggestion({ ts: T0 + H, side: 'sell', qty: 0.5 }), T0 + H); // the next bar: not expired (the venue fills from here)
    expect(c.status().inFlight.map((o) => o.orderId)).toContain(d.kind === 'order' ? d.order.id : '');
    c.onSuggestion(suggestion({ ts: T0 + H + 31 * 60_000, side: 'sell', qty: 0.5 }), T0 + H + 31 * 60_000);
    expect(c.status().inFlight.map((o) => o.orderId)).not.toContain(d.kind === 'order' ? d.order.id : '');
  });

  it('counts the last bar of a day (its close is marked at midnight) to that day: a resume on the next day is not halted again by it', () => {
    const c = core({ maxDrawdown: 1e9, maxDailyLoss: 100 });
    const H = 3_600_000;
    const midnight = Date.UTC(2026, 11, 1);
    hold(c, 3, 100); // T0 (noon) on 2026-11-30
    c.onMarket({ venue: VENUE, symbol: BTC, ts: midnight - H, mid: 100 }); // the 22:00 bar's close
    // The 23:00 bar closes at midnight 50 lower: 150 lost on 2026-11-30, halted at its close.
    expect(c.onMarket({ venue: VENUE, symbol: BTC, ts: midnight, mid: 50 }).map((s) => s.reason)).toEqual([expect.stringContaining('DAILY_LOSS: daily loss 150')]);
    // The next day's first bar (00:00, closed at 01:00) moves nothing: the new day has lost nothing.
    c.onMarket({ venue: VENUE, symbol: BTC, ts: midnight + H, mid: 50 });
    expect(c.status().pnl.daily).toBe(0);
    expect(c.resume({ scope: 'all', reason: 'reviewed', ts: midnight + H + 60_000 }).map((s) => s.state)).toEqual(['ACTIVE']);
    // And loses from there against that day's start (the price at midnight).
    expect(c.onMarket({ venue: VENUE, symbol: BTC, ts: midnight + 2 * H, mid: 30 })).toEqual([]);
    expect(c.status().pnl.daily).toBe(-60);
  });

  it('a resume just after the bar closing at midnight starts the new day: not halted again by the closed day\'s loss until the next bar', () => {
    const H = 3_600_000;
    const midnight = Date.UTC(2026, 11, 1);
    const halted = () => {
      const c = core({ maxDrawdown: 1e9, maxDailyLoss: 100 });
      hold(c, 3, 100); // T0 (noon) on 2026-11-30
      // The 23:00 bar closes at midnight 50 lower: 150 lost on 2026-11-30, halted at its close.
      expect(c.onMarket({ venue: VENUE, symbol: BTC, ts: midnight, mid: 50 }).map((s) => s.reason)).toEqual([expect.stringContaining('DAILY_LOSS: daily loss 150')]);
      return c;
    };
    // No bar of the new day has closed yet (halted: no suggestion either): the operator resumes at 00:05.
    const c = halted();
    expect(c.resume({ scope: 'all', reason: 'reviewed', ts: midnight + 300_000 }).map((s) => s.state)).toEqual(['ACTIVE']);
    expect(c.status().pnl.daily).toBe(0);
    // The day starts from the prices at midnight, as the next bar's close would have started it.
    expect(c.onMarket({ venue: VENUE, symbol: BTC, ts: midnight + H, mid: 30 })).toEqual([]);
    expect(c.status().pnl.daily).toBe(-60);
    // A limit lowered then is checked against the new day too, not the closed day's 150 lost.
    const l = core({ maxDrawdown: 1e9, maxDailyLoss: 200 });
    hold(l, 3, 100);
    expect(l.onMarket({ venue: VENUE, symbol: BTC, ts: midnight, mid: 50 })).toEqual([]);
    l.setLimits({ maxDailyLoss: 120 });
    expect(l.checkLimits(midnight + 300_000)).toEqual([]);
    expect(l.state()).toBe('ACTIVE');
  });

  it("a resume stamped with a later clock (a replay's wall clock) does not start a new trading day; the data's next day does", () => {
    const c = core({ maxDrawdown: 1e9, maxDailyLoss: 100 });
    hold(c, 3, 100);
    expect(c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 2, mid: 66 }).map((s) => s.state)).toEqual(['HALTED']);
    const wallClock = Date.UTC(2031, 0, 1); // years after the data
    const again = c.resume({ scope: 'all', reason: 'operator', ts: wallClock });
    expect(again.map((s) => [s.previous, s.state])).toEqual([['HALTED', 'ACTIVE'], ['ACTIVE', 'HALTED']]); // still the day that lost
    expect(again[1]?.reason).toContain('DAILY_LOSS');
    expect(c.status().pnl.daily).toBeCloseTo(-102, 9);
    const nextDay = Date.UTC(2026, 11, 1, 0, 0, 1);
    c.onMarket({ venue: VENUE, symbol: BTC, ts: nextDay, mid: 66 });
    expect(c.status().pnl.daily).toBe(0);
    expect(c.resume({ scope: 'all', reason: 'new day', ts: wallClock }).map((s) => s.state)).toEqual(['ACTIVE']);
    expect(c.status().pnl.daily).toBe(0);
  });

  it('writes the amounts of a halt reason and a reject detail as money (2 decimals), not the raw float', () => {
    // A drawdown of 3 × 16.7043 = 50.1129 (the demo's read `drawdown 1504.2959496198841 > 1500`).
    const dd = core({ maxDailyLoss: 1e9, maxDrawdown: 50 });
    hold(dd, 3, 100);
    expect(dd.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 1, mid: 83.2957 }).map((s) => s.reason)).toEqual(['DRAWDOWN: drawdown 50.11 > 50']);
    expect(dd.status().reason).toBe('DRAWDOWN: drawdown 50.11 > 50');
    const refused = dd.onSuggestion(suggestion({ ts: T0 + 2, limitPrice: 83.3, refPrice: 83.3 }), T0 + 2);
    expect(refused.kind === 'reject' ? refused.reject.detail : '').toContain('DRAWDOWN: drawdown 50.11 > 50');
    // A loss just past its limit keeps the decimals that say it is past: not `100.00 > 100`.
    const daily = core({ maxDrawdown: 1e9, maxDailyLoss: 100 });
    hold(daily, 3, 100);
    expect(daily.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 1, mid: 66.666 }).map((s) => s.reason)).toEqual(['DAILY_LOSS: daily loss 100.002 > 100']);
    // Order notional and gross exposure are money too.
    const big = core({ maxOrderNotional: 150, maxGrossNotional: 150 }).onSuggestion(suggestion({ qty: 1.51234567 }), T0);
    expect(big.kind === 'reject' ? big.reject.detail : '').toContain('MAX_ORDER_NOTIONAL: notional 151.23 > 150');
    expect(big.kind === 'reject' ? big.reject.detail : '').toContain('GROSS_EXPOSURE: gross 151.23 > 150');
  });

  it('halts on drawdown from peak equity, and a resume while still breached halts again at once', () => {
    const c = core({ maxDailyLoss: 1e9, maxDrawdown: 50 });
    hold(c, 2, 100);
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 1, mid: 100.4 });
    expect(c.status().pnl.peak).toBeCloseTo(0.8, 9);
    expect(c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 2, mid: 75.5 })).toEqual([]); // drawdown 49.8
    const st = c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 3, mid: 75 }); // 50.8
    expect(st.map((s) => s.state)).toEqual(['HALTED']);
    const again = c.resume({ scope: 'all', reason: 'try', ts: T0 + 4 });
    expect(again.map((s) => [s.previous, s.state])).toEqual([['HALTED', 'ACTIVE'], ['ACTIVE', 'HALTED']]);
    expect(again.map((s) => s.id)).toEqual(['rs:acc:2', 'rs:acc:3']);
  });

  it('under onBreach: flatten, a drawdown breach goes REDUCING and flattening, asks execution to close, and halts once flat', () => {
    const c = core({ maxDailyLoss: 1e9, maxDrawdown: 50, onBreach: 'flatten', minOrderNotional: 5 });
    hold(c, 2, 100);
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 1, mid: 100.4 });
    expect(c.flatteningFor('alpha', BTC)).toBe(false);
    const st = c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 3, mid: 75 }); // drawdown 50.8
    expect(st.map((s) => [s.previous, s.state])).toEqual([['ACTIVE', 'REDUCING']]);
    expect(st[0]?.reason).toMatch(/^DRAWDOWN: drawdown 50\.8\d* > 50; flattening$/);
    expect(RiskStateSchema.parse(st[0])).toEqual(st[0]);
    expect(c.status()).toMatchObject({ state: 'REDUCING', flattening: true });
    expect([c.tradingFor('alpha', BTC), c.flatteningFor('alpha', BTC), c.flatteningFor('beta', ETH)]).toEqual(['REDUCING', true, true]);
    // The breach lasts while flattening: no further state change on each event.
    expect(c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 4, mid: 74 })).toEqual([]);
    // Only reducing orders pass; a buy is refused, a sell that closes is approved.
    expect(reasons(c.onSuggestion(suggestion({ ts: T0 + 5, limitPrice: 74, refPrice: 74 }), T0 + 5))).toEqual(['DRAWDOWN', 'REDUCING_ONLY']);
    const close = c.onSuggestion(suggestion({ ts: T0 + 5, side: 'sell', qty: 1.999, limitPrice: 74, refPrice: 74 }), T0 + 5);
    expect(close.kind).toBe('order');
    if (close.kind !== 'order') return;
    // Filled: 0.001 BTC left is worth 0.074, under the venue's least order of 5: flat enough, and no
    // order is in flight once this one is final; the account halts by itself.
    const done = c.onFill(fill({ orderId: close.order.id, side: 'sell', qty: 1.999, price: 74, ts: T0 + 6 }));
    expect(done.map((s) => [s.previous, s.state])).toEqual([['REDUCING', 'HALTED']]);
    expect(done[0]?.reason).toMatch(/^DRAWDOWN: drawdown 50\.8\d* > 50; flattened$/);
    expect(c.status()).toMatchObject({ state: 'HALTED', flattening: false });
    expect(c.flatteningFor('alpha', BTC)).toBe(false);
    // Persisted and restored: a flattening account restarts flattening (and an old snapshot without the field does not).
    const c2 = core({ maxDailyLoss: 1e9, maxDrawdown: 50, onBreach: 'flatten' });
    hold(c2, 2, 100);
    c2.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 3, mid: 70 });
    const restored = createRiskCore({ account: 'acc', limits: { ...baseLimits, onBreach: 'flatten' }, trading: c2.trading(), book: c2.bookSnapshot() });
    expect([restored.state(), restored.flatteningFor('alpha', BTC)]).toEqual(['REDUCING', true]);
    const { flattening: _, ...old } = c2.trading();
    expect(createRiskCore({ account: 'acc', trading: old }).status().flattening).toBe(false);
  });

  it('waits for orders in flight before calling the account flat, and an operator can flatten (or halt) at any time', () => {
    const c = core({ maxDailyLoss: 1e9, maxDrawdown: 50, onBreach: 'flatten' });
    hold(c, 1, 100);
    // reduce --flatten on an account with a position: REDUCING and flattening, nothing halted yet.
    const r = c.reduce({ reason: 'desk closing', ts: T0 + 1, flatten: true });
    expect(r.map((s) => [s.state, s.reason])).toEqual([['REDUCING', 'desk closing']]);
    expect(c.flatteningFor('alpha', BTC)).toBe(true);
    const sell = c.onSuggestion(suggestion({ ts: T0 + 2, side: 'sell', qty: 0.5 }), T0 + 2);
    expect(sell.kind).toBe('order');
    if (sell.kind !== 'order') return;
    expect(c.onFill(fill({ orderId: sell.order.id, side: 'sell', qty: 0.5, ts: T0 + 3 }))).toEqual([]);
    const sell2 = c.onSuggestion(suggestion({ ts: T0 + 4, side: 'sell', qty: 0.5 }), T0 + 4);
    if (sell2.kind !== 'order') throw new Error('expected an order');
    // A partial fill leaves 0.1 BTC (worth 10 ≥ the least order of 0 here) and the order in flight: not flat.
    expect(c.onFill(fill({ orderId: sell2.order.id, side: 'sell', qty: 0.4, ts: T0 + 5, final: false }))).toEqual([]);
    expect(c.onFill(fill({ orderId: sell2.order.id, side: 'sell', qty: 0.1, ts: T0 + 6 })).map((s) => [s.state, s.reason])).toEqual([['HALTED', 'desk closing; flattened']]);
    // Flattening an account that holds nothing halts it at the next market event (event time).
    const flat = core();
    expect(flat.reduce({ reason: 'flat already', ts: T0, flatten: true }).map((s) => s.state)).toEqual(['REDUCING']);
    expect(flat.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 1, mid: 100 }).map((s) => [s.state, s.reason])).toEqual([['HALTED', 'flat already; flattened']]);
    // An operator halt while flattening stops the flattening; a plain reduce does too.
    const h = core();
    hold(h, 1, 100);
    h.reduce({ reason: 'f', ts: T0, flatten: true });
    h.reduce({ reason: 'just reduce', ts: T0 });
    expect([h.state(), h.flatteningFor('alpha', BTC)]).toEqual(['REDUCING', false]);
    h.reduce({ reason: 'f again', ts: T0, flatten: true });
    h.halt({ reason: 'stop', ts: T0 });
    expect([h.state(), h.flatteningFor('alpha', BTC)]).toEqual(['HALTED', false]);
    // A scoped halt keeps execution off that strategy's or symbol's positions even while flattening.
    h.reduce({ reason: 'f', ts: T0, flatten: true });
    h.halt({ scope: 'symbol', value: BTC, reason: 'no market', ts: T0 });
    expect([h.flatteningFor('alpha', BTC), h.flatteningFor('alpha', ETH)]).toEqual([false, true]);
    // Under onBreach: halt (the default) a breach halts at once, as before.
    const plain = core({ maxDailyLoss: 1e9, maxDrawdown: 50 });
    hold(plain, 2, 100);
    expect(plain.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 3, mid: 70 }).map((s) => s.state)).toEqual(['HALTED']);
  });

  it('halts per strategy and per symbol, and lifts each scope on its own', () => {
    const c = core();
    const st = c.halt({ scope: 'strategy', value: 'alpha', reason: 'misbehaving', ts: T0 });
    expect(st[0]).toMatchObject({ state: 'ACTIVE', scopedHalts: [{ scope: 'strategy', value: 'alpha' }] });
    c.halt({ scope: 'symbol', value: ETH, reason: 'fork', ts: T0 });
    // What execution asks before proposing: the state a suggestion of that strategy and symbol meets.
    expect([c.tradingFor('alpha', BTC), c.tradingFor('beta', ETH), c.tradingFor('beta', BTC)]).toEqual(['HALTED', 'HALTED', 'ACTIVE']);
    expect(reasons(c.onSuggestion(suggestion(), T0))).toEqual(['HALTED']);
    expect(c.onSuggestion(suggestion({ strategy: 'beta' }), T0).kind).toBe('order');
    expect(reasons(c.onSuggestion(suggestion({ strategy: 'beta', symbol: ETH, limitPrice: 10, refPrice: 10 }), T0))).toEqual(['HALTED']);
    c.resume({ scope: 'strategy', value: 'alpha', reason: 'ok', ts: T0 });
    expect(c.onSuggestion(suggestion({ qty: 0.5 }), T0).kind).toBe('order');
    expect(c.status().scopedHalts).toEqual([{ scope: 'symbol', value: ETH, reason: 'fork' }]);
    expect([c.tradingFor('alpha', BTC), c.tradingFor('alpha', ETH)]).toEqual(['ACTIVE', 'HALTED']);
    c.reduce({ reason: 'flatten', ts: T0 });
    expect([c.tradingFor('alpha', BTC), c.tradingFor('alpha', ETH)]).toEqual(['REDUCING', 'HALTED']);
    c.halt({ reason: 'all', ts: T0 });
    expect(c.tradingFor('alpha', BTC)).toBe('HALTED');
    expect(() => c.halt({ scope: 'symbol', reason: 'no value', ts: T0 })).toThrow(/needs a value/);
  });

  it("says a scoped halt's and resume's own reason in the risk.state event, leaving the account's reason as it was", () => {
    const c = core();
    c.halt({ reason: 'desk says stop', ts: T0 });
    // Account halted for one reason, then a symbol halted for another: the event carries both.
    const [halt] = c.halt({ scope: 'symbol', value: BTC, reason: 'bad feed', ts: T0 + 1 });
    expect(halt).toMatchObject({ state: 'HALTED', previous: 'HALTED', reason: 'desk says stop', scopedReason: 'bad feed', scopedHalts: [{ scope: 'symbol', value: BTC }] });
    expect(RiskStateSchema.parse(halt)).toEqual(halt);
    // Each scoped halt in force carries its own reason, on this change and every later one while it holds.
    expect(halt?.scopedHalts).toEqual([{ scope: 'symbol', value: BTC, reason: 'bad feed' }]);
    const [strategyHalt] = c.halt({ scope: 'strategy', value: 'alpha', reason: 'model drift', ts: T0 + 1 });
    expect(strategyHalt?.scopedHalts).toEqual([
      { scope: 'symbol', value: BTC, reason: 'bad feed' },
      { scope: 'strategy', value: 'alpha', reason: 'model drift' },
    ]);
    c.resume({ scope: 'strategy', value: 'alpha', reason: 'model fixed', ts: T0 + 1 });
    const [resume] = c.resume({ scope: 'symbol', value: BTC, reason: 'feed back', ts: T0 + 2 });
    expect(resume).toMatchObject({ reason: 'desk says stop', scopedReason: 'feed back', scopedHalts: [] });
    expect(c.status()).toMatchObject({ state: 'HALTED', reason: 'desk says stop' });
    // An account-level change has no scopedReason.
    const [all] = c.resume({ reason: 'all clear', ts: T0 + 3 });
    expect(all).toMatchObject({ state: 'ACTIVE', reason: 'all clear' });
    expect(all).not.toHaveProperty('scopedReason');
  });

  it('validates limit patches and merges per-symbol caps', () => {
    const c = core();
    expect(() => c.setLimits({ maxOrderNotional: -1 })).toThrow(RiskLimitsError);
    expect(() => c.setLimits({ bogus: 1 })).toThrow(RiskLimitsError);
    expect(c.getLimits().maxOrderNotional).toBe(100_000);
    const l = c.setLimits({ maxOrderQty: { perSymbol: { [ETH]: 4 } } });
    expect(l.maxOrderQty).toEqual({ default: 10, perSymbol: { [BTC]: 2, [ETH]: 4 } });
  });

  it('keeps positions, average cost and PnL from fills (fees included, duplicates ignored)', () => {
    const c = core();
    const f1 = fill({ orderId: 'o:a', qty: 2, price: 100, fee: 1 });
    c.onFill(f1);
    c.onFill(f1);
    c.onFill(fill({ orderId: 'o:b', qty: 1, price: 106, fee: 0.5 }));
    c.onFill(fill({ orderId: 'o:c', side: 'sell', qty: 1, price: 110, fee: 0.5 }));
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 1, mid: 104 });
    const s = c.status();
    expect(s.positions).toEqual([expect.objectContaining({ qty: 2, avgCost: 102, realised: 8 - 2, unrealised: 4 })]);
    expect(s.pnl).toMatchObject({ realised: 6, unrealised: 4, equity: 10 });
  });
});

describe('control requests', () => {
  it('validates what arrives over ctl: scope defaults to all, a scoped halt needs a value, unknown fields refused', () => {
    expect(ControlRequestSchema.parse({ reason: 'x' })).toEqual({ scope: 'all', reason: 'x' });
    expect(ControlRequestSchema.safeParse({ scope: 'symbol', reason: 'x' }).success).toBe(false);
    expect(ControlRequestSchema.safeParse({ scope: 'all', reason: 'x', extra: 1 }).success).toBe(false);
    expect(ControlRequestSchema.safeParse({ scope: 'all', reason: '' }).success).toBe(false);
  });
});

describe('market mid', () => {
  it('takes a quote mid, a trade price, and a bar close at the bar close time', () => {
    expect(marketMid({ type: 'md.quote', v: 1, id: 'q', venue: VENUE, symbol: BTC, bid: 99, bidSize: 1, ask: 101, askSize: 1, ts: T0 })).toEqual({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    expect(marketMid({ type: 'md.trade', v: 1, id: 't', venue: VENUE, symbol: BTC, price: 98, qty: 1, side: 'buy', ts: T0 }).mid).toBe(98);
    expect(marketMid({ type: 'md.bar', v: 1, id: 'b', venue: VENUE, symbol: BTC, tf: '1m', open: 1, high: 3, low: 1, close: 2, volume: 0, ts: T0 })).toEqual({ venue: VENUE, symbol: BTC, ts: T0 + 60_000, mid: 2 });
  });
});
