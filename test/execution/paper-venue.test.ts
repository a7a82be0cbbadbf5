import { describe, expect, it } from 'vitest';
import { createPaperVenue } from '../../actors/paper-venue.js';
import type { PaperVenue, PaperVenueOptions, VenueExpiry } from '../../actors/paper-venue.js';
import { PaperVenueSnapshotSchema } from '../../models/execution/paper-venue-core.js';
import type { Fill } from '../../streams/messages/fill.js';
import { FillSchema } from '../../streams/messages/fill.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import type { Trade } from '../../streams/messages/trade.js';
import { bar, order, quote, SYMBOL } from './fixtures.js';

const OPTS: PaperVenueOptions = { venue: 'paper', takerFeeBps: 10, makerFeeBps: 2, spreadBps: 10, slippage: { impactCoeff: 0.5 }, maxVolumeShare: 0.1 };

/** The hand-built price path: two bars set σ = |ln(101/100)|, then the bars orders meet. */
const B0 = bar(0, 100, 100.5, 99.5, 100, 1_000, 'paper');
const B1 = bar(60_000, 100, 101.2, 99.8, 101, 1_000, 'paper');
const B2 = bar(120_000, 101, 102, 100.5, 101.5, 400, 'paper');
const B3 = bar(180_000, 101.4, 101.6, 100.9, 101, 300, 'paper');
const B4 = bar(240_000, 100.9, 101, 100.5, 100.7, 300, 'paper');
const SIGMA1 = Math.log(1.01);
const SIGMA2 = Math.sqrt(0.94 * SIGMA1 ** 2 + 0.06 * Math.log(101.5 / 101) ** 2);

function venueAfter(...bars: MarketData[]): PaperVenue {
  const v = createPaperVenue(OPTS);
  for (const b of bars) expect(v.onMarket(b).fills).toEqual([]);
  return v;
}

/** The price of the one fill an event made. */
const onlyPrice = (fills: readonly Fill[]): number => {
  expect(fills).toHaveLength(1);
  return (fills[0] as Fill).price;
};

const valid = (fills: readonly Fill[]): readonly Fill[] => {
  for (const f of fills) expect(FillSchema.safeParse(f).success).toBe(true);
  return fills;
};

