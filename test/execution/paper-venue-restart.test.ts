import { describe, expect, it } from 'vitest';
import { createPaperVenue, PaperVenueSnapshotSchema } from '../../models/execution/paper-venue-core.js';
import type { PaperVenue, PaperVenueOptions, VenueOutput } from '../../models/execution/paper-venue-core.js';
import type { Bar, Timeframe } from '../../streams/messages/bar.js';
import { barId } from '../../streams/messages/bar.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import type { Order } from '../../streams/messages/order.js';
import type { Trade } from '../../streams/messages/trade.js';
import { bar, order, quote, SYMBOL } from './fixtures.js';

const M = 60_000;
/** Every estimate the venue prices with is in play: σ and volume (impact), the Corwin–Schultz spread, a quote's spread, latency. */
const OPTS: PaperVenueOptions = {
  venue: 'paper',
  takerFeeBps: 7,
  makerFeeBps: 1,
  spreadBps: 10,
  slippage: { impactCoeff: 0.8 },
  maxVolumeShare: 0.2,
  spreadModel: { kind: 'corwin-schultz', window: 4 },
  latencyMs: 20_000,
  quoteMaxAgeMs: 90_000,
};

type Step = Readonly<{ md: MarketData } | { order: Order; now: number }>;

/** A fixed path (a seeded LCG): 1m bars, a quote now and then, a trade, and orders of each kind along it. */
function steps(): Step[] {
  let seed = 7;
  const rnd = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const out: Step[] = [];
  let close = 100;
  for (let i = 0; i < 40; i++) {
    const ts = i * M;
    const open = close * (1 + (rnd() - 0.5) * 0.004);
    close = open * (1 + (rnd() - 0.5) * 0.01);
    const high = Math.max(open, close) * (1 + rnd() * 0.003);
    const low = Math.min(open, close) * (1 - rnd() * 0.003);
    out.push({ md: bar(ts, open, high, low, close, 200 + Math.floor(rnd() * 800), 'paper') });
    if (i % 7 === 3) out.push({ md: quote(ts + 30_000, close * 0.9997, close * 1.0004, 25, 'paper') });
    if (i % 11 === 5) out.push({ md: { type: 'md.trade', v: 1, id: `t:${ts}`, venue: 'paper', symbol: SYMBOL, price: close, qty: 40, side: 'unknown', ts: ts + 40_000 } satisfies Trade });
    if (i >= 2 && i % 3 === 0) {
      const side = i % 2 === 0 ? 'buy' : 'sell';
      out.push({ order: order(`o:m${i}`, ts + 50_000, { side, qty: 30 + i }), now: ts + 50_000 });
    }
    if (i >= 2 && i % 5 === 1) {
      const limitPrice = close * (i % 2 === 0 ? 0.998 : 1.002);
      out.push({ order: order(`o:l${i}`, ts + 50_000, { side: i % 2 === 0 ? 'buy' : 'sell', qty: 60, orderType: 'limit', limitPrice, expiresAt: ts + 10 * M }), now: ts + 50_000 });
    }
  }
  return out;
}

/**
 * A live feed's 1m and 15m bars of one market (each quarter after its last minute) whose 1m feed
 * stops at minute 37 and comes back at minute 80 with a backfill of minutes 70–79: the venue fills
 * on minutes, then on the quarters from 0:45 (the first wholly after the last minute), then on
 * minutes again from 1:15 (the first after the last quarter filled on). Orders all along.
 */
