import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { paperVenueOptions } from '../../cli/paper-venue-options.js';
import { expiryMessage } from '../../models/execution/expiry-message.js';
import { createPaperVenue, PaperVenueSnapshotSchema } from '../../models/execution/paper-venue-core.js';
import type { PaperVenue, PaperVenueOptions } from '../../models/execution/paper-venue-core.js';
import type { Bar, Timeframe } from '../../streams/messages/bar.js';
import { barId } from '../../streams/messages/bar.js';
import { ExpirySchema } from '../../streams/messages/expiry.js';
import type { Fill } from '../../streams/messages/fill.js';
import { order, SYMBOL } from './fixtures.js';

/**
 * A 1m strategy's venue on a live 1m + 1h feed whose 1m feed lapses (12:30) and comes back: the
 * venue falls back to the hours and returns to the minutes (b35a6df). What it prices with across
 * the switches, and what is a hole while it reads hours.
 */
const M = 60_000;
const H = 60 * M;
const T0 = 12 * H;

/** Impact and a bar spread model in play, so cold estimates price differently from warm ones. */
const COSTS: PaperVenueOptions = { venue: 'paper', takerFeeBps: 10, makerFeeBps: 2, spreadBps: 10, slippage: { impactCoeff: 0.8 }, maxVolumeShare: 0.1, spreadModel: { kind: 'corwin-schultz', window: 3 } };
/** A 1m strategy's gap rule, as `paperVenueOptions` builds it. */
const GAP_1M: PaperVenueOptions = { ...COSTS, maxGapMs: 1.5 * M, maxGapBars: 1.5 };

const bar = (tf: Timeframe, ts: number, o: number, h: number, l: number, c: number, volume: number): Bar => ({ type: 'md.bar', v: 1, id: barId('paper', SYMBOL, tf, ts), venue: 'paper', symbol: SYMBOL, tf, open: o, high: h, low: l, close: c, volume, ts });
/** Minute `i` from T0: a drifting wiggle, so σ and the spread estimate have something to learn. */
const minute = (i: number): Bar => {
  const o = 100 + 0.3 * Math.sin(i) + 0.01 * i;
  const c = 100 + 0.3 * Math.sin(i + 1) + 0.01 * (i + 1);
  return bar('1m', T0 + i * M, o, Math.max(o, c) + 0.05 + 0.02 * (i & 3), Math.min(o, c) - 0.04, c, 10);
};
/** The hour from T0 + k·H: the span of its 60 minutes. */
const hour = (k: number): Bar => {
  const ms = Array.from({ length: 60 }, (_, j) => minute(k * 60 + j));
  return bar('1h', T0 + k * H, (ms[0] as Bar).open, Math.max(...ms.map((b) => b.high)), Math.min(...ms.map((b) => b.low)), (ms[59] as Bar).close, ms.reduce((a, b) => a + b.volume, 0));
};
const minutes = (from: number, n: number): Bar[] => Array.from({ length: n }, (_, i) => minute(from + i));

/** The live feed from 09:00: each hour after its last minute; the minutes stop at 12:30 (the 12:00 hour still comes). */
const untilLapse = (): Bar[] => [...[-3, -2, -1].flatMap((k) => [...minutes(k * 60, 60), hour(k)]), ...minutes(0, 30), hour(0)];
const feed = (v: PaperVenue, bars: readonly Bar[]): Fill[] => bars.flatMap((b) => v.onMarket(b).fills);
const estimatesOf = (v: PaperVenue, tf: Timeframe) => v.snapshot().books[0]?.estimates.find((e) => e.tf === tf);

