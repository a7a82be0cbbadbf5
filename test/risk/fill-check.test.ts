import { describe, expect, it } from 'vitest';
import { expiryMismatch } from '../../models/risk/expiry-check.js';
import { fillMismatch } from '../../models/risk/fill-check.js';
import { RiskBook, RiskBookSnapshotSchema } from '../../models/risk/risk-book.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import type { Expiry } from '../../streams/messages/expiry.js';
import type { Order } from '../../streams/messages/order.js';
import { baseLimits, BTC, ETH, fill, suggestion, T0, VENUE } from './risk-fixtures.js';

const WINDOW = 86_400_000;

const order = (id: string, over: Partial<Order> = {}): Order => ({
  type: 'exec.order',
  v: 1,
  id,
  ts: T0,
  strategy: 'alpha',
  venue: VENUE,
  symbol: BTC,
  suggestionId: id.slice(2),
  side: 'buy',
  qty: 1,
  orderType: 'limit',
  limitPrice: 100,
  expiresAt: T0 + 10_000,
  reducing: false,
  ...over,
});

describe('fills checked against their order (models/risk/fill-check.ts)', () => {
  it('passes a fill of an order in flight and refuses one of no order (UNKNOWN_ORDER) or not as approved (ORDER_MISMATCH)', () => {
    const book = new RiskBook(undefined, WINDOW);
    book.addOrder(order('o:a'));
    expect(fillMismatch(book, fill({ orderId: 'o:a', qty: 0.5, final: false }))).toBeUndefined();
    expect(fillMismatch(book, fill({ orderId: 'o:zz' }))).toMatchObject({ reason: 'UNKNOWN_ORDER' });
    expect(fillMismatch(book, fill({ orderId: 'o:a', side: 'sell' }))?.detail).toContain('is a buy, the fill a sell');
    expect(fillMismatch(book, fill({ orderId: 'o:a', symbol: ETH }))?.detail).toContain(`is for ${VENUE} ${BTC}, the fill for ${VENUE} ${ETH}`);
    expect(fillMismatch(book, fill({ orderId: 'o:a', strategy: 'beta' }))?.detail).toContain("strategy alpha's, the fill says beta");
    expect(fillMismatch(book, fill({ orderId: 'o:a', qty: 1.5 }))).toMatchObject({ reason: 'ORDER_MISMATCH' });
    // Doubles: 0.1 + 0.2 of an order of 0.3 is not more than it had.
    book.addOrder(order('o:b', { qty: 0.3 }));
    book.applyFill(fill({ orderId: 'o:b', qty: 0.1, final: false }), WINDOW);
    expect(fillMismatch(book, fill({ orderId: 'o:b', qty: 0.2 }))).toBeUndefined();
  });

  it('keeps an order filled, expired or released for the dedup window: a late fill of what was left is booked, one beyond it or after a final fill is not', () => {
    const book = new RiskBook(undefined, WINDOW);
    book.addOrder(order('o:exp'));
    book.addOrder(order('o:rel'));
    book.addOrder(order('o:done'));
    book.applyFill(fill({ orderId: 'o:exp', qty: 0.25, final: false }), WINDOW);
    book.expire(T0 + 20_000);
    expect(book.inFlight.has('o:exp')).toBe(false);
    book.release('o:rel', T0 + 20_000);
    book.applyFill(fill({ orderId: 'o:done', qty: 0.4, final: true }), WINDOW); // final: nothing left, however much was
    expect(book.inFlight.size).toBe(0);
    // A live venue's fill of the expired order arriving late: what was left (0.75) may still fill.
    const late = fill({ orderId: 'o:exp', ts: T0 + 30_000, qty: 0.75 });
    expect(fillMismatch(book, late)).toBeUndefined();
    expect(fillMismatch(book, fill({ orderId: 'o:exp', qty: 0.8 }))?.detail).toContain('more than the 0.75');
    expect(fillMismatch(book, fill({ orderId: 'o:rel', qty: 1 }))).toBeUndefined();
    // After a final fill the reason says why nothing is left (it read 'more than the 0 order o:done had left').
    expect(fillMismatch(book, fill({ orderId: 'o:done', qty: 0.1 }))?.detail).toBe('order o:done was closed by its final fill, which left 0.6 of it unfilled (expired with that fill): nothing is left for a fill of 0.1');
    book.applyFill(late, WINDOW);
    expect(fillMismatch(book, fill({ orderId: 'o:exp', qty: 0.01 }))).toEqual({ reason: 'ORDER_MISMATCH', detail: 'order o:exp was filled in full already: nothing is left for a fill of 0.01' });
    // The same fill again (a redelivery) passes: applying it changes nothing.
    expect(fillMismatch(book, late)).toBeUndefined();
    // Retired more than the window ago (by event time): forgotten, so unknown.
    book.addOrder(order('o:next', { ts: T0 + WINDOW + 30_000, expiresAt: T0 + WINDOW + 40_000 }));
    book.expire(T0 + WINDOW + 50_000);
    expect(fillMismatch(book, fill({ orderId: 'o:rel', qty: 1 }))).toMatchObject({ reason: 'UNKNOWN_ORDER' });
    expect(fillMismatch(book, fill({ orderId: 'o:next', qty: 1 }))).toBeUndefined();
    // The dead letter says the order may have been approved and forgotten, and after how long.
    const forgotten = 'which the risk book does not know: never approved by this account, or retired (filled, expired or released) more than 24 h of event time ago, longer than the book keeps retired orders';
    expect(fillMismatch(book, fill({ id: 'f:late', orderId: 'o:rel', qty: 1 }))?.detail).toBe(`fill f:late names order o:rel, ${forgotten}`);
    const expired: Expiry = { type: 'exec.expired', v: 1, id: 'x:rel', ts: T0 + WINDOW + 50_000, orderId: 'o:rel', strategy: 'alpha', venue: VENUE, symbol: BTC, filledQty: 0, remainingQty: 1, reason: 'venue' };
    expect(expiryMismatch(book, expired)).toEqual({ reason: 'UNKNOWN_ORDER', detail: `expiry x:rel names order o:rel, ${forgotten}` });
    expect(fillMismatch(new RiskBook(undefined, 90_000), fill({ orderId: 'o:zz' }))?.detail).toContain('more than 90 s of event time ago');
  });

  it('survives a restart: retired orders are in the book snapshot, and a snapshot written before them loads', () => {
    const core = createRiskCore({ account: 'acc' });
    const book = new RiskBook(undefined, WINDOW);
    book.addOrder(order('o:a'));
    book.expire(T0 + 20_000);
    const snap = RiskBookSnapshotSchema.parse(JSON.parse(JSON.stringify(book.snapshot())));
    const restored = createRiskCore({ account: 'acc', book: { book: snap, seen: [] } });
    expect(restored.checkFill(fill({ orderId: 'o:a' }))).toBeUndefined();
    expect(core.checkFill(fill({ orderId: 'o:a' }))).toMatchObject({ reason: 'UNKNOWN_ORDER' });
    // Written before orders kept their strategy and quantity, or retired ones were kept.
    const old = RiskBookSnapshotSchema.parse({ positions: [], marks: [], inFlight: [{ orderId: 'o:old', key: `${VENUE}|${BTC}`, side: 'sell', remaining: 2, expiresAt: T0 + 1 }], orderTimes: [], fillIds: [], day: null, dayStartEquity: 0, peakEquity: 0 });
    const fromOld = createRiskCore({ account: 'acc', book: { book: old, seen: [] } });
    expect(fromOld.checkFill(fill({ orderId: 'o:old', side: 'sell', qty: 2, strategy: 'any' }))).toBeUndefined();
    expect(fromOld.checkFill(fill({ orderId: 'o:old', side: 'sell', qty: 2.1 }))).toMatchObject({ reason: 'ORDER_MISMATCH' });
  });

  it("refuses a fill worse than its order's limit by more than the tolerance (ORDER_MISMATCH), takes one better or within it, and checks no limit for a market order or one stored before limits were kept", () => {
    // The audit's fill: 50000 reported for ETH bought at a limit of 2779.79 was booked.
    const book = new RiskBook(undefined, WINDOW);
    book.addOrder(order('o:eth', { symbol: ETH, limitPrice: 2779.79 }));
    const eth = (price: number) => fill({ orderId: 'o:eth', symbol: ETH, qty: 0.5, final: false, price });
    expect(fillMismatch(book, eth(50_000), 5)).toEqual({
      reason: 'ORDER_MISMATCH',
      detail: "fill price 50000 is above order o:eth's buy limit 2779.79 by 169870 bps, more than the 5 bps tolerance (validation.fillPriceToleranceBps): at most 2781.179895",
    });
    expect(fillMismatch(book, eth(2779.79 * 1.0006), 5)?.detail).toContain('by 6.00 bps, more than the 5 bps tolerance');
    // A venue's rounding of the unrounded limit up a tick, and price improvement, are booked.
    expect(fillMismatch(book, eth(2779.8), 5)).toBeUndefined();
    expect(fillMismatch(book, eth(2779.79 * 1.0005), 5)).toBeUndefined();
    expect(fillMismatch(book, eth(2500), 5)).toBeUndefined();
    expect(fillMismatch(book, eth(2780), 0)).toMatchObject({ reason: 'ORDER_MISMATCH' });
    // A sell may not fill below its limit.
    book.addOrder(order('o:sell', { side: 'sell', limitPrice: 40150.064925 }));
    const sell = (price: number) => fill({ orderId: 'o:sell', side: 'sell', qty: 0.5, final: false, price });
    expect(fillMismatch(book, sell(4015.0064925), 5)?.detail).toContain("is below order o:sell's sell limit 40150.064925 by 9000 bps");
    expect(fillMismatch(book, sell(40150.06), 5)).toBeUndefined();
    expect(fillMismatch(book, sell(41000), 5)).toBeUndefined();
    // The default is 5 bps.
    expect(fillMismatch(book, sell(40150.064925 * 0.9994))).toMatchObject({ reason: 'ORDER_MISMATCH' });
    expect(fillMismatch(book, sell(40150.064925 * 0.9996))).toBeUndefined();
    // A market order approved before orders carried a reference price has no price to be held to.
    book.addOrder(order('o:mkt', { orderType: 'market', limitPrice: null }));
    expect(fillMismatch(book, fill({ orderId: 'o:mkt', qty: 0.5, final: false, price: 1e6 }), 5)).toBeUndefined();
    // The limit survives a restart; a book stored before limits were kept loads, its orders unchecked.
    const restored = new RiskBook(RiskBookSnapshotSchema.parse(JSON.parse(JSON.stringify(book.snapshot()))), WINDOW);
    expect(fillMismatch(restored, eth(50_000), 5)).toMatchObject({ reason: 'ORDER_MISMATCH' });
    const old = RiskBookSnapshotSchema.parse({ positions: [], marks: [], inFlight: [{ orderId: 'o:old', key: `${VENUE}|${BTC}`, side: 'buy', remaining: 1, expiresAt: T0 + 1, strategy: 'alpha', qty: 1 }], orderTimes: [], fillIds: [], day: null, dayStartEquity: 0, peakEquity: 0 });
    expect(fillMismatch(new RiskBook(old, WINDOW), fill({ orderId: 'o:old', qty: 1, price: 50_000 }), 5)).toBeUndefined();
    // The risk core checks with its configured tolerance.
    const core = createRiskCore({ account: 'acc', book: { book: book.snapshot(), seen: [] }, fillPriceToleranceBps: 10 });
    expect(core.checkFill(eth(2779.79 * 1.0009))).toBeUndefined();
    expect(core.checkFill(eth(2779.79 * 1.0011))).toMatchObject({ reason: 'ORDER_MISMATCH' });
  });

  it("refuses a market order's fill further from its refPrice (the mid risk approved it against) than validation.marketFillBandBps, either way (ORDER_MISMATCH), and takes one within it", () => {
    // A market order has no limit: a desk's fill at ten times the market was booked.
    const book = new RiskBook(undefined, WINDOW);
    book.addOrder(order('o:mkt', { symbol: ETH, orderType: 'market', limitPrice: null, refPrice: 2779.79 }));
    const eth = (price: number) => fill({ orderId: 'o:mkt', symbol: ETH, qty: 0.5, final: false, price });
    expect(fillMismatch(book, eth(27_797.9), 5, 1000)).toEqual({
      reason: 'ORDER_MISMATCH',
      detail: "fill price 27797.9 is above market buy order o:mkt's reference price 2779.79 (the mid risk approved it against) by 90000 bps, more than the 1000 bps band (validation.marketFillBandBps): from 2501.811 to 3057.769",
    });
    expect(fillMismatch(book, eth(277.979), 5, 1000)?.detail).toContain("fill price 277.979 is below market buy order o:mkt's reference price 2779.79");
    // Slippage, even a wide one, within the band is booked, on either side; the bound itself too.
    expect(fillMismatch(book, eth(2900), 5, 1000)).toBeUndefined();
    expect(fillMismatch(book, eth(2600), 5, 1000)).toBeUndefined();
    expect(fillMismatch(book, eth(3057.769), 5, 1000)).toBeUndefined();
    expect(fillMismatch(book, eth(2900), 5, 100)?.detail).toContain('by 432 bps, more than the 100 bps band');
    // The default is 1000 bps; null checks nothing (the labeler's and the feed's with the paper venue on).
    expect(fillMismatch(book, eth(3100))).toMatchObject({ reason: 'ORDER_MISMATCH' });
    expect(fillMismatch(book, eth(3000))).toBeUndefined();
    expect(fillMismatch(book, eth(27_797.9), 5, null)).toBeUndefined();
    // A sell likewise; a limit order is held to its limit, not the band, on its adverse side.
    book.addOrder(order('o:msell', { side: 'sell', orderType: 'market', limitPrice: null, refPrice: 42_000 }));
    expect(fillMismatch(book, fill({ orderId: 'o:msell', side: 'sell', qty: 0.5, final: false, price: 4_200 }), 5, 1000)?.detail).toContain("below market sell order o:msell's reference price 42000 (the mid risk approved it against) by 9000 bps");
    book.addOrder(order('o:lim', { limitPrice: 100, refPrice: 100 }));
    expect(fillMismatch(book, fill({ orderId: 'o:lim', qty: 0.5, final: false, price: 100.04 }), 5, 1000)).toBeUndefined();
    expect(fillMismatch(book, fill({ orderId: 'o:lim', qty: 0.5, final: false, price: 120 }), 5, 1000)?.detail).toContain("above order o:lim's buy limit 100 by 2000 bps, more than the 5 bps tolerance");
    // The reference price survives a restart; a book stored before it loads, its market orders unchecked.
    const restored = new RiskBook(RiskBookSnapshotSchema.parse(JSON.parse(JSON.stringify(book.snapshot()))), WINDOW);
    expect(fillMismatch(restored, eth(27_797.9), 5, 1000)).toMatchObject({ reason: 'ORDER_MISMATCH' });
    const old = RiskBookSnapshotSchema.parse({ positions: [], marks: [], inFlight: [{ orderId: 'o:old', key: `${VENUE}|${BTC}`, side: 'buy', remaining: 1, expiresAt: T0 + 1, strategy: 'alpha', qty: 1 }], orderTimes: [], fillIds: [], day: null, dayStartEquity: 0, peakEquity: 0 });
    expect(fillMismatch(new RiskBook(old, WINDOW), fill({ orderId: 'o:old', qty: 1, price: 1e7 }), 5, 1000)).toBeUndefined();
    // The risk core checks with its configured band.
    const core = createRiskCore({ account: 'acc', book: { book: book.snapshot(), seen: [] }, marketFillBandBps: 2000 });
    expect(core.checkFill(eth(3300))).toBeUndefined();
    expect(core.checkFill(eth(3400))).toMatchObject({ reason: 'ORDER_MISMATCH' });
  });

  it("refuses a limit order's fill better than its limit and past its refPrice by more than validation.marketFillBandBps on that side (ORDER_MISMATCH), and takes price improvement within it", () => {
    // A buy limit of 2779.79 filled at 277.98 (a unit error) was booked as price improvement: a huge unrealised gain.
    const book = new RiskBook(undefined, WINDOW);
    book.addOrder(order('o:eth', { symbol: ETH, limitPrice: 2779.79, refPrice: 2779.79 }));
    const eth = (price: number) => fill({ orderId: 'o:eth', symbol: ETH, qty: 0.5, final: false, price });
    expect(fillMismatch(book, eth(277.98), 5, 1000)).toEqual({
      reason: 'ORDER_MISMATCH',
      detail: "fill price 277.98 is below limit buy order o:eth's reference price 2779.79 (the mid risk approved it against) by 9000 bps, better than its limit 2779.79 by more than the 1000 bps band (validation.marketFillBandBps) a price past the limit is held to: at least 2501.811",
    });
    // Price improvement within the band is booked, the bound itself too; the default band is 1000 bps; null checks nothing (paper venue).
    expect(fillMismatch(book, eth(2600), 5, 1000)).toBeUndefined();
    expect(fillMismatch(book, eth(2501.811), 5, 1000)).toBeUndefined();
    expect(fillMismatch(book, eth(2600), 5, 500)?.detail).toContain('by 647 bps, better than its limit 2779.79 by more than the 500 bps band');
    expect(fillMismatch(book, eth(2400))).toMatchObject({ reason: 'ORDER_MISMATCH' });
    expect(fillMismatch(book, eth(2550))).toBeUndefined();
    expect(fillMismatch(book, eth(277.98), 5, null)).toBeUndefined();
    // A sell filled far above its reference price likewise.
    book.addOrder(order('o:sell', { side: 'sell', limitPrice: 41_900, refPrice: 42_000 }));
    const sell = (price: number) => fill({ orderId: 'o:sell', side: 'sell', qty: 0.5, final: false, price });
    expect(fillMismatch(book, sell(420_000), 5, 1000)?.detail).toBe(
      "fill price 420000 is above limit sell order o:sell's reference price 42000 (the mid risk approved it against) by 90000 bps, better than its limit 41900 by more than the 1000 bps band (validation.marketFillBandBps) a price past the limit is held to: at most 46200",
    );
    expect(fillMismatch(book, sell(46_000), 5, 1000)).toBeUndefined();
    // A passive limit further from the mid than the band (a collar wider than it) fills at its limit.
    book.addOrder(order('o:deep', { limitPrice: 80, refPrice: 100 }));
    const deep = (price: number) => fill({ orderId: 'o:deep', qty: 0.5, final: false, price });
    expect(fillMismatch(book, deep(80), 5, 1000)).toBeUndefined();
    expect(fillMismatch(book, deep(79), 5, 1000)?.detail).toContain('at least 80');
    // An order without refPrice (approved before orders carried it) keeps its limit check only.
    book.addOrder(order('o:noref', { limitPrice: 2779.79 }));
    expect(fillMismatch(book, fill({ orderId: 'o:noref', qty: 0.5, final: false, price: 277.98 }), 5, 1000)).toBeUndefined();
    // The reference price survives a restart; a book stored before limit orders kept it loads, their limit only checked.
    const restored = new RiskBook(RiskBookSnapshotSchema.parse(JSON.parse(JSON.stringify(book.snapshot()))), WINDOW);
    expect(fillMismatch(restored, eth(277.98), 5, 1000)).toMatchObject({ reason: 'ORDER_MISMATCH' });
    const old = RiskBookSnapshotSchema.parse({ positions: [], marks: [], inFlight: [{ orderId: 'o:old', key: `${VENUE}|${BTC}`, side: 'buy', remaining: 1, expiresAt: T0 + 1, strategy: 'alpha', qty: 1, limitPrice: 100 }], orderTimes: [], fillIds: [], day: null, dayStartEquity: 0, peakEquity: 0 });
    expect(fillMismatch(new RiskBook(old, WINDOW), fill({ orderId: 'o:old', qty: 1, price: 10 }), 5, 1000)).toBeUndefined();
    // The risk core approves a limit order with its refPrice and checks with its configured band.
    const core = createRiskCore({ account: 'acc', limits: baseLimits, marketFillBandBps: 2000 });
    core.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    const l = core.onSuggestion(suggestion({ limitPrice: 100, qty: 0.5 }), T0);
    if (l.kind !== 'order') throw new Error(`not approved: ${JSON.stringify(l)}`);
    expect(core.checkFill(fill({ orderId: l.order.id, qty: 0.1, price: 81 }))).toBeUndefined();
    expect(core.checkFill(fill({ orderId: l.order.id, qty: 0.1, price: 10 }))).toMatchObject({ reason: 'ORDER_MISMATCH' });
  });

  it('books a genuine fill after the market moved past the band from refPrice, near the latest mid the book holds, and still refuses a unit error, naming both prices', () => {
    // 1h bars: the order's refPrice may be two hours old when a desk fills it; the market moved 15 %.
    const core = createRiskCore({ account: 'acc', limits: baseLimits });
    core.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    const m = core.onSuggestion(suggestion({ orderType: 'market', limitPrice: null, qty: 0.5 }), T0);
    const l = core.onSuggestion(suggestion({ side: 'sell', limitPrice: 100, qty: 0.5 }), T0);
    if (m.kind !== 'order' || l.kind !== 'order') throw new Error(`not approved: ${JSON.stringify([m, l])}`);
    const at = T0 + 3_600_000;
    const mbuy = (price: number) => fill({ orderId: m.order.id, ts: at + 1_000, qty: 0.1, final: false, price });
    const lsell = (price: number) => fill({ orderId: l.order.id, side: 'sell', ts: at + 1_000, qty: 0.1, final: false, price });
    // Before the book has the move, the fill at the new market is refused (refPrice alone).
    expect(core.checkFill(mbuy(115.5))).toMatchObject({ reason: 'ORDER_MISMATCH' });
    expect(core.checkFill(lsell(115.5))).toMatchObject({ reason: 'ORDER_MISMATCH' });
    core.onMarket({ venue: VENUE, symbol: BTC, ts: at, mid: 115 });
    expect(core.checkFill(mbuy(115.5))).toBeUndefined();
    expect(core.checkFill(lsell(115.5))).toBeUndefined(); // better than its limit, at the market now
    expect(core.checkFill(mbuy(95))).toBeUndefined(); // and still near refPrice
    // Ten times the market (or a tenth) is far from both.
    expect(core.checkFill(mbuy(1_155))).toEqual({
      reason: 'ORDER_MISMATCH',
      detail: `fill price 1155 is above market buy order ${m.order.id}'s reference price 100 (the mid risk approved it against) by 105500 bps, more than the 1000 bps band (validation.marketFillBandBps): from 90 to 110; and above the latest mid 115 (event time ${at}) by 90435 bps: from 103.5 to 126.5`,
    });
    expect(core.checkFill(mbuy(11.55))?.detail).toContain('below the latest mid 115');
    expect(core.checkFill(lsell(1_155))?.detail).toBe(
      `fill price 1155 is above limit sell order ${l.order.id}'s reference price 100 (the mid risk approved it against) by 105500 bps, and above the latest mid 115 (event time ${at}) by 90435 bps, better than its limit 100 by more than the 1000 bps band (validation.marketFillBandBps) a price past the limit is held to: at most 126.5`,
    );
    // Another asset's mid is not this order's market.
    core.onMarket({ venue: VENUE, symbol: ETH, ts: at, mid: 1_155 });
    expect(core.checkFill(mbuy(1_155))).toMatchObject({ reason: 'ORDER_MISMATCH' });
  });

  it('gives every order it approves refPrice, the mid its collar compared it with', () => {
    const core = createRiskCore({ account: 'acc', limits: baseLimits });
    core.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100.2 });
    const m = core.onSuggestion(suggestion({ orderType: 'market', limitPrice: null, refPrice: 100.3, qty: 0.5 }), T0);
    const l = core.onSuggestion(suggestion({ limitPrice: 100, qty: 0.5 }), T0);
    if (m.kind !== 'order' || l.kind !== 'order') throw new Error(`not approved: ${JSON.stringify([m, l])}`);
    expect([m.order.refPrice, l.order.refPrice]).toEqual([100.2, 100.2]);
    expect(core.checkFill(fill({ orderId: m.order.id, qty: 0.5, price: 1_002 }))).toMatchObject({ reason: 'ORDER_MISMATCH' });
    expect(core.checkFill(fill({ orderId: m.order.id, qty: 0.5, price: 101 }))).toBeUndefined();
  });
});