function stoppedSteps(): Step[] {
  let seed = 11;
  const rnd = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const mk = (tf: Timeframe, ts: number, o: number, h: number, l: number, c: number, volume: number): Bar => ({ type: 'md.bar', v: 1, id: barId('paper', SYMBOL, tf, ts), venue: 'paper', symbol: SYMBOL, tf, open: o, high: h, low: l, close: c, volume, ts });
  const minutes: Bar[] = [];
  let close = 100;
  for (let i = 0; i < 105; i++) {
    const open = close * (1 + (rnd() - 0.5) * 0.004);
    close = open * (1 + (rnd() - 0.5) * 0.01);
    minutes.push(mk('1m', i * M, open, Math.max(open, close) * (1 + rnd() * 0.003), Math.min(open, close) * (1 - rnd() * 0.003), close, 200 + Math.floor(rnd() * 800)));
  }
  const quarter = (q: number): Bar => {
    const ms = minutes.slice(q * 15, q * 15 + 15);
    return mk('15m', q * 15 * M, (ms[0] as Bar).open, Math.max(...ms.map((b) => b.high)), Math.min(...ms.map((b) => b.low)), (ms[14] as Bar).close, ms.reduce((a, b) => a + b.volume, 0));
  };
  const sent = (i: number): boolean => i < 37 || i >= 70;
  const out: Step[] = [];
  for (let i = 0; i < 105; i++) {
    const ts = i * M;
    if (i === 80) for (let j = 70; j < 80; j++) out.push({ md: minutes[j] as Bar }); // the backfill, when the feed comes back
    if (sent(i) && (i < 70 || i >= 80)) out.push({ md: minutes[i] as Bar });
    if (i % 15 === 14) out.push({ md: quarter(Math.floor(i / 15)) });
    if (i % 9 === 4) out.push({ md: quote(ts + 30_000, close * 0.9997, close * 1.0004, 25, 'paper') });
    if (i % 5 === 2) {
      const side = i % 2 === 0 ? 'buy' : 'sell';
      out.push({ order: order(`o:m${i}`, ts + 50_000, { side, qty: 150 + 10 * i, expiresAt: ts + 40 * M }), now: ts + 50_000 });
    }
  }
  return out;
}

const run = (v: PaperVenue, s: Step): VenueOutput => ('md' in s ? v.onMarket(s.md) : v.onOrder(s.order, s.now));
/** A restart: the snapshot goes through JSON (the risk store's row) and the schema, as the engine loads it. */
const restarted = (v: PaperVenue, opts: PaperVenueOptions = OPTS): PaperVenue => createPaperVenue(opts, PaperVenueSnapshotSchema.parse(JSON.parse(JSON.stringify(v.snapshot()))));

