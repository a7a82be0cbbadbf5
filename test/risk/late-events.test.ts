import { describe, expect, it } from 'vitest';
import { createRiskCore } from '../../models/risk/risk-core.js';
import { baseLimits, BTC, ETH, fill, suggestion, T0, VENUE } from './risk-fixtures.js';

/**
 * The risk core's other time-keyed state with events out of time order (live: the sequencer's
 * `late()`, an asset marked idle whose older events come after the others' later ones; or several
 * strategies' suggestions reaching the standalone actor out of order). The order-rate throttle is
 * in risk-rate-window.test.ts. These pin what a late event does.
 */
const DAY = 86_400_000;
const midnight = Math.ceil(T0 / DAY) * DAY;

describe('the risk core with late events', () => {
  /** Long 1 BTC and 1 ETH at 100, both marked at 100 the day before. */
  const holding = (maxDailyLoss = 1_000) => {
    const c = createRiskCore({ account: 'acc', limits: { ...baseLimits, maxDailyLoss } });
    for (const symbol of [BTC, ETH]) {
      c.onMarket({ venue: VENUE, symbol, ts: T0, mid: 100 });
      c.onFill(fill({ orderId: `o:${symbol}`, symbol, ts: T0, price: 100 }));
    }
    return c;
  };

  // It counted the late move to today (daily -50 here): a loss made before midnight charged to the
  // next day's limit, and the day's PnL depended on the order events arrived in (-40 in time order).
  it("does not take the UTC day back on a late event of the day before, and counts its move to that day: today's PnL is from the day's true close", () => {
    const c = holding();
    c.onMarket({ venue: VENUE, symbol: BTC, ts: midnight + 60_000, mid: 100 }); // the new day starts from equity 0
    c.onMarket({ venue: VENUE, symbol: BTC, ts: midnight + 120_000, mid: 60 });
    expect(c.status().pnl.daily).toBe(-40);
    // ETH's last bar of the day before, released late: yesterday closed at -10, not 0.
    c.onMarket({ venue: VENUE, symbol: ETH, ts: midnight - 60_000, mid: 90 });
    expect(c.status().pnl).toMatchObject({ daily: -40, equity: -50, drawdown: 50 });
    c.onMarket({ venue: VENUE, symbol: BTC, ts: midnight + 180_000, mid: 60 }); // the same day: no new start
    expect(c.status().pnl.daily).toBe(-40);
    // A late suggestion stamped the day before neither rolls the day nor clears its loss.
    c.setLimits({ maxDailyLoss: 35 });
    const d = c.onSuggestion(suggestion({ symbol: ETH, ts: midnight - 30_000, refPrice: 90, limitPrice: 90 }), midnight - 30_000);
    expect(d.kind === 'reject' ? d.reject.reasons : undefined).toContain('DAILY_LOSS');
    expect(c.status().pnl.daily).toBe(-40);
  });

  it('gives the same daily PnL and decisions whether the pre-midnight move came late or in time order', () => {
    const events = (late: boolean) => {
      const c = holding(45);
      const eth = () => c.onMarket({ venue: VENUE, symbol: ETH, ts: midnight, mid: 90 }); // the bar closing at midnight: the day before's
      if (!late) eth();
      const states = [...c.onMarket({ venue: VENUE, symbol: BTC, ts: midnight + 60_000, mid: 100 })];
      if (late) states.push(...eth());
      states.push(...c.onMarket({ venue: VENUE, symbol: BTC, ts: midnight + 120_000, mid: 60 }));
      const d = c.onSuggestion(suggestion({ ts: midnight + 120_000, refPrice: 60, limitPrice: 60 }), midnight + 120_000);
      return { pnl: c.status().pnl, states, state: c.state(), decision: d.kind };
    };
    // 40 lost today (< 45): it counted 50 when ETH's move came late, and halted (flattened) the account.
    expect(events(true)).toEqual(events(false));
    expect(events(true)).toMatchObject({ pnl: { daily: -40 }, states: [], state: 'ACTIVE', decision: 'order' });
  });

  it("counts a late fill of the day before (a venue's fill reported after midnight) to that day", () => {
    const c = holding();
    c.onMarket({ venue: VENUE, symbol: BTC, ts: midnight + 60_000, mid: 100 }); // the new day starts from equity 0
    // Bought 1 BTC at 110 (fee 2) at 23:59 with the mid at 100: -12 made the day before.
    c.onFill(fill({ orderId: 'o:late', ts: midnight - 60_000, price: 110, fee: 2 }));
    expect(c.status().pnl).toMatchObject({ daily: 0, equity: -12 });
    c.onMarket({ venue: VENUE, symbol: BTC, ts: midnight + 120_000, mid: 90 });
    expect(c.status().pnl).toMatchObject({ daily: -20, equity: -32 }); // 2 BTC down 10 each today
  });

  it('keeps the drawdown peak from a late mark (the highest equity the book has seen, in whatever order)', () => {
    const c = createRiskCore({ account: 'acc', limits: baseLimits });
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    c.onFill(fill({ orderId: 'o:1', ts: T0, price: 100 }));
    c.onMarket({ venue: VENUE, symbol: ETH, ts: T0 + 2_000, mid: 50 });
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 1_000, mid: 130 }); // late: BTC's own next bar
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 3_000, mid: 110 });
    expect(c.status().pnl).toMatchObject({ peak: 30, drawdown: 20 });
    // An older mark of an asset than the one held changes nothing (the sequencer keeps an asset's own order).
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 2_500, mid: 200 });
    expect(c.status().pnl).toMatchObject({ peak: 30, drawdown: 20, equity: 10 });
  });

  it('judges a late suggestion against the newest mark: not stale when the mark is newer than it; its order counts from the mark', () => {
    const c = createRiskCore({ account: 'acc', limits: { ...baseLimits, staleAfterMs: 5_000 } });
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 10_000, mid: 100 });
    const d = c.onSuggestion(suggestion({ ts: T0 + 1_000, ttlMs: 2_000 }), T0 + 1_000);
    expect(d.kind).toBe('order');
    expect(d.kind === 'order' ? d.order : undefined).toMatchObject({ ts: T0 + 1_000, expiresAt: T0 + 12_000 });
  });

  it('does not bring back an order expired at a later time for a late suggestion, nor forget a late fill id early', () => {
    const c = createRiskCore({ account: 'acc', limits: { ...baseLimits, unreportedExpiryGraceMs: 500 }, dedupWindowMs: 1_000 });
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    const first = c.onSuggestion(suggestion({ ts: T0, ttlMs: 2_000 }), T0);
    const id = first.kind === 'order' ? first.order.id : '';
    c.onSuggestion(suggestion({ ts: T0 + 3_000 }), T0 + 3_000); // expires the first (its expiresAt and grace passed, nothing reported)
    expect(c.inFlight(id)).toBe(false);
    c.onSuggestion(suggestion({ ts: T0 + 1_000 }), T0 + 1_000); // late: before the first's expiresAt
    expect(c.inFlight(id)).toBe(false);
    c.onSuggestion(suggestion({ ts: T0 + 2_200 }), T0 + 2_200); // late: within its grace
    expect(c.inFlight(id)).toBe(false);
    c.onFill(fill({ orderId: 'o:x', id: 'x:a', ts: T0 + 10_000, final: false }));
    c.onFill(fill({ orderId: 'o:x', id: 'x:late', ts: T0 + 5_000, final: false })); // late
    c.onFill(fill({ orderId: 'o:x', id: 'x:b', ts: T0 + 10_900, final: false })); // prunes before T0 + 9_900
    expect(c.hasFill('x:a')).toBe(true);
    expect(c.hasFill('x:late')).toBe(true); // kept behind x:a (longer than its window), never dropped early
  });
});
