import { describe, expect, it } from 'vitest';
import { createDecisionPath } from '../../actors/decision-path.js';
import type { AssetEvent } from '../../actors/event-sequencer.js';
import { createExecutionCore } from '../../models/execution/execution-core.js';
import { createPaperVenue } from '../../models/execution/paper-venue-core.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import type { StrategyCore } from '../../models/inference/strategy-core.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { Expiry } from '../../streams/messages/expiry.js';
import { expiryId } from '../../streams/messages/expiry.js';
import type { Fill } from '../../streams/messages/fill.js';
import type { Order } from '../../streams/messages/order.js';
import { subjectsFor } from '../../streams/subjects.js';
import { suggestion } from '../risk/risk-fixtures.js';
import { bookWithOrders } from '../support/approved-orders.js';
import type { ApprovedOrder } from '../support/approved-orders.js';

const VENUE = 'binance';
const SYMBOL = 'BTC/USDT';
const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

async function pathWith(orders: readonly ApprovedOrder[], withVenue: boolean) {
  const subjects = subjectsFor('sxt');
  const bus = createMemoryBus();
  await bus.ensureStreams([{ name: 'SIGNALS', subjects: subjects.streamSubjects.SIGNALS, maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
  const strategy = { strategy: 's1', onFeatures: () => Promise.resolve([]) } as unknown as StrategyCore;
  const risk = createRiskCore({ account: 'acc', book: bookWithOrders(orders) });
  const venue = withVenue ? createPaperVenue({ venue: VENUE, takerFeeBps: 10, makerFeeBps: 0, spreadBps: 0, slippage: { impactCoeff: 0 }, maxVolumeShare: 0.5 }) : undefined;
  const path = createDecisionPath(
    { bus, subjects, log: silentLogger, clock: createSimulatedClock(T0) },
    { strategy, timeframe: '1h', execution: createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 1 }), minQty: 0.001 }), risk, venue },
  );
  return { bus, path, venue, risk };
}

const approved = (id: string, qty: number, expiresAt: number): ApprovedOrder => ({ id, venue: VENUE, symbol: SYMBOL, side: 'buy', qty, strategy: 's1', expiresAt });

/**
 * `sextant demo` said '207 approved by risk' and '206 fills (…, 0 orders expired unfilled)': the
 * fills counted fill messages (several of one order where the volume cap spreads it), and what
 * became of the one order left over (still working when the window ended) was said nowhere. The
 * decision path now counts each order's outcome: filled in full, expired (part filled or none),
 * still working.
 */