describe('paper venue: estimates kept per timeframe across a fallback', () => {
  it('fills on the first fallback hour priced with the hours learned beside the minutes, as a venue that read only hours', () => {
    const v = createPaperVenue(COSTS);
    feed(v, untilLapse());
    v.onOrder(order('o:h', T0, { qty: 20, expiresAt: T0 + 3 * H }), T0 + H); // decided on the 12:00 hour
    const [f] = v.onMarket(hour(1)).fills; // 13:00: the venue fills on hours now
    const hoursOnly = createPaperVenue(COSTS);
    feed(hoursOnly, [-3, -2, -1, 0].map(hour));
    hoursOnly.onOrder(order('o:h', T0, { qty: 20, expiresAt: T0 + 3 * H }), T0 + H);
    const [g] = hoursOnly.onMarket(hour(1)).fills;
    expect(g?.slippageBps).not.toBe(0);
    expect(f?.price).toBe(g?.price); // was the fixed spread and no impact: σ and the spread estimate started over at the switch
    expect(f?.qty).toBe(g?.qty);
  });

  it('returns to the minutes with their own estimates as they were when the minutes stopped', () => {
    const v = createPaperVenue(COSTS);
    const all = untilLapse();
    feed(v, all.slice(0, -1)); // up to 12:29
    const atLapse = estimatesOf(v, '1m');
    expect(atLapse?.vol.variance).toBeGreaterThan(0);
    v.onMarket(all.at(-1) as Bar);
    feed(v, [1, 2].map(hour)); // on hours from 13:00 to 15:00
    expect(v.snapshot().books[0]?.tf).toBe('1h');
    const pre = v.snapshot();
    v.onOrder(order('o:m', T0 + 3 * H, { qty: 0.5, expiresAt: T0 + 4 * H }), T0 + 3 * H);
    const [f] = v.onMarket(minute(180)).fills; // 15:00: the minutes are back
    // The same order on the same minute, priced with the minutes' estimates of 12:30 (a venue restarted with them alone).
    const ref = createPaperVenue(COSTS, PaperVenueSnapshotSchema.parse(JSON.parse(JSON.stringify({ ...pre, books: [{ ...pre.books[0], tf: '1m', estimates: [atLapse] }] }))));
    ref.onOrder(order('o:m', T0 + 3 * H, { qty: 0.5, expiresAt: T0 + 4 * H }), T0 + 3 * H);
    const [g] = ref.onMarket(minute(180)).fills;
    expect(g?.slippageBps).not.toBe(0);
    expect(f?.price).toBe(g?.price); // was cold again
    // The return across the hole (12:29 to 15:00) is not learned as one minute's: σ and the spread ring go on as they were.
    const resumed = estimatesOf(v, '1m');
    expect([resumed?.vol, resumed?.spread?.ring, resumed?.end, resumed?.prevClose]).toEqual([atLapse?.vol, atLapse?.spread?.ring, T0 + 181 * M, minute(180).close]);
  });

  it('minutes backfilled under an hour filled on teach the minutes (in order, not paired across the hole), and fill nothing', () => {
    const v = createPaperVenue(COSTS);
    feed(v, untilLapse());
    feed(v, [1, 2].map(hour));
    const before = estimatesOf(v, '1m');
    expect(feed(v, minutes(170, 10))).toEqual([]); // 14:50–14:59, under the 14:00 hour
    const after = estimatesOf(v, '1m');
    expect(after?.end).toBe(T0 + 180 * M);
    expect(after?.prevClose).toBe(minute(179).close);
    expect(after?.vol.variance).not.toBe(before?.vol.variance); // 9 returns learned, from 14:50's on (not 12:29 → 14:50)
    expect(feed(v, [minute(175)])).toEqual([]); // one again, late: teaches nothing
    expect(estimatesOf(v, '1m')).toEqual(after);
  });

  it('snapshots every timeframe\'s estimates (v3), and a restart goes on with them', () => {
    const v = createPaperVenue(COSTS);
    feed(v, untilLapse());
    const snap = PaperVenueSnapshotSchema.parse(JSON.parse(JSON.stringify(v.snapshot())));
    expect(snap.v).toBe(3);
    const restarted = createPaperVenue(COSTS, snap);
    expect(restarted.snapshot()).toEqual(v.snapshot());
    const later = [1, 2].map(hour).concat(minutes(180, 5));
    v.onOrder(order('o:r', T0, { qty: 20, expiresAt: T0 + 4 * H }), T0 + H);
    restarted.onOrder(order('o:r', T0, { qty: 20, expiresAt: T0 + 4 * H }), T0 + H);
    expect(feed(restarted, later)).toEqual(feed(v, later));
  });

  it('loads a v2 snapshot: its estimates are those of the timeframe it filled on (learned up to tfEnd, or the newest known time where tfEnd was not stored)', () => {
    const v = createPaperVenue(COSTS);
    feed(v, minutes(0, 30));
    const v3 = v.snapshot();
    const b = v3.books[0];
    const e = b?.estimates[0];
    if (b === undefined || e === undefined) throw new Error('no book');
    const v2 = { v: 2, working: v3.working, symbols: v3.symbols, books: [{ symbol: b.symbol, tf: b.tf, tfEnd: b.tfEnd, mid: b.mid, volume: e.volume, vol: e.vol, prevClose: e.prevClose, spread: e.spread, quotedHalf: b.quotedHalf, quotedTs: b.quotedTs }] };
    expect(createPaperVenue(COSTS, PaperVenueSnapshotSchema.parse(JSON.parse(JSON.stringify(v2)))).snapshot()).toEqual(v3);
    const { tfEnd: _, ...noTfEnd } = v2.books[0] as Record<string, unknown>;
    const older = createPaperVenue(COSTS, PaperVenueSnapshotSchema.parse(JSON.parse(JSON.stringify({ ...v2, books: [noTfEnd] })))).snapshot();
    expect(older.books[0]?.tfEnd).toBe(v3.symbols[0]?.[1]);
    expect(older.books[0]?.estimates[0]?.end).toBe(v3.symbols[0]?.[1]);
  });
});

