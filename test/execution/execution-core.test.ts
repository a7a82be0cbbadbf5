import { describe, expect, it } from 'vitest';
import { assetKey, createExecutionCore, parentOrderId } from '../../actors/execution-actor.js';
import { FLATTEN_SOURCE, flattenParentId, mergeSmallChildren, towardsFlat } from '../../models/execution/execution-core.js';
import type { TradingState } from '../../streams/messages/risk-state.js';
import type { ExecutionCoreOptions } from '../../actors/execution-actor.js';
import { almgrenChrissPolicy } from '../../models/execution/almgren-chriss-policy.js';
import { immediatePolicy } from '../../models/execution/immediate-policy.js';
import type { ExecutionPolicy } from '../../models/execution/execution-policy.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import { DUST_SHARE } from '../../models/quantity-dust.js';
import { SuggestionSchema } from '../../streams/messages/suggestion.js';
import type { Suggestion } from '../../streams/messages/suggestion.js';
import { bar, fillOf, prediction, quote, SYMBOL, VENUE } from './fixtures.js';

const opts = (over: Partial<ExecutionCoreOptions> = {}): ExecutionCoreOptions => ({ strategy: 's1', policy: twapPolicy({ slices: 4, limitOffsetBps: 2 }), minQty: 0.001, ...over });