describe('the paper venue restarted from its snapshot', () => {
  it('fills the same as a venue that ran through, wherever the restart falls (σ, volume, spreads and timeframe go on)', () => {
    const all = steps();
    const through = createPaperVenue(OPTS);
    const expected = all.map((s) => run(through, s));
    expect(expected.flatMap((o) => o.fills).length).toBeGreaterThan(20);
    expect(expected.some((o) => o.fills.some((f) => f.liquidity === 'taker' && Math.abs(f.slippageBps) > 0))).toBe(true);
    for (let cut = 1; cut < all.length; cut++) {
      const before = createPaperVenue(OPTS);
      for (const s of all.slice(0, cut)) run(before, s);
      const after = restarted(before);
      expect(all.slice(cut).map((s) => run(after, s)), `restart after step ${cut}`).toEqual(expected.slice(cut));
    }
  });

  it('fills the same as a venue that ran through where the finer timeframe stops and comes back, wherever the restart falls (the close of the last bar filled on goes on)', () => {
    const opts: PaperVenueOptions = { ...OPTS, maxGapMs: 1.5 * 15 * M };
    const all = stoppedSteps();
    const through = createPaperVenue(opts);
    const expected = all.map((s) => run(through, s));
    // Fills on bars, by the bar's open (those on quotes are stamped 30 s into a minute).
    const barsFilledOn = (from: number, to: number): number[] => [...new Set(expected.flatMap((o) => o.fills).filter((f) => f.ts >= from && f.ts < to && f.ts % M === 0).map((f) => f.ts / M))];
    expect(barsFilledOn(35 * M, 80 * M)).toEqual([35, 36, 45, 60, 75, 76, 77, 78, 79]); // none on the 0:30 quarter, nor on minutes 70–74 (backfilled)
    expect(expected.flatMap((o) => o.expired).filter((e) => e.reason === 'gap')).toEqual([]);
    for (let cut = 1; cut < all.length; cut++) {
      const before = createPaperVenue(opts);
      for (const s of all.slice(0, cut)) run(before, s);
      const after = restarted(before, opts);
      expect(all.slice(cut).map((s) => run(after, s)), `restart after step ${cut}`).toEqual(expected.slice(cut));
    }
  });

  it('goes on from a snapshot stored before the estimates were (no v): its orders work, its estimates start over', () => {
    const all = steps();
    const cut = all.findIndex((s) => 'order' in s && s.order.id === 'o:m9') + 1;
    const before = createPaperVenue(OPTS);
    for (const s of all.slice(0, cut)) run(before, s);
    const { v, books, ...old } = JSON.parse(JSON.stringify(before.snapshot())) as Record<string, unknown>;
    expect([v, Array.isArray(books)]).toEqual([3, true]);
    const after = createPaperVenue(OPTS, PaperVenueSnapshotSchema.parse(old));
    expect(after.working()).toEqual(before.working());
    // Cold: what it learned of the market starts over from the next bars (no σ, no spread estimate, no timeframe yet).
    expect(after.snapshot().books).toEqual([{ symbol: SYMBOL, tf: null, tfEnd: null, mid: null, quotedHalf: null, quotedTs: null, estimates: [] }]);
    expect(after.snapshot().symbols).toEqual(before.snapshot().symbols);
    const left = before.working().find((w) => w.orderId === 'o:m9')?.remaining ?? 0;
    expect(left).toBeGreaterThan(0);
    const fills = all.slice(cut).flatMap((s) => run(after, s).fills.filter((f) => f.orderId === 'o:m9'));
    expect(fills.reduce((q, f) => q + f.qty, 0)).toBeCloseTo(left, 12);
  });

  it('starts an estimate over where the configuration changed across the restart (another spread model or σ decay)', () => {
    const before = createPaperVenue(OPTS);
    for (const s of steps().slice(0, 60)) run(before, s);
    const [kept] = before.snapshot().books;
    const [est] = kept?.estimates ?? [];
    expect(est?.spread?.ring.length).toBe(4);
    expect(est?.vol.variance).toBeGreaterThan(0);
    const [same] = restarted(before).snapshot().books;
    expect(same).toEqual(kept);
    const [changed] = restarted(before, { ...OPTS, spreadModel: { kind: 'corwin-schultz', window: 6 }, volLambda: 0.9 }).snapshot().books;
    // What does not depend on the model goes on; σ and the spread estimate are learned afresh.
    expect(changed).toEqual({ ...kept, estimates: [{ ...est, vol: { lambda: 0.9, variance: null }, spread: { model: { kind: 'corwin-schultz', window: 6 }, ring: [], next: 0, prev: null } }] });
  });

  it('refuses a v3 snapshot whose estimates are not valid (it is not read as an older one)', () => {
    const v = createPaperVenue(OPTS);
    for (const s of steps().slice(0, 10)) run(v, s);
    type Snap = { books: { estimates: { tf: string; vol: { variance: unknown } }[] }[] };
    const snap = JSON.parse(JSON.stringify(v.snapshot())) as Snap;
    expect(PaperVenueSnapshotSchema.safeParse(snap).success).toBe(true);
    const bad = structuredClone(snap);
    (bad.books[0]?.estimates[0] as { vol: { variance: unknown } }).vol.variance = -1;
    expect(PaperVenueSnapshotSchema.safeParse(bad).success).toBe(false);
    const twice = structuredClone(snap);
    twice.books[0]?.estimates.push(structuredClone(twice.books[0].estimates[0] as Snap['books'][0]['estimates'][0]));
    expect(PaperVenueSnapshotSchema.safeParse(twice).success).toBe(false); // one set of estimates per timeframe
  });
});