describe('paper venue', () => {
  it('fills a market buy at the next open + half spread + square-root slippage, with the taker fee', () => {
    const v = venueAfter(B0, B1);
    v.onOrder(order('o:a', 60_000), 60_000);
    const [f] = valid(v.onMarket(B2).fills);
    // slippage = 0.5 · 0.0099503 · sqrt(10/400) · 1e4 = 7.86643 bps; touch = 101 · 1.0005 = 101.0505
    expect(f).toMatchObject({ id: 'x:o:a:0', orderId: 'o:a', ts: 120_000, side: 'buy', qty: 10, liquidity: 'taker', final: true, strategy: 's1', venue: 'paper', symbol: SYMBOL });
    expect(f?.price).toBeCloseTo(101.1299906, 6);
    expect(f?.price).toBeCloseTo(101.0505 * (1 + (0.5 * SIGMA1 * Math.sqrt(10 / 400) * 1e4) / 1e4), 10);
    expect(f?.fee).toBeCloseTo(1.0112999, 6); // 10 · price · 10 bps
    expect(f?.slippageBps).toBeCloseTo(12.87036, 4); // against the arrival mid 101
    expect(v.working()).toEqual([]);
  });

  it('caps each fill at maxVolumeShare of the bar volume and carries the rest over', () => {
    const v = venueAfter(B0, B1);
    v.onOrder(order('o:s', 60_000, { side: 'sell', qty: 60 }), 60_000);
    const first = valid(v.onMarket(B2).fills);
    expect(first.map((f) => [f.id, f.qty, f.final])).toEqual([['x:o:s:0', 40, false]]); // 10 % of 400
    expect(first[0]?.price).toBeCloseTo(100.7906776, 6); // 101 · 0.9995 · (1 − 15.7329 bps)
    expect(first[0]?.fee).toBeCloseTo(4.0316271, 6);
    expect(v.working()).toEqual([{ orderId: 'o:s', remaining: 20, filled: 40, liquidity: 'taker' }]);
    const second = valid(v.onMarket(B3).fills);
    expect(second.map((f) => [f.id, f.qty, f.final])).toEqual([['x:o:s:1', 20, true]]);
    expect(second[0]?.price).toBeCloseTo(101.4 * 0.9995 * (1 - (0.5 * SIGMA2 * Math.sqrt(20 / 300) * 1e4) / 1e4), 10);
    expect(second[0]?.slippageBps).toBeCloseTo(-21.98874, 4); // the market rose: better than the arrival mid
    expect(v.working()).toEqual([]);
  });

  it('shares one bar’s volume between orders in arrival order', () => {
    const v = venueAfter(B0, B1);
    v.onOrder(order('o:2', 60_000, { qty: 30 }), 60_000);
    v.onOrder(order('o:1', 60_000, { qty: 30 }), 60_000); // same time: id order
    expect(v.onMarket(B2).fills.map((f) => [f.orderId, f.qty])).toEqual([
      ['o:1', 30],
      ['o:2', 10],
    ]);
  });

  it('rests a passive limit until the market trades through it, then fills at the limit with the maker fee', () => {
    const v = venueAfter(B0, B1, B2);
    v.onOrder(order('o:l', 120_000, { orderType: 'limit', limitPrice: 100.6 }), 120_000);
    expect(v.onMarket(B3).fills).toEqual([]); // low 100.9 stays above the limit
    expect(v.working()).toEqual([{ orderId: 'o:l', remaining: 10, filled: 0, liquidity: 'maker' }]);
    const [f] = valid(v.onMarket(B4).fills);
    expect(f).toMatchObject({ qty: 10, price: 100.6, liquidity: 'maker', final: true, ts: 240_000 });
    expect(f?.fee).toBeCloseTo(0.2012, 10); // 10 · 100.6 · 2 bps
    expect(f?.slippageBps).toBeCloseTo(((100.6 - 101.5) / 101.5) * 1e4, 10);
  });

  it('treats a limit marketable on arrival as a taker, capped at its limit', () => {
    const loose = venueAfter(B0, B1, B2);
    loose.onOrder(order('o:m', 120_000, { orderType: 'limit', limitPrice: 102 }), 120_000);
    const [f] = loose.onMarket(B3).fills;
    expect(f).toMatchObject({ liquidity: 'taker', qty: 10 });
    expect(f?.price).toBeCloseTo(101.4 * 1.0005 * (1 + (0.5 * SIGMA2 * Math.sqrt(10 / 300) * 1e4) / 1e4), 10);
    const tight = venueAfter(B0, B1, B2);
    tight.onOrder(order('o:t', 120_000, { orderType: 'limit', limitPrice: 101.46 }), 120_000);
    expect(tight.onMarket(B3).fills[0]).toMatchObject({ liquidity: 'taker', price: 101.46 });
  });

  it('expires an order at expiresAt with a notice; a partly filled one keeps its non-final fill', () => {
    // Decided on B2 (stamped with its open, 120,000) the order exists from B2's close (180,000):
    // the risk actor counts its 80 s to live from there, to 260,000.
    const v = venueAfter(B0, B1, B2);
    v.onOrder(order('o:far', 120_000, { orderType: 'limit', limitPrice: 90, expiresAt: 260_000 }), 120_000);
    expect(v.onMarket(B3)).toEqual({ fills: [], expired: [] });
    expect(v.onMarket(B4)).toEqual({ fills: [], expired: [] }); // 240,000: alive
    expect(v.onTime(259_999).expired).toEqual([]); // still alive at its last millisecond
    expect(v.onTime(260_000).expired).toEqual<VenueExpiry[]>([{ type: 'exec.expired', orderId: 'o:far', ts: 260_000, strategy: 's1', venue: 'paper', symbol: SYMBOL, filledQty: 0, remainingQty: 10 }]);

    const p = venueAfter(B0, B1);
    p.onOrder(order('o:p', 60_000, { side: 'sell', qty: 60, expiresAt: 210_000 }), 60_000); // lives 120,000 → 210,000
    expect(p.onMarket(B2).fills.map((f) => [f.qty, f.final])).toEqual([[40, false]]);
    expect(p.onTime(209_999).expired).toEqual([]);
    expect(p.onTime(210_000)).toEqual({ fills: [], expired: [expect.objectContaining({ orderId: 'o:p', filledQty: 40, remainingQty: 20 })] });
    expect(p.stats()).toMatchObject({ orders: 1, fills: 1, expired: 1 });

    // An order decided on a tick lives from the tick on.
    const t = createPaperVenue(OPTS);
    t.onOrder(order('o:t', 5_000, { orderType: 'limit', limitPrice: 90, expiresAt: 6_000 }), 5_000);
    expect(t.onTime(5_999).expired).toEqual([]);
    expect(t.onTime(6_000).expired.map((e) => e.ts)).toEqual([6_000]);
  });

  it('uses the quote’s own spread and touch size when quotes drive it', () => {
    const v = createPaperVenue(OPTS);
    v.onOrder(order('o:q', 0, { qty: 3 }), 0); // no price yet: the first quote's mid is the reference
    const a = valid(v.onMarket(quote(1_000, 99, 101, 20, 'paper')).fills);
    expect(a.map((f) => [f.qty, f.price, f.final, f.slippageBps])).toEqual([[2, 101, false, 100]]); // 10 % of 20 at the ask, no σ yet
    expect(a[0]?.fee).toBeCloseTo(0.202, 12);
    const b = v.onMarket(quote(2_000, 100, 101.5, 50, 'paper')).fills;
    expect(b.map((f) => [f.id, f.qty, f.price, f.final])).toEqual([['x:o:q:1', 1, 101.5, true]]);
    v.onOrder(order('o:ls', 2_000, { side: 'sell', orderType: 'limit', limitPrice: 102 }), 2_000);
    expect(v.onMarket(quote(3_000, 101.9, 102.1, 500, 'paper')).fills).toEqual([]);
    expect(v.onMarket(quote(4_000, 102.2, 102.4, 500, 'paper')).fills.map((f) => [f.price, f.liquidity, f.qty])).toEqual([[102, 'maker', 10]]);
  });

  it('fills on trades at the trade price ± half the configured spread', () => {
    const v = createPaperVenue(OPTS);
    const trade = (ts: number, price: number, qty: number): Trade => ({ type: 'md.trade', v: 1, id: `t:${ts}`, venue: 'paper', symbol: SYMBOL, price, qty, side: 'unknown', ts });
    v.onMarket(trade(0, 100, 1));
    v.onOrder(order('o:t', 0, { qty: 1 }), 0);
    expect(v.onMarket(trade(10, 100.2, 50)).fills.map((f) => [f.price, f.qty])).toEqual([[100.2 * 1.0005, 1]]);
  });

  it('fills trades and bars at half the last quoted spread while the quote is recent, then at the modelled one again', () => {
    const trade = (ts: number, price: number, qty: number): Trade => ({ type: 'md.trade', v: 1, id: `t:${ts}`, venue: 'paper', symbol: SYMBOL, price, qty, side: 'unknown', ts });
    const noImpact: PaperVenueOptions = { ...OPTS, slippage: { impactCoeff: 0 }, quoteMaxAgeMs: 30_000 };
    const v = createPaperVenue(noImpact);
    // A 20 bps quote (99.9 / 100.1): half of it, 10 bps, instead of the configured 5.
    v.onMarket(quote(1_000, 99.9, 100.1, 0, 'paper'));
    v.onOrder(order('o:t', 1_000, { qty: 1 }), 1_000);
    expect(onlyPrice(v.onMarket(trade(2_000, 100.2, 50)).fills)).toBeCloseTo(100.2 * (1 + 0.2 / 200), 9);
    // A bar opening 30 s after the quote: still the quoted spread (a sell takes the bid side).
    v.onOrder(order('o:b', 2_000, { qty: 1, side: 'sell' }), 2_000);
    expect(onlyPrice(v.onMarket(bar(31_000, 101, 101.5, 100.5, 101, 1_000, 'paper')).fills)).toBeCloseTo(101 * (1 - 0.2 / 200), 9);
    // After that bar's close (91 s) the quote is 90 s old, past the limit: the configured spreadBps again.
    v.onOrder(order('o:late', 91_000, { qty: 1 }), 91_000);
    expect(onlyPrice(v.onMarket(trade(91_001, 101, 50)).fills)).toBeCloseTo(101 * 1.0005, 9);
    // A crossed quote says nothing of the spread (and a later good one takes over).
    v.onMarket(quote(100_000, 101.2, 101, 0, 'paper'));
    v.onOrder(order('o:x', 100_000, { qty: 1 }), 100_000);
    expect(onlyPrice(v.onMarket(trade(100_500, 101, 50)).fills)).toBeCloseTo(101 * 1.0005, 9);
    v.onMarket(quote(101_000, 100.95, 101.05, 0, 'paper'));
    v.onOrder(order('o:y', 101_000, { qty: 1 }), 101_000);
    expect(onlyPrice(v.onMarket(trade(101_500, 101, 50)).fills)).toBeCloseTo(101 * (1 + 0.1 / 202), 9);
  });

  it('uses no quoted spread on trades with quoteMaxAgeMs 0', () => {
    const trade = (ts: number, price: number, qty: number): Trade => ({ type: 'md.trade', v: 1, id: `t:${ts}`, venue: 'paper', symbol: SYMBOL, price, qty, side: 'unknown', ts });
    const v = createPaperVenue({ ...OPTS, slippage: { impactCoeff: 0 }, quoteMaxAgeMs: 0 });
    v.onMarket(quote(1_000, 99.9, 100.1, 0, 'paper'));
    v.onOrder(order('o:t', 1_000, { qty: 1 }), 1_000);
    expect(onlyPrice(v.onMarket(trade(1_001, 100.2, 50)).fills)).toBeCloseTo(100.2 * 1.0005, 9);
    expect(() => createPaperVenue({ ...OPTS, quoteMaxAgeMs: -1 })).toThrow(/quoteMaxAgeMs/);
  });

  it('ignores other venues and duplicate orders, and refuses bad options', () => {
    const v = venueAfter(B0, B1);
    v.onOrder(order('o:x', 60_000, { venue: 'binance' }), 60_000);
    v.onOrder(order('o:d', 60_000), 60_000);
    v.onOrder(order('o:d', 60_000), 60_000);
    expect(v.onMarket(bar(120_000, 101, 102, 100.5, 101.5, 400, 'binance')).fills).toEqual([]);
    expect(v.onMarket(B2).fills.map((f) => f.orderId)).toEqual(['o:d']);
    expect(v.stats()).toMatchObject({ orders: 1, duplicates: 1, ignored: 1 });
    expect(() => createPaperVenue({ ...OPTS, maxVolumeShare: 0 })).toThrow(RangeError);
    expect(() => createPaperVenue({ ...OPTS, takerFeeBps: Number.NaN })).toThrow(/takerFeeBps/);
  });

  it('is deterministic: the same inputs give identical fills and expiries', () => {
    const run = (): unknown[] => {
      const v = createPaperVenue(OPTS);
      const out: unknown[] = [];
      let px = 100;
      for (let i = 0; i < 200; i++) {
        const ts = i * 60_000;
        px *= Math.exp(0.004 * Math.sin(i * 1.7));
        out.push(v.onMarket(bar(ts, px, px * 1.003, px * 0.997, px * (1 + 0.001 * Math.cos(i)), 50 + (i % 13) * 10, 'paper')));
        if (i % 5 === 0) {
          const limit = i % 10 === 0 ? null : px * 0.999;
          out.push(v.onOrder(order(`o:${i}`, ts, { side: i % 15 === 0 ? 'sell' : 'buy', qty: 3 + (i % 7), orderType: limit === null ? 'market' : 'limit', limitPrice: limit, expiresAt: ts + 150_000 }), ts));
        }
      }
      return out;
    };
    const a = run();
    expect(JSON.stringify(a)).toContain('exec.fill');
    expect(JSON.stringify(a)).toContain('exec.expired');
    expect(run()).toEqual(a);
  });

  it('with maxGapMs, cancels working orders when their symbol\'s data resumes after a hole, instead of filling across it', () => {
    const v = createPaperVenue({ ...OPTS, maxGapMs: 90_000 });
    const M = 60_000;
    v.onMarket(bar(0, 100, 101, 99, 100, 1_000, 'paper'));
    v.onOrder(order('o:a', 0), 0);
    // The next bar comes 5 minutes later: a hole of 4 bars. No fill; the order is cancelled, at
    // the time the data resumed: the venue learns of the hole then, and the order worked until
    // then (was stamped 0, the last data before the hole, before it was known cancelled).
    const out = v.onMarket(bar(5 * M, 120, 121, 119, 120, 1_000, 'paper'));
    expect(out.fills).toEqual([]);
    expect(out.expired).toEqual([expect.objectContaining({ orderId: 'o:a', reason: 'gap', filledQty: 0, remainingQty: 10, ts: 5 * M })]);
    // Without the rule, the same order fills at the price after the hole.
    const plain = createPaperVenue(OPTS);
    plain.onMarket(bar(0, 100, 101, 99, 100, 1_000, 'paper'));
    plain.onOrder(order('o:a', 0), 0);
    expect(plain.onMarket(bar(5 * M, 120, 121, 119, 120, 1_000, 'paper')).fills.length).toBe(1);
    // Contiguous bars still fill.
    v.onOrder(order('o:b', 5 * M), 5 * M);
    expect(v.onMarket(bar(6 * M, 120, 121, 119, 120, 1_000, 'paper')).fills.length).toBe(1);
  });

  it('with maxGapMs, cancels at a hole only the orders that were working in it, not one that arrived after the data resumed (live latency)', () => {
    const v = createPaperVenue({ ...OPTS, maxGapMs: 90_000 });
    const M = 60_000;
    v.onMarket(bar(0, 100, 101, 99, 100, 1_000, 'paper'));
    v.onOrder(order('o:before', 0), 0); // arrives at the bar's close, 1m: works across the hole
    v.onOrder(order('o:inside', 3 * M), 3 * M); // arrives in the hole (no data from 1m to 5m)
    // Live, the 5m bar (stamped with its open time) is seen at its close: an order can reach the
    // venue before it, after the data resumed. It never spanned the hole.
    v.onOrder(order('o:after', 5 * M + 20_000), 5 * M + 20_000);
    const out = v.onMarket(bar(5 * M, 120, 121, 119, 120, 1_000, 'paper'));
    expect(out.expired.map((e) => [e.orderId, e.reason, e.ts])).toEqual([
      ['o:before', 'gap', 5 * M],
      ['o:inside', 'gap', 5 * M],
    ]);
    // The 5m bar opened before it arrived: no fill on it; it goes on working and fills on the next.
    expect(out.fills).toEqual([]);
    expect(v.working().map((w) => w.orderId)).toEqual(['o:after']);
    expect(v.onMarket(bar(6 * M, 120, 121, 119, 120, 1_000, 'paper')).fills.map((f) => [f.orderId, f.qty])).toEqual([['o:after', 10]]);
    expect(v.stats().expired).toBe(2);
  });

  it('takes an order sent on a late event (its time before the symbol\'s newest data, live only) as arriving at that newest data: it never fills on a bar it passed', () => {
    // Live, the decision path can decide on a late event (an asset marked idle whose older events
    // come after the others' later ones): a child of this symbol then goes out with a time before
    // the bars the venue has already seen of it. It arrives when the symbol's newest bar closed.
    const v = createPaperVenue(OPTS);
    const M = 60_000;
    for (let m = 0; m < 5; m++) v.onMarket(bar(m * M, 100 + m, 101 + m, 99 + m, 100 + m, 1_000, 'paper'));
    expect(v.onOrder(order('o:late', 2 * M, { expiresAt: 7 * M }), 2 * M)).toEqual({ fills: [], expired: [] });
    expect(v.snapshot().working.map((w) => [w.order.id, w.arrivalTs])).toEqual([['o:late', 5 * M]]);
    // The next bar fills it, at its open; nothing of the bars before its arrival.
    expect(v.onMarket(bar(5 * M, 110, 111, 109, 110, 1_000, 'paper')).fills.map((f) => [f.orderId, f.ts, f.qty])).toEqual([['o:late', 5 * M, 10]]);
  });

  it('restarted from its snapshot (stored as JSON), goes on working an order: its fills go on from the last id, its hole still cancels', () => {
    const v = venueAfter(B0, B1);
    v.onOrder(order('o:s', 60_000, { side: 'sell', qty: 60 }), 60_000);
    v.onOrder(order('o:r', 60_000, { side: 'buy', qty: 50, orderType: 'limit', limitPrice: 100.8 }), 60_000);
    // Both partly filled (10 % of B2's 400 a side); the buy rests (B2 opened above its limit).
    expect(v.onMarket(B2).fills.map((f) => [f.id, f.qty])).toEqual([['x:o:r:0', 40], ['x:o:s:0', 40]]);
    const restart = (from: PaperVenue, opts: PaperVenueOptions = OPTS): PaperVenue => createPaperVenue(opts, PaperVenueSnapshotSchema.parse(JSON.parse(JSON.stringify(from.snapshot()))));
    const again = restart(v);
    expect(again.working()).toEqual(v.working());
    // What was left of the sell, as fill 1 at B3's open, priced with σ as without the restart (the
    // caps test); the buy rests through B3 (low 100.9) and takes what it has left at its limit, as a
    // maker, on B4 (low 100.5).
    const f3 = again.onMarket(B3).fills;
    expect(f3.map((f) => [f.id, f.qty, f.final])).toEqual([['x:o:s:1', 20, true]]);
    expect(f3[0]?.price).toBeCloseTo(101.4 * 0.9995 * (1 - (0.5 * SIGMA2 * Math.sqrt(20 / 300) * 1e4) / 1e4), 10);
    expect(again.onMarket(B4).fills.map((f) => [f.id, f.qty, f.price, f.liquidity])).toEqual([['x:o:r:1', 10, 100.8, 'maker']]);
    // The same order again (a replayed decision) is not worked twice.
    again.onOrder(order('o:s', 60_000, { side: 'sell', qty: 60 }), 240_000);
    expect(again.working()).toEqual([]);
    // Its symbol's last event is kept: data that resumes after a hole cancels what works, as without a restart.
    const gapped = createPaperVenue({ ...OPTS, maxGapMs: 90_000 });
    gapped.onMarket(B0);
    gapped.onOrder(order('o:g', 0), 0);
    const out = restart(gapped, { ...OPTS, maxGapMs: 90_000 }).onMarket(bar(5 * 60_000, 120, 121, 119, 120, 1_000, 'paper'));
    expect(out.fills).toEqual([]);
    expect(out.expired).toEqual([expect.objectContaining({ orderId: 'o:g', reason: 'gap', remainingQty: 10 })]);
  });
});