describe('execution core', () => {
  it('turns an intent into a parent and its children over event time', () => {
    const core = createExecutionCore(opts());
    core.onMarket(quote(0, 99.9, 100.1));
    const p = prediction(0, 2);
    const first = core.onPrediction(p, 0);
    const parentId = parentOrderId(p.id);
    expect(first).toHaveLength(1);
    expect(first[0]).toEqual({
      type: 'exec.suggest',
      v: 1,
      id: `s:${parentId}:0`,
      ts: 0,
      strategy: 's1',
      venue: VENUE,
      symbol: SYMBOL,
      parentId,
      source: p.id,
      policy: 'twap',
      side: 'buy',
      qty: 0.5,
      orderType: 'limit',
      refPrice: 100,
      limitPrice: 100 * (1 - 2 / 1e4),
      limitOffsetBps: 2,
      ttlMs: 60_000,
      child: 0,
      children: 4,
      decidedAt: 0, // the quote it was decided with, known at 0
    });
    expect(SuggestionSchema.safeParse(first[0]).success).toBe(true);
    expect(core.onTime(59_999)).toEqual([]);
    core.onMarket(quote(59_999, 100.9, 101.1));
    const second = core.onTime(60_000);
    expect(second.map((s) => [s.child, s.ts, s.refPrice, s.qty])).toEqual([[1, 60_000, 101, 0.5]]);
    // Two intervals pass at once: both children fall due, in schedule order.
    expect(core.onTime(180_000).map((s) => s.child)).toEqual([2, 3]);
    expect(core.asset(VENUE, SYMBOL)).toMatchObject({ position: 0, parent: null });
  });

  it('schedules a parent decided on an hourly bar from its close, when the minutes of its hour came first (as live)', () => {
    const H = 3_600_000;
    const core = createExecutionCore(opts());
    const minute = (ts: number) => ({ ...bar(ts, 100, 101, 99, 100, 1_000), id: `m:${ts}` });
    // The hour 0 → 1h: its minute bars, then the hourly bar (stamped with its open time, 0).
    for (let t = 0; t < H; t += 60_000) {
      core.onMarket(minute(t));
      expect(core.onTime(t)).toEqual([]);
    }
    core.onMarket({ ...bar(0, 100, 101, 99, 100, 60_000), tf: '1h', id: 'h:0' });
    const first = core.onPrediction(prediction(0, 2, { horizonMs: H }), 0);
    expect(first.map((s) => [s.child, s.ts])).toEqual([[0, 0]]);
    // Four slices over the hour after the decision: at 1h, 1h15, 1h30, 1h45 — one at a time, not
    // three at once on the next minute (a plan from the bar's open had them all due at 1h).
    const dueAt: [number, number][] = [];
    for (let t = H; t < 2 * H; t += 60_000) {
      core.onMarket(minute(t)); // known from its close, t + 1 min
      for (const s of core.onTime(t)) dueAt.push([s.child, t]);
    }
    expect(dueAt).toEqual([
      [1, H + 14 * 60_000],
      [2, H + 29 * 60_000],
      [3, H + 44 * 60_000],
    ]);
  });

  it("lets a child fall due on its own asset's bar, not on another asset's bar of the same time seen before it", () => {
    // Before, a plan from the decision bar's open made child 1 due at 60 s on the OTHER asset's bar
    // of 60 s, sorted first: sent before its own asset's bar of 60 s reached the venue, it filled
    // at that bar's open — a price from a minute before the moment it could be sent.
    const core = createExecutionCore(opts());
    const other = (ts: number) => ({ ...bar(ts, 10, 11, 9, 10, 1_000), symbol: 'AAA/USDT', id: `a:${ts}` });
    core.onMarket(other(0));
    core.onMarket(bar(0, 100, 101, 99, 100, 1_000));
    expect(core.onPrediction(prediction(0, 2), 0).map((s) => s.child)).toEqual([0]);
    core.onMarket(other(60_000));
    expect(core.onTime(60_000)).toEqual([]);
    core.onMarket(bar(60_000, 100, 101, 99, 100, 1_000));
    expect(core.onTime(60_000).map((s) => [s.symbol, s.child])).toEqual([[SYMBOL, 1]]);
  });

  it('keeps position and working quantity from fills, and releases expired children', () => {
    const core = createExecutionCore(opts());
    const [c0] = core.onPrediction(prediction(0, 2), 0) as [Suggestion];
    expect(core.asset(VENUE, SYMBOL).working).toBe(0.5);
    core.onFill(fillOf(c0, 0.2, 100, false, 0));
    core.onFill(fillOf(c0, 0.2, 100, false, 0)); // redelivered: counted once
    expect(core.asset(VENUE, SYMBOL)).toMatchObject({ position: 0.2, working: expect.closeTo(0.3, 12) });
    core.onFill(fillOf(c0, 0.1, 100, true, 1));
    expect(core.asset(VENUE, SYMBOL)).toMatchObject({ position: expect.closeTo(0.3, 12), working: 0 });
    const [c1] = core.onTime(60_000) as [Suggestion];
    expect(core.asset(VENUE, SYMBOL).working).toBe(0.5);
    // Nothing filled c1 by the end of its TTL (60,000 + 60,000): it stops counting there.
    core.onTime(119_999);
    expect(core.asset(VENUE, SYMBOL).working).toBe(0.5); // c1 still alive at its last ms
    const [c2] = core.onTime(120_000) as [Suggestion];
    expect(c2.child).toBe(2);
    expect(core.asset(VENUE, SYMBOL).working).toBe(0.5); // c2 went out as c1 expired: the two never overlap
    expect(c1.child).toBe(1);
    expect(core.stats()).toMatchObject({ fills: 2, duplicateFills: 1 });
  });

  it('counts what a close leaves as floating-point dust as flat, as the risk book does: no dust order follows', () => {
    // minQty 0, as the engine wires it (cli/decisions.ts): before, a flat intent after this close
    // sent a child of 5.6e-17 (445 such orders in the 5.6 M-event backtest bench).
    const core = createExecutionCore(opts({ policy: twapPolicy({ slices: 1, orderType: 'market' }), minQty: 0, minQtyFraction: 0.05 }));
    core.onMarket(quote(0, 99.9, 100.1));
    const [c0] = core.onPrediction(prediction(0, 0.3), 0) as [Suggestion];
    core.onFill(fillOf(c0, 0.1, 100, false, 0));
    core.onFill(fillOf(c0, 0.2, 100, true, 1));
    // 0.1 + 0.2 − 0.3 is 5.55e-17 in doubles: the dust this is about.
    const [c1] = core.onPrediction(prediction(60_000, 0), 60_000) as [Suggestion];
    expect(c1).toMatchObject({ side: 'sell', qty: 0.1 + 0.2 });
    core.onFill(fillOf(c1, 0.3, 100, true));
    expect(core.asset(VENUE, SYMBOL).position).toBe(0);
    expect(core.onPrediction(prediction(120_000, 0), 120_000)).toEqual([]);
    expect(core.stats()).toMatchObject({ parents: 2 });
  });

  it('opens no parent worth less than the venue minimum, and merges children under it into the next', () => {
    let minNotional = 30;
    const core = createExecutionCore(opts({ policy: twapPolicy({ slices: 4, orderType: 'market' }), minNotional: () => minNotional }));
    core.onMarket(quote(0, 99.9, 100.1)); // mid 100
    expect(core.onPrediction(prediction(0, 0.25), 0)).toEqual([]); // 25 quote units: under the minimum
    expect(core.stats()).toMatchObject({ parents: 0 });
    // 1.0 in four slices of 0.25 (25 each): two merged children of 0.5, at the second and fourth slice's times.
    const first = core.onPrediction(prediction(0, 1), 0);
    expect(first).toEqual([]);
    const later = core.onTime(10 * 3_600_000);
    expect(later.map((c) => c.qty)).toEqual([0.5, 0.5]);
    expect(later.map((c) => c.children)).toEqual([2, 2]);
    // The limit is read at each new parent: lowered, a small gap trades again.
    minNotional = 0;
    core.onFill(fillOf(later[0] as Suggestion, 0.5, 100, true));
    core.onFill(fillOf(later[1] as Suggestion, 0.5, 100, true, 1));
    expect(core.onPrediction(prediction(11 * 3_600_000, 1.25), 11 * 3_600_000).map((c) => c.qty)).toEqual([0.0625]);
  });

  it('merges dust children of a steep Almgren–Chriss schedule into their neighbours even without a venue minimum', () => {
    // κ = sqrt(λσ²V/(ηX)) = 18/bar over 4 bars: the policy's slices are ~100, ~1.5e-6 and ~2.3e-14, the last
    // floating-point dust that, sent as an order, would only count against risk's order rate.
    const ac = almgrenChrissPolicy({ slices: 4, riskAversion: 32.4, temporaryImpact: 1e-4 });
    const context = { spreadBps: 3, volatility: 0.01, barMs: 60_000, volume: 1_000 } as const;
    const raw = ac.schedule({ id: 'e:raw', side: 'buy', qty: 100, arrivalPrice: 100, startTs: 0, horizonMs: 240_000 }, context);
    expect(raw.map((c) => c.qty).filter((q) => q <= DUST_SHARE * 100).length).toBeGreaterThan(0);
    const core = createExecutionCore(opts({ policy: ac, minNotional: () => 0 }));
    core.onMarket(bar(-60_000, 100, 100, 100, 100, context.volume)); // known at 0
    core.onFeatures({ type: 'feat.vector', v: 1, id: 'f:x', venue: VENUE, symbol: SYMBOL, ts: 0, source: 'b:x', values: { ewma_vol: context.volatility, spread_bps: 3 } });
    const sent = [...core.onPrediction(prediction(0, 100), 0), ...core.onTime(10 * 60_000)];
    expect(sent.map((c) => c.qty).every((q) => q > DUST_SHARE * 100)).toBe(true);
    expect(sent).toHaveLength(2);
    expect(sent.reduce((t, c) => t + c.qty, 0)).toBe(100);
    expect(sent.map((c) => c.children)).toEqual([2, 2]);
  });

  it('proposes nothing while trading is halted: no parent opens, an unfinished one is cancelled, and trading resumes with the next intent', () => {
    let trading: TradingState = 'ACTIVE';
    const asked: string[] = [];
    const core = createExecutionCore(
      opts({
        trading: (strategy, symbol) => {
          asked.push(`${strategy} ${symbol}`);
          return trading;
        },
      }),
    );
    core.onMarket(quote(0, 99.9, 100.1));
    const [c0] = core.onPrediction(prediction(0, 2), 0) as [Suggestion];
    expect(c0).toMatchObject({ child: 0, qty: 0.5 });
    expect(asked).toContain(`s1 ${SYMBOL}`);
    trading = 'HALTED';
    // Child 1 falls due under the halt: the parent is cancelled, nothing is sent, now or later.
    expect(core.onTime(60_000)).toEqual([]);
    expect(core.asset(VENUE, SYMBOL).parent).toBeNull();
    expect(core.onTime(240_000)).toEqual([]);
    // A new intent under the halt opens nothing.
    expect(core.onPrediction(prediction(240_000, 3), 240_000)).toEqual([]);
    expect(core.asset(VENUE, SYMBOL).parent).toBeNull();
    expect(core.stats()).toMatchObject({ parents: 1, suggestions: 1, held: 1, cancelled: 1 });
    // Resumed: the next intent opens a parent for the whole gap (c0's 0.5 expired unfilled).
    trading = 'ACTIVE';
    const resumed = core.onPrediction(prediction(300_000, 3), 300_000);
    expect(resumed.map((s) => [s.side, s.qty, s.child])).toEqual([['buy', 0.75, 0]]);
    expect(core.stats()).toMatchObject({ parents: 2 });
  });

  it('reducing only: an intent is clipped to the way back to flat, and a parent whose next child would add exposure is cancelled', () => {
    let trading: TradingState = 'ACTIVE';
    const core = createExecutionCore(opts({ policy: twapPolicy({ slices: 2, orderType: 'market' }), trading: () => trading }));
    core.onMarket(quote(0, 99.9, 100.1));
    const [c0] = core.onPrediction(prediction(0, 2), 0) as [Suggestion];
    core.onFill(fillOf(c0, 1, 100, true));
    expect(core.asset(VENUE, SYMBOL)).toMatchObject({ position: 1, parent: { sent: 1, children: 2 } });
    trading = 'REDUCING';
    // The second buy child would add to the long: the parent is cancelled.
    expect(core.onTime(120_000)).toEqual([]);
    expect(core.stats()).toMatchObject({ cancelled: 1 });
    // More long: nothing. Short 2: only back to flat (sell 1), in two children of 0.5.
    expect(core.onPrediction(prediction(180_000, 3), 180_000)).toEqual([]);
    const flat = core.onPrediction(prediction(240_000, -2), 240_000);
    expect(flat.map((s) => [s.side, s.qty])).toEqual([['sell', 0.5]]);
    expect(core.asset(VENUE, SYMBOL).parent).toMatchObject({ side: 'sell', qty: 1, target: 0 });
    core.onFill(fillOf(flat[0] as Suggestion, 0.5, 100, true));
    expect(core.onTime(360_000).map((s) => [s.side, s.qty])).toEqual([['sell', 0.5]]);
  });

  it('flattening: closes a position through the policy without a prediction, aims every intent at flat, and retries a refused close a bar later', () => {
    let trading: TradingState = 'ACTIVE';
    let flattening = false;
    const asked: string[] = [];
    const core = createExecutionCore(
      opts({
        policy: twapPolicy({ slices: 2, orderType: 'market' }),
        trading: () => trading,
        flattening: (strategy, symbol) => {
          asked.push(`${strategy} ${symbol}`);
          return flattening;
        },
      }),
    );
    core.onMarket(quote(0, 99.9, 100.1));
    const open = core.onPrediction(prediction(0, 1.5), 0);
    for (const c of open) core.onFill(fillOf(c, c.qty, 100, true));
    core.onTime(120_000).forEach((c) => core.onFill(fillOf(c, c.qty, 100, true)));
    expect(core.asset(VENUE, SYMBOL)).toMatchObject({ position: 1.5, working: 0, parent: null });
    expect(core.onTime(130_000)).toEqual([]); // not flattening: nothing
    trading = 'REDUCING';
    flattening = true;
    // The next event opens a parent to flat over the last prediction's horizon (240 s, two children).
    const first = core.onTime(140_000);
    expect(first.map((s) => [s.side, s.qty, s.child, s.children])).toEqual([['sell', 0.75, 0, 2]]);
    expect(asked).toContain(`s1 ${SYMBOL}`);
    const [f0] = first as [Suggestion];
    expect(SuggestionSchema.parse(f0)).toEqual(f0);
    expect(f0.source).toBe(FLATTEN_SOURCE);
    expect(f0.parentId).toBe(flattenParentId('s1', VENUE, SYMBOL, 140_000));
    // An intent to go longer aims at flat too: the parent to flat stands.
    expect(core.onPrediction(prediction(150_000, 3), 150_000)).toEqual([]);
    expect(core.asset(VENUE, SYMBOL).parent).toMatchObject({ target: 0, side: 'sell', sent: 1 });
    core.onFill(fillOf(f0, 0.75, 99, true));
    const [f1] = core.onTime(260_000) as [Suggestion];
    expect([f1.side, f1.qty, f1.child]).toEqual(['sell', 0.75, 1]);
    core.onFill(fillOf(f1, 0.75, 99, true));
    expect(core.asset(VENUE, SYMBOL)).toMatchObject({ position: 0, working: 0, parent: null });
    expect(core.onTime(400_000)).toEqual([]);
    expect(core.stats()).toMatchObject({ flattens: 1 });

    // A close that risk refuses is tried again a bar (60 s) later, not on every event.
    const again = createExecutionCore(opts({ policy: twapPolicy({ slices: 1, orderType: 'market' }), trading: () => 'REDUCING', flattening: () => true, positions: { [assetKey(VENUE, SYMBOL)]: -2 } }));
    again.onMarket(quote(0, 99.9, 100.1));
    const [r0] = again.onTime(1_000) as [Suggestion];
    expect([r0.side, r0.qty]).toEqual(['buy', 2]);
    again.onReject({ type: 'exec.reject', v: 1, id: `r:${r0.id}`, ts: 1_001, strategy: 's1', venue: VENUE, symbol: SYMBOL, suggestionId: r0.id, reasons: ['STALE_MARKET_DATA'], detail: 'stale' });
    expect(again.onTime(2_000)).toEqual([]);
    expect(again.onTime(60_999)).toEqual([]);
    expect(again.onTime(61_000).map((s) => [s.side, s.qty])).toEqual([['buy', 2]]);
    expect(again.stats()).toMatchObject({ flattens: 2, parents: 2 });
    // flattenEveryMs spaces them instead of the bar.
    const quick = createExecutionCore(opts({ policy: twapPolicy({ slices: 1, orderType: 'market' }), flattenEveryMs: 10_000, trading: () => 'REDUCING', flattening: () => true, positions: { [assetKey(VENUE, SYMBOL)]: -2 } }));
    quick.onMarket(quote(0, 99.9, 100.1));
    const [q0] = quick.onTime(1_000) as [Suggestion];
    quick.onReject({ type: 'exec.reject', v: 1, id: `r:${q0.id}`, ts: 1_001, strategy: 's1', venue: VENUE, symbol: SYMBOL, suggestionId: q0.id, reasons: ['STALE_MARKET_DATA'], detail: 'stale' });
    expect(quick.onTime(10_999)).toEqual([]);
    expect(quick.onTime(11_000).map((x) => [x.side, x.qty])).toEqual([['buy', 2]]);

    // What is worth less than the venue's least order is not sent (risk counts it as flat).
    const dust = createExecutionCore(opts({ trading: () => 'REDUCING', flattening: () => true, minNotional: () => 5, positions: { [assetKey(VENUE, SYMBOL)]: 0.04 } }));
    dust.onMarket(quote(0, 99.9, 100.1));
    expect(dust.onTime(1_000)).toEqual([]);
    expect(dust.stats()).toMatchObject({ flattens: 0, parents: 0 });
  });

  it('flattening works its parent through flattenPolicy: one marketable child now, while predictions keep the configured policy', () => {
    let flattening = false;
    const core = createExecutionCore(
      opts({
        policy: twapPolicy({ slices: 4, limitOffsetBps: 2 }),
        flattenPolicy: immediatePolicy({ crossBps: 5, ttlMs: 3_600_000 }),
        trading: () => (flattening ? 'REDUCING' : 'ACTIVE'),
        flattening: () => flattening,
      }),
    );
    core.onMarket(quote(0, 99.9, 100.1));
    const open = core.onPrediction(prediction(0, 2), 0);
    expect(open.map((s) => [s.policy, s.side, s.qty, s.children])).toEqual([['twap', 'buy', 0.5, 4]]);
    for (const c of open) core.onFill(fillOf(c, c.qty, 100, true));
    flattening = true;
    // The TWAP's three unsent children give way at the next event; the close is one child for the
    // whole position, through the far touch (half the quote's 20 bps spread + 5).
    const [close, ...more] = core.onTime(20_000);
    expect(more).toEqual([]);
    expect(close).toMatchObject({ policy: 'immediate', source: FLATTEN_SOURCE, side: 'sell', qty: 0.5, child: 0, children: 1, ttlMs: 3_600_000 });
    expect(close?.limitOffsetBps).toBeCloseTo(-15, 9);
    expect(close?.limitPrice).toBeLessThan(99.9);
    expect(core.stats()).toMatchObject({ replaced: 1, flattens: 1 });
    // A prediction aims at flat, which the working close already covers.
    expect(core.onPrediction(prediction(30_000, 2), 30_000)).toEqual([]);
    // A partial fill leaves a rest, which gets a close of its own once nothing is working.
    core.onFill(fillOf(close as Suggestion, 0.3, 99.8, false));
    expect(core.onTime(3_619_999)).toEqual([]);
    const [rest] = core.onTime(3_620_000);
    expect(rest).toMatchObject({ policy: 'immediate', source: FLATTEN_SOURCE, side: 'sell', children: 1 });
    expect(rest?.qty).toBeCloseTo(0.2, 12);
    expect(core.stats()).toMatchObject({ flattens: 2 });

    // A prediction while flattening, nothing under way: its parent to flat is worked by the flatten policy too.
    const held = createExecutionCore(opts({ flattenPolicy: immediatePolicy({ orderType: 'market' }), trading: () => 'REDUCING', flattening: () => true, positions: { [assetKey(VENUE, SYMBOL)]: 1 } }));
    held.onMarket(quote(0, 99.9, 100.1));
    const byPrediction = held.onPrediction(prediction(0, 2), 0);
    expect(byPrediction.map((x) => [x.policy, x.side, x.qty, x.orderType, x.source])).toEqual([['immediate-market', 'sell', 1, 'market', prediction(0, 2).id]]);
    expect(held.stats()).toMatchObject({ flattens: 0, parents: 1 });
  });

  it("a child decided on a bar lives its TTL from the bar's close, where the venue and risk's book count it from", () => {
    const core = createExecutionCore(opts({ policy: immediatePolicy({ ttlMs: 30_000 }) }));
    core.onMarket(bar(0, 100, 101, 99, 100, 50)); // a 1m bar opened at 0: known at 60 s
    const [child] = core.onPrediction(prediction(0, 1), 0);
    expect(child).toMatchObject({ ts: 0, ttlMs: 30_000 });
    // At 0 + TTL it has not even reached the venue: still working, so an unchanged intent sends nothing more.
    expect(core.onTime(45_000)).toEqual([]);
    expect(core.asset(VENUE, SYMBOL).working).toBe(1);
    expect(core.onPrediction(prediction(45_000, 1), 45_000)).toEqual([]);
    expect(core.onTime(89_999)).toEqual([]);
    expect(core.asset(VENUE, SYMBOL).working).toBe(1);
    // Expired at the bar's close + TTL (60 s + 30 s): the next intent orders the whole gap again.
    core.onTime(90_000);
    expect(core.asset(VENUE, SYMBOL).working).toBe(0);
    expect(core.onPrediction(prediction(90_000, 1), 90_000).map((c) => c.qty)).toEqual([1]);
    // A quote or trade is known when it happens: a child decided on it lives TTL from then.
    const onQuotes = createExecutionCore(opts({ policy: immediatePolicy({ ttlMs: 30_000 }) }));
    onQuotes.onMarket(quote(0, 99.9, 100.1));
    onQuotes.onPrediction(prediction(0, 1), 0);
    onQuotes.onTime(29_999);
    expect(onQuotes.asset(VENUE, SYMBOL).working).toBe(1);
    onQuotes.onTime(30_000);
    expect(onQuotes.asset(VENUE, SYMBOL).working).toBe(0);
  });

  it('towardsFlat keeps a target between flat and the position', () => {
    expect(towardsFlat(3, 1)).toBe(1);
    expect(towardsFlat(0.5, 1)).toBe(0.5);
    expect(towardsFlat(-2, 1)).toBe(0);
    expect(towardsFlat(-3, -1)).toBe(-1);
    expect(towardsFlat(2, -1)).toBe(0);
    expect(towardsFlat(-0.5, -1)).toBe(-0.5);
    expect(towardsFlat(1, 0)).toBe(0);
    expect(towardsFlat(-1, 0)).toBe(0);
  });

  it('mergeSmallChildren keeps the total and the order, carrying each small child into the next (the last into the one before)', () => {
    const c = (atTs: number, qty: number) => ({ atTs, qty, orderType: 'market' as const, limitOffsetBps: 0, ttlMs: 1_000 });
    expect(mergeSmallChildren([c(0, 1), c(1, 1)], 0.5)).toEqual([c(0, 1), c(1, 1)]);
    // 0.2 × 5: 0.6 at the third slice, then 0.4 left at the end, merged into it: one child.
    const five = mergeSmallChildren([c(0, 0.2), c(1, 0.2), c(2, 0.2), c(3, 0.2), c(4, 0.2)], 0.5);
    expect(five.map((x) => x.atTs)).toEqual([2]);
    expect(five[0]?.qty).toBeCloseTo(1, 12);
    expect(mergeSmallChildren([c(0, 0.1), c(1, 0.1)], 0.5)).toEqual([c(1, 0.2)]);
    const merged = mergeSmallChildren([c(0, 0.3), c(1, 0.3), c(2, 0.3), c(3, 0.3)], 0.5);
    expect(merged.map((x) => x.atTs)).toEqual([1, 3]);
    expect(merged.map((x) => x.qty)).toEqual([0.6, 0.6]);
  });

  it('replaces an unfinished parent on a new intent: its remaining schedule is cancelled', () => {
    const core = createExecutionCore(opts());
    const p0 = prediction(0, 2);
    const [c0] = core.onPrediction(p0, 0) as [Suggestion];
    core.onFill(fillOf(c0, 0.5, 100, true));
    core.onTime(60_000); // child 1 (0.5) working
    expect(core.onPrediction(prediction(60_000, 2.0005), 60_000)).toEqual([]); // same intent within minQty: keep going
    const p1 = prediction(90_000, -1);
    const out = core.onPrediction(p1, 90_000);
    // −1 − (0.5 held + 0.5 working) = −2: a sell parent of 2 replaces the buy.
    expect(out.map((s) => [s.parentId, s.side, s.qty, s.child])).toEqual([[parentOrderId(p1.id), 'sell', 0.5, 0]]);
    expect(core.asset(VENUE, SYMBOL).parent).toMatchObject({ id: parentOrderId(p1.id), side: 'sell', qty: 2, target: -1, sent: 1, children: 4 });
    // The old parent's child 2 (due at 120,000) never comes; the new one's child 1 comes at 150,000.
    expect(core.onTime(149_999)).toEqual([]);
    expect(core.onTime(150_000).map((s) => [s.parentId, s.child])).toEqual([[parentOrderId(p1.id), 1]]);
    expect(core.stats()).toMatchObject({ parents: 2, replaced: 1, suggestions: 4 });
  });

  it('never chooses a direction: the side is the sign of target − position, and no intent means no order', () => {
    const key = assetKey(VENUE, SYMBOL);
    const long = createExecutionCore(opts({ positions: { [key]: 3 } }));
    expect(long.onPrediction(prediction(0, 1), 0).map((s) => [s.side, s.qty])).toEqual([['sell', 0.5]]);
    const short = createExecutionCore(opts({ positions: { [key]: -3 } }));
    expect(short.onPrediction(prediction(0, -1), 0).map((s) => [s.side, s.qty])).toEqual([['buy', 0.5]]);
    const flat = createExecutionCore(opts({ positions: { [key]: 1 } }));
    expect(flat.onPrediction(prediction(0, null), 0)).toEqual([]);
    expect(flat.onPrediction(prediction(0, 1.0005), 0)).toEqual([]); // within minQty
    expect(flat.onPrediction(prediction(0, 5, { strategy: 'other' }), 0)).toEqual([]);
    expect(flat.stats()).toMatchObject({ parents: 0, ignored: 1 });
  });

  it('prices limits from the reference: below for buys, above for sells, through it when negative', () => {
    const policy: ExecutionPolicy = { name: 'cross', schedule: (p) => [{ atTs: p.startTs, qty: p.qty, orderType: 'limit', limitOffsetBps: -10, ttlMs: 1_000 }] };
    const buy = createExecutionCore(opts({ policy }));
    buy.onMarket(bar(0, 100, 100, 100, 200, 5)); // no quote: the last close is the reference
    expect(buy.onPrediction(prediction(0, 1), 0)[0]).toMatchObject({ refPrice: 200, limitPrice: 200 * 1.001, limitOffsetBps: -10 });
    const sell = createExecutionCore(opts({ policy: twapPolicy({ slices: 1, limitOffsetBps: 10 }) }));
    expect(sell.onPrediction(prediction(0, -1), 0)[0]).toMatchObject({ side: 'sell', refPrice: 100, limitPrice: 100 * 1.001 }); // no market data: the prediction's price
  });

  it('prices from the newest market data: once quotes stop, later trades and bars are the reference, not the last mid', () => {
    const policy: ExecutionPolicy = { name: 'cross', schedule: (p) => [{ atTs: p.startTs, qty: p.qty, orderType: 'limit', limitOffsetBps: -10, ttlMs: 600_000 }] };
    const core = createExecutionCore(opts({ policy }));
    core.onMarket(quote(0, 99.9, 100.1)); // the quotes stop here (a backtest's ticks cover a few seconds)
    core.onMarket(bar(60_000, 120, 121, 119, 120, 5)); // known at its close, 120,000
    const [buy] = core.onPrediction(prediction(120_000, 1), 120_000);
    expect(buy).toMatchObject({ refPrice: 120, limitPrice: 120 * 1.001 });
    core.onMarket({ type: 'md.trade', v: 1, id: 't:1', venue: VENUE, symbol: SYMBOL, price: 130, qty: 1, side: 'buy', ts: 130_000 });
    const [sell] = core.onPrediction(prediction(130_000, 0), 130_000);
    expect(sell).toMatchObject({ side: 'sell', refPrice: 130 });
    // A quote newer than the trade is the reference again.
    core.onMarket(quote(131_000, 139.9, 140.1));
    expect(core.onPrediction(prediction(131_000, 5), 131_000)[0]).toMatchObject({ refPrice: 140 });
  });

  it('feeds ewma_vol and the bar volume to the policy: Almgren–Chriss front-loads once both are known', () => {
    const ac = almgrenChrissPolicy({ slices: 4, riskAversion: 1, temporaryImpact: 1e-3 });
    const calm = createExecutionCore(opts({ policy: ac }));
    calm.onMarket(bar(-60_000, 100, 100, 100, 100, 1_000));
    expect(calm.onPrediction(prediction(0, 100), 0)[0]?.qty).toBe(25);
    const vol = createExecutionCore(opts({ policy: ac }));
    // A 5m bar's volume counts per 1m bar (barMs): 5,000 over five minutes is 1,000 a bar.
    vol.onMarket({ ...bar(-300_000, 100, 100, 100, 100, 5_000), tf: '5m' });
    vol.onFeatures({ type: 'feat.vector', v: 1, id: 'f:x', venue: VENUE, symbol: SYMBOL, ts: 0, source: 'b:x', values: { ewma_vol: 0.01, spread_bps: 3 } });
    expect(vol.onPrediction(prediction(0, 100), 0)[0]?.qty).toBeCloseTo(100 - (100 * Math.sinh(3)) / Math.sinh(4), 9);
  });

  it('is deterministic: the same inputs give identical suggestions', () => {
    const run = (): Suggestion[] => {
      const core = createExecutionCore(opts({ policy: almgrenChrissPolicy({ slices: 5, riskAversion: 0.5, temporaryImpact: 1e-4 }) }));
      const out: Suggestion[] = [];
      for (let i = 0; i < 50; i++) {
        const ts = i * 30_000;
        out.push(...core.onTime(ts));
        core.onMarket(quote(ts, 100 + Math.sin(i), 100.2 + Math.sin(i)));
        if (i % 7 === 0) out.push(...core.onPrediction(prediction(ts, (i % 3) - 1), ts));
        const last = out.at(-1);
        if (last !== undefined && i % 2 === 0) core.onFill(fillOf(last, last.qty, 100, true));
      }
      return out;
    };
    const a = run();
    expect(a.length).toBeGreaterThan(10);
    expect(run()).toEqual(a);
    expect(new Set(a.map((s) => s.id)).size).toBe(a.length);
  });
});