describe('decision path: what became of each approved order', () => {
  it('with the paper venue: filled in full, expired part-filled, expired unfilled, and still working (part-filled or not) at the end', async () => {
    const orders = [approved('o:a', 1, T0 + 10 * HOUR), approved('o:b', 8, T0 + HOUR), approved('o:c', 1, T0 + HOUR), approved('o:d', 100, T0 + 10 * HOUR), approved('o:e', 1, T0 + 10 * HOUR)];
    const { bus, path, venue } = await pathWith(orders, true);
    if (venue === undefined) throw new Error('no venue');
    const order = (a: ApprovedOrder): Order => ({ type: 'exec.order', v: 1, id: a.id, ts: T0 - 1, strategy: 's1', venue: VENUE, symbol: SYMBOL, suggestionId: `s:${a.id}`, side: 'buy', qty: a.qty, orderType: 'market', limitPrice: null, expiresAt: a.expiresAt, reducing: false });
    // Approved before the window's bars (the venue works them as if the path had sent them).
    for (const a of orders) expect(venue.onOrder(order(a), T0 - 1)).toEqual({ fills: [], expired: [] });
    const bar = (i: number): Bar => ({ type: 'md.bar', v: 1, id: `b:${i}`, venue: VENUE, symbol: SYMBOL, tf: '1h', open: 100, high: 100, low: 100, close: 100, volume: 10, ts: T0 + i * HOUR });
    // Each bar lends 5 (half its volume): the first fills a (1) in full and b part (4 of 8); at
    // the second b and c expire, and d takes all 5 of its 100, e nothing.
    const events: AssetEvent[] = [0, 1].map((i) => ({ asset: `${VENUE}:${SYMBOL}`, streamSeq: i + 1, md: bar(i), vector: undefined }));
    await (await path.onRelease(events)).settled;

    const s = path.stats();
    expect(s.orders).toBe(0); // approved before this path (as after a restart): the outcomes still count
    expect(s.fills).toBe(3);
    expect(s).toMatchObject({ ordersFilled: 1, expired: 2, expiredPartlyFilled: 1, working: 2, workingPartlyFilled: 1 });
    expect(s.feesBySymbol[SYMBOL]).toBeCloseTo((1 + 4 + 5) * 100 * 0.001, 9);
    await bus.close();
  });

  it('without it (live trading consumers): the outcomes from their fills and expiries, working = what risk holds in flight unexpired', async () => {
    const far = T0 + 10 * HOUR;
    const { bus, path } = await pathWith([approved('o:a', 1, far), approved('o:b', 1, far), approved('o:c', 1, far), approved('o:d', 1, far), approved('o:e', 1, far)], false);
    const fill = (n: number, orderId: string, qty: number, final: boolean): Fill => ({
      type: 'exec.fill', v: 1, id: `x:${orderId}:${n}`, ts: T0 + n, orderId, strategy: 's1', venue: VENUE, symbol: SYMBOL, side: 'buy', qty, price: 100, fee: 0.01, liquidity: 'taker', slippageBps: 0, final,
    });
    const expiry = (orderId: string, filledQty: number): Expiry => ({ type: 'exec.expired', v: 1, id: expiryId(orderId), ts: T0 + 10, orderId, strategy: 's1', venue: VENUE, symbol: SYMBOL, filledQty, remainingQty: 1 - filledQty, reason: 'venue' });
    // a: two fills, the second final; b: part, then expired; c: expired unfilled; d: part, still working; e: untouched.
    for (const f of [fill(1, 'o:a', 0.4, false), fill(2, 'o:a', 0.6, true), fill(3, 'o:b', 0.5, false), fill(4, 'o:d', 0.25, false)]) expect(await path.onExternalFill(f)).toBeUndefined();
    for (const e of [expiry('o:b', 0.5), expiry('o:c', 0)]) expect(await path.onExternalExpiry(e)).toBeUndefined();

    expect(path.stats()).toMatchObject({ fills: 4, ordersFilled: 1, expired: 2, expiredPartlyFilled: 1, working: 2, workingPartlyFilled: 1, feesBySymbol: { [SYMBOL]: 0.04 } });
    await bus.close();
  });

  /**
   * Fills and expiries travel on different subjects, so a live venue's last fill may come after its
   * expiry (the expiry's `filledQty` says more than the fills booked: risk keeps the rest awaited).
   * Counted on `final`, such a fill made the order filled in full on top of expired part-filled,
   * and `sextant demo`'s orderOutcomes no longer added up to its orders.
   */
  it('without it: a fill after the expiry moves the order from expired part-filled to filled when it completes it, else leaves it expired; one outcome each', async () => {
    const far = T0 + 10 * HOUR;
    const { bus, path } = await pathWith([approved('o:a', 1, far), approved('o:b', 1, far), approved('o:c', 1, far)], false);
    const fill = (n: number, orderId: string, qty: number, final: boolean): Fill => ({
      type: 'exec.fill', v: 1, id: `x:${orderId}:${n}`, ts: T0 + n, orderId, strategy: 's1', venue: VENUE, symbol: SYMBOL, side: 'buy', qty, price: 100, fee: 0.01, liquidity: 'taker', slippageBps: 0, final,
    });
    const expiry = (orderId: string, filledQty: number): Expiry => ({ type: 'exec.expired', v: 1, id: expiryId(orderId), ts: T0 + 10, orderId, strategy: 's1', venue: VENUE, symbol: SYMBOL, filledQty, remainingQty: 1 - filledQty, reason: 'venue' });
    // a: 0.5 booked, the venue expires it saying all of it filled (its cancel raced the last fill), and that fill (0.5, final) comes after.
    // b: 0.25 booked, expired with 0.5 filled, the late 0.25 marked final (nothing left to fill: it expired after it).
    // c: 0.5 booked, expired with 0.75 filled, the late 0.25 not marked final.
    for (const f of [fill(1, 'o:a', 0.5, false), fill(2, 'o:b', 0.25, false), fill(3, 'o:c', 0.5, false)]) expect(await path.onExternalFill(f)).toBeUndefined();
    for (const e of [expiry('o:a', 1), expiry('o:b', 0.5), expiry('o:c', 0.75)]) expect(await path.onExternalExpiry(e)).toBeUndefined();
    expect(path.stats()).toMatchObject({ ordersFilled: 0, expired: 3, expiredPartlyFilled: 3, working: 0 });
    for (const f of [fill(11, 'o:a', 0.5, true), fill(12, 'o:b', 0.25, true), fill(13, 'o:c', 0.25, false)]) expect(await path.onExternalFill(f)).toBeUndefined();

    const s = path.stats();
    // Before: ordersFilled 2 (a and b, on `final`) and expired 3, five outcomes for three orders.
    expect(s).toMatchObject({ fills: 6, ordersFilled: 1, expired: 2, expiredPartlyFilled: 2, working: 0, workingPartlyFilled: 0 });
    expect(s.ordersFilled + s.expired + s.working).toBe(3);
    await bus.close();
  });

  /**
   * exec.fill's contract says `final` is "nothing left to fill (filled, or expired after this
   * fill)", but the risk book took a `final` fill as filling the order in full: a desk that marked
   * its last partial fill `final` and then published the exec.expired for the rest (as README's
   * desk example does on a cancel) had the expiry dead-lettered as "filled in full already", and
   * the order counted filled in full, not expired part-filled. A `final` fill that leaves some of
   * the order unfilled now releases the rest as an expiry would; its exec.expired, if it comes,
   * is acknowledged (counted in expiriesConfirming: the same news, not a late report, so not in
   * expiriesIgnored, whose count a desk sending both pushed up), and a fill after it is still refused.
   */
  it('without it: a final fill that leaves some unfilled expires the order part-filled; its exec.expired after is acknowledged, not refused', async () => {
    const far = T0 + 10 * HOUR;
    const { bus, path } = await pathWith([approved('o:a', 1, far), approved('o:b', 1, far), approved('o:c', 1, far)], false);
    const fill = (n: number, orderId: string, qty: number, final: boolean): Fill => ({
      type: 'exec.fill', v: 1, id: `x:${orderId}:${n}`, ts: T0 + n, orderId, strategy: 's1', venue: VENUE, symbol: SYMBOL, side: 'buy', qty, price: 100, fee: 0.01, liquidity: 'taker', slippageBps: 0, final,
    });
    const expiry = (orderId: string, filledQty: number): Expiry => ({ type: 'exec.expired', v: 1, id: expiryId(orderId), ts: T0 + 10, orderId, strategy: 's1', venue: VENUE, symbol: SYMBOL, filledQty, remainingQty: 1 - filledQty, reason: 'venue' });
    // a: 0.4 then 0.2 final (0.4 left unfilled), then its expiry; b: 0.3 final, no expiry; c: 0.5 then 0.5 final (filled in full).
    for (const f of [fill(1, 'o:a', 0.4, false), fill(2, 'o:a', 0.2, true), fill(3, 'o:b', 0.3, true), fill(4, 'o:c', 0.5, false), fill(5, 'o:c', 0.5, true)]) expect(await path.onExternalFill(f)).toBeUndefined();
    expect(path.stats()).toMatchObject({ ordersFilled: 1, expired: 2, expiredPartlyFilled: 2, working: 0 });
    // Before: refused, ORDER_MISMATCH 'order o:a was filled in full already'.
    expect(await path.onExternalExpiry(expiry('o:a', 0.6))).toBeUndefined();
    // Not a late report: counted apart from expiriesIgnored (which read it as one).
    expect(path.stats()).toMatchObject({ expiriesConfirming: 1, expiriesIgnored: 0 });
    // A second report of it is: ignored.
    expect(await path.onExternalExpiry(expiry('o:a', 0.6))).toBeUndefined();
    expect(path.stats()).toMatchObject({ expiriesConfirming: 1, expiriesIgnored: 1 });
    // Quantities still checked: b's final fill booked 0.3, not 0.5.
    expect((await path.onExternalExpiry(expiry('o:b', 0.5)))?.reason).toBe('ORDER_MISMATCH');
    // Nothing is left to fill after a final fill, expired or not.
    expect((await path.onExternalFill(fill(6, 'o:a', 0.4, false)))?.reason).toBe('ORDER_MISMATCH');
    // c filled in full: its expiry is a consumer's mistake, refused as before.
    expect((await path.onExternalExpiry(expiry('o:c', 0.5)))?.reason).toBe('ORDER_MISMATCH');

    const s = path.stats();
    expect(s).toMatchObject({ fills: 5, ordersFilled: 1, expired: 2, expiredPartlyFilled: 2, expiriesConfirming: 1, expiriesIgnored: 1, working: 0 });
    expect(s.ordersFilled + s.expired + s.working).toBe(3);
    await bus.close();
  });

  /**
   * A live engine (paper venue off) showed 85 orders against 0 filled + 0 expired + 3 working: the
   * risk book lets an order go at its `expiresAt` with no word to anyone, and `working` was read
   * off its in-flight set, so an order past its time-to-live with no fill or expiry reported was
   * counted nowhere, and the desk's late expiry of one went to `expiriesIgnored`. Two orders whose
   * `expiresAt` was the book's newest event time still showed as working, while an order works
   * while event time is before its `expiresAt`. Now such orders are `lapsed` until a report moves
   * them to their outcome.
   */
  it('without it: an order past its expiresAt with no report is lapsed (at expiresAt too), and a late fill or expiry moves it to its outcome; one outcome each', async () => {
    const bar = (i: number): Bar => ({ type: 'md.bar', v: 1, id: `b:${i}`, venue: VENUE, symbol: SYMBOL, tf: '1h', open: 100, high: 100, low: 100, close: 100, volume: 10, ts: T0 + i * HOUR });
    // The bar of hour 1 closes at T0 + 2 h: the book's newest event time. a is past its expiresAt,
    // b and c are at it, d still works, e too (for now).
    const orders = [approved('o:a', 1, T0 + HOUR), approved('o:b', 1, T0 + 2 * HOUR), approved('o:c', 1, T0 + 2 * HOUR), approved('o:d', 1, T0 + 3 * HOUR), approved('o:e', 1, T0 + 3 * HOUR)];
    const { bus, path, risk } = await pathWith(orders, false);
    const fill = (n: number, orderId: string, qty: number, final: boolean): Fill => ({
      type: 'exec.fill', v: 1, id: `x:${orderId}:${n}`, ts: T0 + 2 * HOUR + n, orderId, strategy: 's1', venue: VENUE, symbol: SYMBOL, side: 'buy', qty, price: 100, fee: 0.01, liquidity: 'taker', slippageBps: 0, final,
    });
    const expiry = (orderId: string, filledQty: number): Expiry => ({ type: 'exec.expired', v: 1, id: expiryId(orderId), ts: T0 + 2 * HOUR + 10, orderId, strategy: 's1', venue: VENUE, symbol: SYMBOL, filledQty, remainingQty: 1 - filledQty, reason: 'ttl' });
    const outcomes = (): number => {
      const s = path.stats();
      return s.ordersFilled + s.expired + s.working + s.lapsed;
    };
    expect(await path.onExternalFill(fill(0, 'o:d', 0.25, false))).toBeUndefined();
    await (await path.onRelease([{ asset: `${VENUE}:${SYMBOL}`, streamSeq: 1, md: bar(1), vector: undefined }])).settled;
    expect(risk.status().asOf).toBe(T0 + 2 * HOUR);
    // Before: working 5 (the book had not let a, b or c go yet: no suggestion since).
    expect(path.stats()).toMatchObject({ working: 2, workingPartlyFilled: 1, lapsed: 3 });

    // A suggestion's check lets the book retire a (its expiresAt and the grace after it passed): risk
    // no longer holds it in flight. b and c, at their expiresAt, are still counted: within the grace.
    const grace = risk.getLimits().unreportedExpiryGraceMs;
    risk.onSuggestion(suggestion({ strategy: 's1', venue: VENUE, symbol: SYMBOL, ts: T0 + 2 * HOUR }), T0 + 2 * HOUR);
    expect(risk.status().inFlight.map((o) => o.orderId)).toEqual(['o:b', 'o:c', 'o:d', 'o:e']);
    expect(path.stats()).toMatchObject({ working: 2, lapsed: 3, releasedAfterGrace: 1 });
    // Once the grace passed, b and c go too.
    risk.onSuggestion(suggestion({ strategy: 's1', venue: VENUE, symbol: SYMBOL, ts: T0 + 2 * HOUR + grace }), T0 + 2 * HOUR + grace);
    expect(risk.status().inFlight.map((o) => o.orderId)).toEqual(['o:d', 'o:e']);
    // Before: working 2, and a, b and c counted nowhere (no `lapsed`).
    expect(path.stats()).toMatchObject({ ordersFilled: 0, expired: 0, working: 2, lapsed: 3, releasedAfterGrace: 3 });
    expect(outcomes()).toBe(5);

    // The desk's late reports, within the book's retire window: a expired (before: expiriesIgnored),
    // b filled in full by its late final fill, c filled in full by fills not marked final.
    expect(await path.onExternalExpiry(expiry('o:a', 0))).toBeUndefined();
    expect(await path.onExternalFill(fill(1, 'o:b', 1, true))).toBeUndefined();
    expect(await path.onExternalFill(fill(2, 'o:c', 0.5, false))).toBeUndefined();
    expect(path.stats()).toMatchObject({ ordersFilled: 1, expired: 1, lapsed: 1, expiriesIgnored: 0 });
    expect(await path.onExternalFill(fill(3, 'o:c', 0.5, false))).toBeUndefined();
    // e filled in full while it works, by fills not marked final: filled, not working (before: counted nowhere once the book let it go).
    expect(await path.onExternalFill(fill(4, 'o:e', 1, false))).toBeUndefined();
    expect(path.stats()).toMatchObject({ ordersFilled: 3, expired: 1, expiredPartlyFilled: 0, working: 1, lapsed: 0, expiriesIgnored: 0 });
    expect(outcomes()).toBe(5);
    // A second report of a is late news: ignored, counted once.
    expect(await path.onExternalExpiry(expiry('o:a', 0))).toBeUndefined();
    expect(path.stats()).toMatchObject({ expired: 1, expiriesIgnored: 1 });
    // Every late fill was booked: b, c and e in full, d's part.
    expect(risk.status().positions.map((p) => p.qty)).toEqual([expect.closeTo(3.25, 12)]);
    await bus.close();
  });

  it('without it: a lapsed order the risk book forgot (a day past its retirement) stays lapsed; one of it later is refused', async () => {
    const bar = (i: number): Bar => ({ type: 'md.bar', v: 1, id: `b:${i}`, venue: VENUE, symbol: SYMBOL, tf: '1h', open: 100, high: 100, low: 100, close: 100, volume: 10, ts: T0 + i * HOUR });
    const { bus, path, risk } = await pathWith([approved('o:a', 1, T0 + HOUR), approved('o:z', 1, T0 + 40 * HOUR)], false);
    // Past a's expiresAt and the grace after it: the book lets it go.
    const grace = risk.getLimits().unreportedExpiryGraceMs;
    risk.onSuggestion(suggestion({ strategy: 's1', venue: VENUE, symbol: SYMBOL, ts: T0 + HOUR + grace }), T0 + HOUR + grace);
    await (await path.onRelease([{ asset: `${VENUE}:${SYMBOL}`, streamSeq: 1, md: bar(38), vector: undefined }])).settled;
    expect(path.stats()).toMatchObject({ working: 1, lapsed: 1 });
    // z retires at T0 + 40 h and its grace, more than the book's day after a retired: the book forgets a.
    await (await path.onRelease([{ asset: `${VENUE}:${SYMBOL}`, streamSeq: 2, md: bar(40), vector: undefined }])).settled;
    risk.onSuggestion(suggestion({ strategy: 's1', venue: VENUE, symbol: SYMBOL, ts: T0 + 40 * HOUR + grace }), T0 + 40 * HOUR + grace);
    expect(risk.order('o:a')).toBeUndefined();
    expect(path.stats()).toMatchObject({ working: 0, lapsed: 2 });
    // Its expiry now is refused (the book does not know it), and it stays lapsed.
    expect((await path.onExternalExpiry({ type: 'exec.expired', v: 1, id: expiryId('o:a'), ts: T0 + 40 * HOUR, orderId: 'o:a', strategy: 's1', venue: VENUE, symbol: SYMBOL, filledQty: 0, remainingQty: 1, reason: 'ttl' }))?.reason).toBe('UNKNOWN_ORDER');
    expect(path.stats()).toMatchObject({ expired: 0, working: 0, lapsed: 2, expiriesIgnored: 0 });
    await bus.close();
  });
});
