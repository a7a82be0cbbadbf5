import { describe, expect, it } from 'vitest';
import { createPaperVenue } from '../../models/execution/paper-venue-core.js';
import type { PaperVenue, PaperVenueOptions } from '../../models/execution/paper-venue-core.js';
import type { Bar, Timeframe } from '../../streams/messages/bar.js';
import { barId } from '../../streams/messages/bar.js';
import type { Fill } from '../../streams/messages/fill.js';
import type { Trade } from '../../streams/messages/trade.js';
import { order, SYMBOL } from './fixtures.js';

/**
 * A live feed carries bars of more than one timeframe for the same market (1m and 1h by default):
 * the hour's bar, published after its minutes, repeats them. The venue fills and estimates on one
 * timeframe per symbol, the finest it has seen.
 */
const M = 60_000;
const H = 60 * M;
const T0 = 12 * H;

const BASE: PaperVenueOptions = { venue: 'paper', takerFeeBps: 10, makerFeeBps: 2, spreadBps: 10, slippage: { impactCoeff: 0 }, maxVolumeShare: 0.1 };

const bar = (tf: Timeframe, ts: number, o: number, h: number, l: number, c: number, volume: number): Bar => ({ type: 'md.bar', v: 1, id: barId('paper', SYMBOL, tf, ts), venue: 'paper', symbol: SYMBOL, tf, open: o, high: h, low: l, close: c, volume, ts });
const trade = (ts: number, price: number, qty: number): Trade => ({ type: 'md.trade', v: 1, id: `t:paper:${SYMBOL}:${ts}`, venue: 'paper', symbol: SYMBOL, price, qty, side: 'unknown', ts });

/** Minute `i` from T0 (i may be negative): a wiggle of ranges and closes, 10 of volume. */
const minute = (i: number): Bar => {
  const o = 100 + 0.3 * Math.sin(i);
  const c = 100 + 0.3 * Math.sin(i + 1);
  return bar('1m', T0 + i * M, o, Math.max(o, c) + 0.05 + 0.02 * (i & 3), Math.min(o, c) - 0.04, c, 10);
};
/** The hour from T0 + k·H, as the exchange reports it: the span of its 60 minutes. */
const hour = (k: number): Bar => {
  const ms = Array.from({ length: 60 }, (_, j) => minute(k * 60 + j));
  return bar('1h', T0 + k * H, (ms[0] as Bar).open, Math.max(...ms.map((b) => b.high)), Math.min(...ms.map((b) => b.low)), (ms[59] as Bar).close, ms.reduce((a, b) => a + b.volume, 0));
};

const feed = (v: PaperVenue, bars: readonly Bar[]): Fill[] => bars.flatMap((b) => v.onMarket(b).fills);

