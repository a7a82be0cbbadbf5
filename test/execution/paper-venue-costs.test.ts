import { describe, expect, it } from 'vitest';
import { createPaperVenue } from '../../models/execution/paper-venue-core.js';
import type { PaperVenueOptions } from '../../models/execution/paper-venue-core.js';
import { MIN_SELL_PRICE_SHARE } from '../../models/execution/taker-price.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { Trade } from '../../streams/messages/trade.js';
import { bar, order, SYMBOL } from './fixtures.js';

/** No impact, so the taker price is the open ± half the spread and nothing else. */
const BASE: PaperVenueOptions = { venue: 'paper', takerFeeBps: 10, makerFeeBps: 2, spreadBps: 10, slippage: { impactCoeff: 0 }, maxVolumeShare: 1 };

const B0 = bar(0, 100, 101, 100, 100.5, 1_000, 'paper');
const B1 = bar(60_000, 100.5, 101, 100, 100.5, 1_000, 'paper');
const B2 = bar(120_000, 101, 102, 100.5, 101.5, 1_000, 'paper');
const B3 = bar(180_000, 101.4, 101.6, 100.9, 101, 1_000, 'paper');

const trade = (ts: number, price: number): Trade => ({ type: 'md.trade', v: 1, id: `t:paper:${SYMBOL}:${ts}`, venue: 'paper', symbol: SYMBOL, price, qty: 100, side: 'unknown', ts });

describe('paper venue costs: spread from bars', () => {
  it('Corwin–Schultz spread from the two completed bars before the fill: buy at open · (1 + S/2)', () => {
    const v = createPaperVenue({ ...BASE, spreadModel: { kind: 'corwin-schultz', window: 1 } });
    v.onMarket(B0);
    v.onMarket(B1); // B0 and B1 both span 100–101: S = 2 · 1 / 201
    v.onOrder(order('o:b', 60_000), 60_000);
    v.onOrder(order('o:s', 60_000, { side: 'sell' }), 60_000);
    const fills = v.onMarket(B2).fills;
    const buy = fills.find((f) => f.side === 'buy');
    const sell = fills.find((f) => f.side === 'sell');
    expect(buy?.price).toBeCloseTo(101 * (1 + 1 / 201), 10); // 101.50248756
    expect(buy?.price).toBeCloseTo(101.5024876, 6);
    expect(sell?.price).toBeCloseTo(101 * (1 - 1 / 201), 10); // 100.49751244
    expect(buy?.fee).toBeCloseTo((10 * 101.5024876 * 10) / 1e4, 5);
  });

  it('uses spreadBps until the estimate has warmed up', () => {
    const v = createPaperVenue({ ...BASE, spreadModel: { kind: 'corwin-schultz', window: 1 } });
    v.onMarket(B0); // one bar: no pair yet
    v.onOrder(order('o:b', 0), 0);
    expect(v.onMarket(B1).fills[0]?.price).toBeCloseTo(100.5 * 1.0005, 10); // half of 10 bps
  });

  it('range-fraction spread: 0.1 · (H − L)/C of the previous bar', () => {
    const v = createPaperVenue({ ...BASE, spreadModel: { kind: 'range-fraction', fraction: 0.1, window: 1 } });
    v.onMarket(B0);
    v.onMarket(B1); // S = 0.1 · 1 / 100.5 = 0.000995025
    v.onOrder(order('o:b', 60_000), 60_000);
    expect(v.onMarket(B2).fills[0]?.price).toBeCloseTo(101 * (1 + 0.05 / 100.5), 10); // 101.05024876
  });

  it('the default (no spreadModel) keeps the fixed spread', () => {
    const v = createPaperVenue(BASE);
    v.onMarket(B0);
    v.onMarket(B1);
    v.onOrder(order('o:b', 60_000), 60_000);
    expect(v.onMarket(B2).fills[0]?.price).toBeCloseTo(101 * 1.0005, 10);
  });
});

describe('paper venue costs: impact', () => {
  it('a taker sell whose impact passes 100 % fills at MIN_SELL_PRICE_SHARE of the touch, a positive price, not at or below zero', () => {
    const v = createPaperVenue({ ...BASE, slippage: { impactCoeff: 1e7 } });
    for (const b of [B0, B1, B2]) v.onMarket(b); // closes 100.5 → 101.5: a volatility to scale impact by
    v.onOrder(order('o:s', 120_000, { side: 'sell' }), 120_000);
    v.onOrder(order('o:b', 120_000), 120_000);
    const fills = v.onMarket(B3).fills;
    expect(fills.find((f) => f.side === 'sell')?.price).toBeCloseTo(101.4 * (1 - 0.0005) * MIN_SELL_PRICE_SHARE, 12);
    expect(fills.find((f) => f.side === 'buy')?.price).toBeGreaterThan(101.4 * 100); // a buy's has no ceiling
  });
});