describe('paper venue: the gap rule on the timeframe read', () => {
  it('paperVenueOptions gives the gap rule in bars of the timeframe read too', () => {
    const o = paperVenueOptions(loadConfig({ env: {} }), M);
    expect([o.maxGapMs, o.maxGapBars]).toEqual([1.5 * M, 1.5]);
  });

  it("a 1m strategy's order goes on working on the fallback hours (an hour after an hour is no hole), and is cancelled at a hole in them, stamped when the hours resumed", () => {
    const v = createPaperVenue(GAP_1M);
    feed(v, untilLapse());
    v.onOrder(order('o:w', T0, { qty: 200, expiresAt: T0 + 8 * H }), T0 + H); // 10 % of an hour's 600 a bar: works three hours
    const hours = [1, 2, 3].map((k) => v.onMarket(hour(k)));
    expect(hours.flatMap((o) => o.expired)).toEqual([]); // was cancelled at 14:00 as a 'gap' of an hour, over 1.5 minutes
    expect(hours.flatMap((o) => o.fills).map((f) => [f.ts, f.qty])).toEqual([
      [T0 + H, 60],
      [T0 + 2 * H, 60],
      [T0 + 3 * H, 60],
    ]);
    // 16:00 and 17:00 missing: the hours resume at 18:00, three hours after 15:00's, a hole.
    const out = v.onMarket(hour(6));
    expect(out.fills).toEqual([]);
    expect(out.expired).toEqual([{ type: 'exec.expired', orderId: 'o:w', ts: T0 + 6 * H, strategy: 's1', venue: 'paper', symbol: SYMBOL, filledQty: 180, remainingQty: 20, reason: 'gap' }]);
    expect(ExpirySchema.parse(expiryMessage(out.expired[0] as never))).toMatchObject({ id: 'e:o:w', reason: 'gap', ts: T0 + 6 * H });
  });

  it('a hole where the minutes stop and nothing covers it (no hour spanning it) is one on the minutes, read before the switch', () => {
    const v = createPaperVenue(GAP_1M);
    feed(v, untilLapse().slice(0, -1)); // the minutes stop at 12:30, the 12:00 hour never comes
    v.onOrder(order('o:x', T0 + 29 * M, { qty: 5, expiresAt: T0 + 3 * H }), T0 + 29 * M);
    expect(v.onMarket(hour(1)).expired.map((e) => [e.orderId, e.reason, e.ts])).toEqual([['o:x', 'gap', T0 + H]]);
  });

  it('after the minutes come back, the rule is on minutes again', () => {
    const v = createPaperVenue(GAP_1M);
    feed(v, [...untilLapse(), hour(1), hour(2), ...minutes(180, 3)]);
    v.onOrder(order('o:y', T0 + 182 * M, { qty: 5, expiresAt: T0 + 5 * H }), T0 + 182 * M);
    expect(v.onMarket(minute(186)).expired.map((e) => [e.orderId, e.reason, e.ts])).toEqual([['o:y', 'gap', T0 + 186 * M]]);
  });
});