describe('paper venue: market data of several timeframes', () => {
  it("an order decided on the hour fills on that hour's minute bars once: the hourly bar after them lends no second share of the volume", () => {
    const v = createPaperVenue(BASE);
    feed(v, [minute(-2), minute(-1), hour(-1)]); // 11:58, 11:59 and the 11:00 hour, all known at 12:00
    v.onOrder(order('o:b', T0 - H, { qty: 100, expiresAt: T0 + 3 * H }), T0 - H); // decided on the 11:00 hour: arrives at 12:00
    const minutes = feed(v, Array.from({ length: 60 }, (_, i) => minute(i)));
    expect(minutes).toHaveLength(60);
    expect(minutes.reduce((a, f) => a + f.qty, 0)).toBeCloseTo(60, 9); // 10 % of each minute's 10
    expect(v.onMarket(hour(0)).fills).toEqual([]); // was a second fill of 40 (10 % of the hour's 600)
    expect(v.working()).toEqual([{ orderId: 'o:b', remaining: 40, filled: 60, liquidity: 'taker' }]);
  });

  it('the spread estimate, σ and volume come from the minute bars alone: interleaved hourly bars change no price', () => {
    const opts: PaperVenueOptions = { ...BASE, slippage: { impactCoeff: 0.8 }, spreadModel: { kind: 'corwin-schultz', window: 3 }, maxVolumeShare: 1 };
    const run = (withHours: boolean): Fill[] => {
      const v = createPaperVenue(opts);
      for (let i = -120; i < 0; i++) {
        feed(v, [minute(i)]);
        if (withHours && i % 60 === -1) feed(v, [hour(Math.floor(i / 60))]); // after its last minute, as a live feed sends it
      }
      v.onOrder(order('o:bar', T0 - H, { qty: 5, expiresAt: T0 + H }), T0 - H); // decided on the 11:00 hour
      const onBar = feed(v, [minute(0)]);
      v.onOrder(order('o:trade', T0 + M + 5_000, { qty: 5, side: 'sell' }), T0 + M + 5_000);
      return [...onBar, ...v.onMarket(trade(T0 + M + 10_000, 100.1, 50)).fills];
    };
    const plain = run(false);
    expect(plain.map((f) => f.orderId)).toEqual(['o:bar', 'o:trade']);
    expect(plain.every((f) => f.slippageBps !== 0)).toBe(true);
    expect(run(true)).toEqual(plain);
  });

  it("an hourly bar does not make a hole in the minute bars: with a 1m strategy's gap rule the working order still fills", () => {
    const v = createPaperVenue({ ...BASE, maxGapMs: 1.5 * M });
    feed(v, [minute(-2), minute(-1)]);
    v.onOrder(order('o:b', T0 - M, { qty: 2 }), T0 - M); // two minutes' share
    const out = [minute(0), hour(-1), minute(1)].map((b) => v.onMarket(b)); // the 11:00 hour arrives late, after 12:00's minute
    expect(out.flatMap((o) => o.expired)).toEqual([]); // was cancelled at a 'gap' of an hour (12:01 after 11:00)
    expect(out.flatMap((o) => o.fills).map((f) => [f.ts, f.qty])).toEqual([
      [T0, 1],
      [T0 + M, 1],
    ]);
  });

  it("after hourly bars alone, minute bars take over from their first one (no gap counted from the last hour's open); the hours after them fill nothing", () => {
    const v = createPaperVenue({ ...BASE, maxGapMs: 1.5 * M }); // the gap counts from the last hour's close, not its open
    feed(v, [hour(-2), hour(-1)]);
    v.onOrder(order('o:b', T0 - H, { qty: 100, expiresAt: T0 + 3 * H }), T0 - H);
    // The 12:00 hour would have been the next bar filled on: its minutes come first, and then it.
    const minutes = Array.from({ length: 61 }, (_, i) => minute(i));
    const fills = feed(v, [...minutes.slice(0, 60), hour(0), minutes[60] as Bar]);
    expect(fills.map((f) => [f.ts, f.qty])).toEqual(minutes.map((b) => [b.ts, 1])); // 10 % of each minute, none of the hour
  });

  it('minute bars that stop while hourly bars go on: from the first hour wholly after the last minute the venue fills on hours; the hour the minutes stopped in lends nothing', () => {
    const v = createPaperVenue({ ...BASE, maxGapMs: 1.5 * H }); // a 1h strategy's gap rule
    feed(v, [minute(-2), minute(-1), hour(-1)]);
    v.onOrder(order('o:a', T0 - H, { qty: 1000, expiresAt: T0 + 2 * H }), T0 - H); // arrives at 12:00
    const minutes = feed(v, Array.from({ length: 30 }, (_, i) => minute(i))); // the 1m feed stops at 12:30
    expect(minutes.map((f) => f.qty)).toEqual(Array.from({ length: 30 }, () => 1));
    // The 12:00 hour spans the minutes already lent from: none of it again (was ignored, and so was every hour after it).
    expect(v.onMarket(hour(0))).toEqual({ fills: [], expired: [] });
    v.onOrder(order('o:b', T0, { qty: 50, expiresAt: T0 + 4 * H }), T0 + H); // decided on the 12:00 hour, after the stop
    const h1 = v.onMarket(hour(1)); // 13:00, wholly after the last minute: the venue fills on hours now
    expect(h1.fills.map((f) => [f.orderId, f.ts, f.qty])).toEqual([['o:a', T0 + H, 60]]); // 10 % of the hour's 600, in arrival order
    // o:a expires at 14:00 with 90 filled: 30 on the minutes, 60 on the 13:00 hour, none on the 12:00 hour.
    expect(v.onOrder(order('o:d', T0 + H, { qty: 100, expiresAt: T0 + 5 * H }), T0 + 2 * H).expired.map((e) => [e.orderId, e.filledQty])).toEqual([['o:a', 90]]);
    const h2 = v.onMarket(hour(2));
    expect(h2.fills.map((f) => [f.orderId, f.ts, f.qty, f.final])).toEqual([
      ['o:b', T0 + 2 * H, 50, true],
      ['o:d', T0 + 2 * H, 10, false],
    ]);

    // The 1m feed comes back at 15:00 and backfills the minutes of 14:30–14:59 first: the 14:00 hour
    // lent those already, so they fill nothing; from 15:00 on the venue fills on minutes again.
    const back = feed(v, Array.from({ length: 30 }, (_, i) => minute(150 + i)));
    expect(back).toEqual([]);
    v.onOrder(order('o:e', T0 + 3 * H, { qty: 5, side: 'sell', expiresAt: T0 + 5 * H }), T0 + 3 * H); // decided on the 14:00 hour
    const resumed = feed(v, [...Array.from({ length: 60 }, (_, i) => minute(180 + i)), hour(3)]); // the 15:00 hour after its minutes
    expect(resumed.filter((f) => f.orderId === 'o:d').map((f) => [f.ts, f.qty])).toEqual(Array.from({ length: 60 }, (_, i) => [T0 + (180 + i) * M, 1]));
    expect(resumed.filter((f) => f.orderId === 'o:e').map((f) => [f.ts, f.qty])).toEqual(Array.from({ length: 5 }, (_, i) => [T0 + (180 + i) * M, 1]));
    expect(v.working()).toEqual([{ orderId: 'o:d', remaining: 30, filled: 70, liquidity: 'taker' }]); // nothing from the 15:00 hour
  });

  it('minute bars of an hour the venue filled on already (they come after it) fill nothing: minutes take over from the first one after that hour', () => {
    const v = createPaperVenue(BASE);
    feed(v, [hour(-2)]);
    v.onOrder(order('o:b', T0 - H, { qty: 100, expiresAt: T0 + H }), T0 - H); // arrives at 11:00
    expect(feed(v, [hour(-1)]).map((f) => [f.ts, f.qty])).toEqual([[T0 - H, 60]]); // hours alone so far: it fills on the 11:00 hour
    expect(feed(v, [minute(-3), minute(-2), minute(-1)])).toEqual([]); // its last minutes, late: were lent a second time (1 each)
    expect(feed(v, [minute(0), minute(1)]).map((f) => [f.ts, f.qty])).toEqual([
      [T0, 1],
      [T0 + M, 1],
    ]);
  });
});