describe('paper venue costs: order latency in event time', () => {
  it('fills only at the first event at or after arrival + latencyMs (trades)', () => {
    const v = createPaperVenue({ ...BASE, latencyMs: 250 });
    v.onMarket(trade(900, 100));
    v.onOrder(order('o:b', 1_000), 1_000);
    expect(v.onMarket(trade(1_100, 100.2)).fills).toEqual([]);
    expect(v.onMarket(trade(1_249, 100.3)).fills).toEqual([]);
    const [f] = v.onMarket(trade(1_250, 100.4)).fills; // exactly at 1,000 + 250
    expect(f?.ts).toBe(1_250);
    expect(f?.price).toBeCloseTo(100.4 * 1.0005, 10);
    expect(f?.slippageBps).toBeCloseTo(((100.4 * 1.0005 - 100) / 100) * 1e4, 8); // against the mid at arrival
  });

  it('with bars, an order decided on a bar arrives at its close: half a bar of latency fills on the next bar, from its second half', () => {
    // A cap of 1 % of a bar's 1,000: 10 a bar, 5 for half of one.
    const v = createPaperVenue({ ...BASE, maxVolumeShare: 0.01, latencyMs: 30_000 });
    v.onMarket(B0);
    v.onMarket(B1);
    // Stamped with B1's open time (60,000), decided at its close (120,000): eligible from 150,000,
    // halfway through B2 (120,000–180,000), which lends the second half of its volume.
    v.onOrder(order('o:b', 60_000), 60_000);
    const [f] = v.onMarket(B2).fills;
    expect(f?.ts).toBe(150_000);
    expect(f?.qty).toBeCloseTo(5, 12);
    expect(f?.final).toBe(false);
    // Priced halfway from B2's open (101) to its close (101.5), + half of 10 bps.
    expect(f?.price).toBeCloseTo(101.25 * 1.0005, 10);
    // The rest at B3's open, as before.
    const [g] = v.onMarket(B3).fills;
    expect([g?.ts, g?.qty, g?.final]).toEqual([180_000, 5, true]);
    expect(g?.price).toBeCloseTo(101.4 * 1.0005, 10);
  });

  it('1 ms of latency on bars alone costs 1 ms of the next bar: nearly all its volume, at nearly its open (it used to fill nothing there)', () => {
    const v = createPaperVenue({ ...BASE, maxVolumeShare: 0.01, latencyMs: 1 });
    v.onMarket(B0);
    v.onMarket(B1);
    // A TWAP child of one bar: it works until B2's close, 180,000.
    v.onOrder(order('o:b', 60_000, { expiresAt: 180_000 }), 60_000);
    const [f] = v.onMarket(B2).fills;
    expect(f?.ts).toBe(120_001);
    expect(f?.qty).toBeCloseTo((10 * 59_999) / 60_000, 12);
    expect(f?.price).toBeCloseTo((101 + 0.5 / 60_000) * 1.0005, 10);
    expect(v.onMarket(B3)).toEqual({ fills: [], expired: [expect.objectContaining({ orderId: 'o:b', remainingQty: expect.closeTo(10 / 60_000, 12) })] });
  });

  it('half an hour of latency on 1h bars: half the next hour\'s volume, at the middle of its open → close', () => {
    const HOUR = 3_600_000;
    const hour = (k: number, o: number, c: number): Bar => ({ ...bar(k * HOUR, o, Math.max(o, c) + 1, Math.min(o, c) - 1, c, 2_000, 'paper'), id: `b:${k}`, tf: '1h' });
    const v = createPaperVenue({ ...BASE, maxVolumeShare: 0.1, latencyMs: HOUR / 2 });
    v.onMarket(hour(0, 100, 100));
    // Decided on hour 0, at its close (1 h): eligible from 1.5 h; a sell of 500 against a cap of 200 an hour.
    v.onOrder(order('o:s', 0, { side: 'sell', qty: 500, expiresAt: 3 * HOUR }), 0);
    const [f] = v.onMarket(hour(1, 100, 98)).fills;
    expect([f?.ts, f?.qty]).toEqual([1.5 * HOUR, 100]);
    expect(f?.price).toBeCloseTo(99 * (1 - 0.0005), 10);
    const [g] = v.onMarket(hour(2, 98, 97)).fills; // the whole hour
    expect([g?.ts, g?.qty]).toEqual([2 * HOUR, 200]);
    expect(g?.price).toBeCloseTo(98 * (1 - 0.0005), 10);
  });

  it('a resting limit on the part of a bar after the latency: the straight line from there to the close and that share of the wicks, not the whole range', () => {
    // B2: open 101, close 101.5, high 102, low 100.5. Half a bar of latency: from 101.25 to 101.5,
    // wicks of 0.5 each halved: 101.0 to 101.75.
    const restingOn = (latencyMs: number, side: 'buy' | 'sell', limitPrice: number): (number | string)[][] => {
      const v = createPaperVenue({ ...BASE, latencyMs });
      v.onMarket(B0);
      v.onMarket(B1);
      v.onOrder(order('o:l', 60_000, { side, orderType: 'limit', limitPrice }), 60_000);
      return v.onMarket(B2).fills.map((f) => [f.ts, f.price, f.liquidity]);
    };
    expect(restingOn(30_000, 'buy', 101.1)).toEqual([[150_000, 101.1, 'maker']]);
    expect(restingOn(30_000, 'buy', 100.8)).toEqual([]); // B2's low (100.5) came before the order did
    expect(restingOn(0, 'buy', 100.8)).toEqual([[120_000, 100.8, 'maker']]);
    expect(restingOn(30_000, 'sell', 101.7)).toEqual([[150_000, 101.7, 'maker']]);
    expect(restingOn(30_000, 'sell', 101.9)).toEqual([]);
    expect(restingOn(0, 'sell', 101.9)).toEqual([[120_000, 101.9, 'maker']]);
  });

  it('a bar that opened before the order existed still lends nothing, whatever the latency', () => {
    const v = createPaperVenue({ ...BASE, latencyMs: 10_000 });
    v.onMarket(B0); // known until 60,000
    v.onMarket(trade(70_000, 100.2));
    v.onOrder(order('o:b', 70_000), 70_000); // decided on a tick: eligible from 80,000
    expect(v.onMarket(B1).fills).toEqual([]); // opened at 60,000, before the order
    expect(v.onMarket(B2).fills.map((f) => [f.ts, f.qty])).toEqual([[120_000, 10]]);
  });

  it('an order whose TTL ends before its latency does, inside the next bar, does not fill on that bar', () => {
    const v = createPaperVenue({ ...BASE, latencyMs: 40_000 });
    v.onMarket(B0);
    // Exists from 60,000, lives until 90,000, eligible from 100,000: inside B1, after its expiry.
    v.onOrder(order('o:b', 0, { expiresAt: 90_000 }), 0);
    expect(v.onMarket(B1)).toEqual({ fills: [], expired: [] });
    expect(v.onMarket(B2).expired.map((e) => [e.orderId, e.remainingQty])).toEqual([['o:b', 10]]);
  });

  it("latency 0 fills at the next bar's open, a latency of one bar at the open of the bar after", () => {
    const fillsWith = (latencyMs: number): number[][] => {
      const v = createPaperVenue({ ...BASE, latencyMs });
      v.onMarket(B0);
      v.onMarket(B1);
      v.onOrder(order('o:b', 60_000), 60_000);
      return [...v.onMarket(B2).fills, ...v.onMarket(B3).fills].map((f) => [f.ts, f.price]);
    };
    expect(fillsWith(0)).toEqual([[120_000, 101 * 1.0005]]); // all 10 at once, as before
    expect(fillsWith(60_000)).toEqual([[180_000, 101.4 * 1.0005]]);
  });

  it('an order decided on a tick arrives at the tick: the latency counts from there', () => {
    const v = createPaperVenue({ ...BASE, latencyMs: 60_000 });
    v.onMarket(B0); // known until 60,000
    v.onMarket(trade(70_000, 100.2));
    v.onOrder(order('o:b', 70_000), 70_000); // eligible from 130,000
    expect(v.onMarket(trade(129_999, 100.3)).fills).toEqual([]);
    expect(v.onMarket(trade(130_000, 100.4)).fills.map((f) => f.ts)).toEqual([130_000]);
  });

  it('an order whose TTL ends before it becomes eligible expires unfilled', () => {
    const v = createPaperVenue({ ...BASE, latencyMs: 60_000 });
    v.onMarket(B0);
    // Decided on B0: exists from 60,000 (B0's close), 30 s to live → 90,000 (the risk actor's
    // expiresAt); eligible from 120,000.
    v.onOrder(order('o:b', 0, { expiresAt: 90_000 }), 0);
    expect(v.onMarket(B1)).toEqual({ fills: [], expired: [] });
    const out = v.onMarket(B2);
    expect(out.fills).toEqual([]);
    expect(out.expired.map((e) => [e.orderId, e.remainingQty, e.ts])).toEqual([['o:b', 10, 90_000]]);
    // Without latency the same order fills at B1's open: its 30 s start at B0's close, not its open.
    const w = createPaperVenue(BASE);
    w.onMarket(B0);
    w.onOrder(order('o:b', 0, { expiresAt: 90_000 }), 0);
    expect(w.onMarket(B1).fills.map((f) => f.ts)).toEqual([60_000]);
  });

  it('refuses a negative latency', () => {
    expect(() => createPaperVenue({ ...BASE, latencyMs: -1 })).toThrow(/latencyMs/);
  });
});
