import { describe, expect, it } from 'vitest';
import { DEFAULT_LABEL_SPEC } from '../../models/labeling/label-spec.js';
import { createPendingHorizons } from '../../models/labeling/pending-horizons.js';
import type { PendingItem } from '../../models/labeling/pending-horizons.js';
import type { Expiry } from '../../streams/messages/expiry.js';
import { expiryId } from '../../streams/messages/expiry.js';
import type { Order } from '../../streams/messages/order.js';
import { bar, fill, H, order, prediction, T0, VENUE } from './fixtures.js';

const spec = { ...DEFAULT_LABEL_SPEC, horizonBars: 2, retainBars: 3, fillGraceBars: 1 };
const S = 'BTC/USDT';
const add = (s: ReturnType<typeof createPendingHorizons>, i: number): void => s.addBar(VENUE, S, bar(i, 101, 99, 100));
const fid = (t: number): string => `f:${t}`;
/** The venue's `exec.expired` of order `o` at `ts`, having filled `filledQty` of it. */
const expiry = (o: Order, ts: number, filledQty: number, over: Partial<Expiry> = {}): Expiry => ({
  type: 'exec.expired', v: 1, id: expiryId(o.id), ts, orderId: o.id, strategy: o.strategy, venue: o.venue, symbol: o.symbol, filledQty, remainingQty: o.qty - filledQty, reason: 'venue', ...over,
});
const restored = (s: ReturnType<typeof createPendingHorizons>): ReturnType<typeof createPendingHorizons> => {
  const r = createPendingHorizons(H, spec);
  r.restore(JSON.parse(JSON.stringify(s.snapshot())), (_v, _s, t) => fid(t));
  return r;
};

describe('pending horizons', () => {
  it('makes a prediction due once a bar at or after its horizon was seen, and only once', () => {
    const s = createPendingHorizons(H, spec);
    const p = prediction('s1', bar(0, 101, 99, 100), 0.01, 3);
    expect(s.addPrediction(p)).toBe('added');
    expect(s.addPrediction(p)).toBe('duplicate');
    for (let i = 0; i <= 2; i++) add(s, i);
    expect(s.due()).toEqual([]);
    add(s, 4); // bar 3 missing: a later bar still closes the horizon
    expect(s.due().map((x) => [x.id, x.horizonEnd])).toEqual([[p.id, T0 + 3 * H]]);
    s.complete(p.id);
    expect(s.due()).toEqual([]);
    expect(s.addPrediction(p)).toBe('labeled');
  });

  it('an order waits for a final fill, a later SIGNALS message or the grace bars', () => {
    const mk = () => {
      const s = createPendingHorizons(H, spec);
      const o = order('s1', bar(0, 101, 99, 100), 'buy');
      s.addOrder(o, fid);
      for (let i = 0; i <= 2; i++) add(s, i);
      return { s, o };
    };
    const a = mk();
    expect(a.s.due()).toEqual([]); // horizon passed in bars, fills may still come
    a.s.addFill(fill(a.o, 1, T0 + H, 1, 100, true));
    expect(a.s.due().map((x) => x.id)).toEqual([a.o.id]);
    expect(a.s.fillsOf(a.s.due()[0] as never).length).toBe(1);
    const b = mk();
    b.s.advanceExec(T0 + 2 * H); // of the horizon bar's time: its fills may still come
    expect(b.s.due().length).toBe(0);
    b.s.advanceExec(T0 + 2 * H + 1); // inside the horizon bar: fills of it (up to the exit, its close) may still come
    expect(b.s.due().length).toBe(0);
    b.s.advanceExec(T0 + 3 * H); // the horizon bar's close
    expect(b.s.due().length).toBe(1);
    const c = mk();
    add(c.s, 3); // one grace bar, and the strategy's decision path got there too
    c.s.addPrediction(prediction('s1', bar(3, 101, 99, 100), 0.01));
    expect(c.s.due().length).toBe(1);
  });

  it('a prediction of the horizon bar does not end the wait: the venue\'s fill of that bar, which the label counts, may follow it on SIGNALS', () => {
    const s = createPendingHorizons(H, spec);
    const o = order('s1', bar(0, 101, 99, 100), 'buy');
    s.addOrder(o, fid);
    for (let i = 0; i <= 2; i++) add(s, i);
    s.addPrediction(prediction('s1', bar(2, 101, 99, 100), 0.01)); // the strategy's decision on the horizon bar (the actor advances the fill watermark with it)
    s.advanceExec(T0 + 2 * H);
    expect(s.due().filter((x) => x.kind === 'order')).toEqual([]);
    s.addFill(fill(o, 1, T0 + 2 * H, 1, 100.5, true)); // filled on the horizon bar, published after the prediction
    const [item] = s.due().filter((x) => x.kind === 'order');
    expect(item?.id).toBe(o.id);
    expect(s.fillsOf(item as never).map((f) => f.price)).toEqual([100.5]);
  });

  it('counts the fills made inside the horizon bar up to its close (the exit), as a tick-driven venue stamps them, and waits for them', () => {
    // Horizon 2 bars: the exit is bar 2's close (T0 + 3H). A live venue fills on ticks, stamped inside the bar.
    const s = createPendingHorizons(H, spec);
    const o = order('s1', bar(0, 101, 99, 100), 'buy', 2);
    s.addOrder(o, fid);
    for (let i = 0; i <= 2; i++) add(s, i);
    s.addFill(fill(o, 1, T0 + 2 * H + 60_000, 1, 100.2, false)); // a minute into the horizon bar
    s.advanceExec(T0 + 2 * H + 120_000); // a tick-time SIGNALS message inside the horizon bar: the bar's later fills may still come
    expect(s.due()).toEqual([]);
    s.addFill(fill(o, 2, T0 + 2 * H + 30 * 60_000, 1, 100.4, false));
    s.addFill(fill(o, 3, T0 + 3 * H, 0.5, 100.9, false)); // at the exit's close: after the horizon, left out
    const [item] = s.due(); // a SIGNALS message at the horizon bar's close ended the wait
    expect(item?.id).toBe(o.id);
    expect(s.fillsOf(item as never).map((f) => f.price)).toEqual([100.2, 100.4]);
  });

  it('does not count the grace on bars alone: a catching-up engine has not published the fills of bars the MD stream already holds', () => {
    const s = createPendingHorizons(H, spec);
    const o = order('s1', bar(0, 101, 99, 100), 'buy');
    s.addOrder(o, fid);
    for (let i = 0; i <= 6; i++) add(s, i); // the labeling actor reads bars straight from MD: far past horizon + grace
    expect(s.due()).toEqual([]); // the venue's fill at bar 1 is not published yet
    const again = createPendingHorizons(H, spec);
    again.restore(JSON.parse(JSON.stringify(s.snapshot())), (_v, _s, t) => fid(t));
    expect(again.due()).toEqual([]); // and a restart does not change that
    again.addFill(fill(o, 1, T0 + H, 1, 100.5, true));
    const due = again.due();
    expect(due.map((x) => x.id)).toEqual([o.id]);
    expect(again.fillsOf(due[0] as never).map((f) => f.price)).toEqual([100.5]);
    // A strategy whose exec stream went quiet: its predictions past the grace label the order without fills.
    const quiet = createPendingHorizons(H, spec);
    quiet.addOrder(o, fid);
    for (let i = 0; i <= 6; i++) add(quiet, i);
    quiet.addPrediction(prediction('s1', bar(2, 101, 99, 100), 0.01));
    const orders = (x: ReturnType<typeof createPendingHorizons>): string[] => x.due().flatMap((i) => (i.kind === 'order' ? [i.id] : []));
    expect(orders(quiet)).toEqual([]);
    const q2 = createPendingHorizons(H, spec);
    q2.restore(JSON.parse(JSON.stringify(quiet.snapshot())), (_v, _s, t) => fid(t));
    q2.addPrediction(prediction('s1', bar(3, 101, 99, 100), 0.01));
    expect(orders(q2)).toEqual([o.id]);
  });

  it('evicts bars nobody needs and says which range the store must answer', () => {
    const s = createPendingHorizons(H, spec);
    for (let i = 0; i <= 9; i++) add(s, i);
    s.evict(); // keeps bars ≥ 9 − 3
    expect(s.barsIn(VENUE, S, T0 + 6 * H, T0 + 9 * H).held.length).toBe(4);
    const late = s.barsIn(VENUE, S, T0 + 2 * H, T0 + 8 * H);
    expect(late.held.map((b) => (b.ts - T0) / H)).toEqual([6, 7, 8]);
    expect([late.missingFrom, late.missingTo]).toEqual([T0 + 2 * H, T0 + 6 * H - 1]);
  });

  it('an order that waits for ever (its strategy gone quiet) holds no more than retainBars bars in memory or in the snapshot; its path is read from the store', () => {
    const s = createPendingHorizons(H, spec);
    const o = order('s1', bar(0, 101, 99, 100), 'buy');
    s.addOrder(o, fid);
    for (let i = 0; i < 200; i++) {
      add(s, i);
      s.evict();
    }
    expect(s.due()).toEqual([]); // no fill, no later SIGNALS message, no prediction: it waits
    expect(s.barsIn(VENUE, S, T0, T0 + 199 * H).held.length).toBeLessThanOrEqual(spec.retainBars + 1);
    expect(s.snapshot().assets[0]?.bars.length ?? 0).toBeLessThanOrEqual(spec.retainBars + 1);
    s.advanceExec(T0 + 200 * H);
    const [item] = s.due();
    expect(item?.id).toBe(o.id);
    const need = s.barsIn(VENUE, S, (item as PendingItem).decisionTs, (item as PendingItem).horizonEnd);
    expect([need.missingFrom, need.missingTo]).toEqual([T0, T0 + 2 * H]);
  });

  it('keeps the bars of pending items, and a snapshot restores the same state', () => {
    const s = createPendingHorizons(H, spec);
    const o = order('s1', bar(1, 101, 99, 100), 'sell');
    s.addPrediction(prediction('s1', bar(1, 101, 99, 100), 0.01, 20));
    s.addOrder(o, fid);
    s.addFill(fill(o, 1, T0 + 2 * H, 0.5, 100, false));
    for (let i = 0; i <= 9; i++) add(s, i);
    s.setSeq('d1', 42);
    s.evict();
    expect(s.barsIn(VENUE, S, T0 + H, T0 + 9 * H).missingFrom).toBeUndefined();
    const snap = JSON.parse(JSON.stringify(s.snapshot())) as unknown;
    const r = createPendingHorizons(H, spec);
    r.restore(snap, (v, sym, t) => fid(t));
    expect(r.snapshot()).toEqual(s.snapshot());
    expect(r.seenSeq('d1')).toBe(42);
    expect(r.due().map((x) => x.id)).toEqual(s.due().map((x) => x.id));
    expect(r.barsIn(VENUE, S, T0 + H, T0 + 9 * H)).toEqual(s.barsIn(VENUE, S, T0 + H, T0 + 9 * H));
    expect(() => r.restore({ v: 2 }, fid as never)).toThrow();
  });

  it("keeps each pending item's stream sequence in the snapshot, and restores a snapshot of an earlier version that has none", () => {
    const s = createPendingHorizons(H, spec);
    const p = prediction('s1', bar(0, 101, 99, 100), 0.01, 2);
    const o = order('s1', bar(0, 101, 99, 100), 'buy');
    s.addPrediction(p, 7);
    s.addOrder(o, fid, 9);
    s.addPrediction(p, 12); // the same prediction stored again: the first message stays the item's
    for (let i = 0; i <= 3; i++) add(s, i);
    s.addFill(fill(o, 1, T0 + H, 1, 100, true));
    const seqs = (x: ReturnType<typeof createPendingHorizons>): Record<string, number | undefined> => Object.fromEntries(x.due().map((i) => [i.id, i.streamSeq]));
    expect(seqs(s)).toEqual({ [p.id]: 7, [o.id]: 9 });
    const r = createPendingHorizons(H, spec);
    r.restore(JSON.parse(JSON.stringify(s.snapshot())), (_v, _s, t) => fid(t));
    expect(seqs(r)).toEqual({ [p.id]: 7, [o.id]: 9 });
    const { itemSeqs: _seqs, ...earlier } = s.snapshot();
    const old = createPendingHorizons(H, spec);
    old.restore(JSON.parse(JSON.stringify(earlier)), (_v, _s, t) => fid(t));
    expect(seqs(old)).toEqual({ [p.id]: undefined, [o.id]: undefined });
  });

  it('remembers between 1,024 and 2,048 of the newest labeled ids: grows to 2,048, then keeps the newest 1,024', () => {
    const s = createPendingHorizons(H, spec);
    const preds = Array.from({ length: 2049 }, (_, i) => prediction('s1', bar(i, 101, 99, 100), 0.01, 1));
    for (const p of preds.slice(0, 2048)) {
      s.addPrediction(p);
      s.complete(p.id);
    }
    expect(s.snapshot().done).toHaveLength(2048);
    expect(s.snapshot().done[0]).toBe(preds[0]!.id); // still remembered 2,047 labels later
    s.addPrediction(preds[2048]!);
    s.complete(preds[2048]!.id);
    expect(s.snapshot().done).toEqual(preds.slice(-1024).map((p) => p.id));
  });
  it('a restored state ignores every re-published item the running one ignores (all remembered labeled ids are saved)', () => {
    const s = createPendingHorizons(H, spec);
    // 1,500 labeled ids: more than the 1,024 kept after a trim, fewer than the 2,048 that trigger one.
    const preds = Array.from({ length: 1500 }, (_, i) => prediction('s1', bar(i, 101, 99, 100), 0.01, 1));
    for (const p of preds) {
      s.addPrediction(p);
      s.complete(p.id);
    }
    const r = createPendingHorizons(H, spec);
    r.restore(JSON.parse(JSON.stringify(s.snapshot())) as unknown, (v, sym, t) => fid(t));
    const oldest = preds[0]!;
    expect(s.addPrediction(oldest)).toBe('labeled');
    expect(r.addPrediction(oldest)).toBe('labeled');
    expect(r.snapshot()).toEqual(s.snapshot());
  });
  it('ignores a re-published prediction labeled more than 2,048 labels ago (its id surely left the remembered set, which keeps 1,024 to 2,048): older than its asset\'s newest, also after a restore', () => {
    const s = createPendingHorizons(H, spec);
    const preds = Array.from({ length: 2100 }, (_, i) => prediction('s1', bar(i, 101, 99, 100), 0.01, 1));
    for (const p of preds) {
      expect(s.addPrediction(p)).toBe('added');
      s.complete(p.id);
    }
    const oldest = preds[0]!;
    expect(s.snapshot().done).not.toContain(oldest.id); // past the id set's bound
    expect(s.addPrediction(oldest)).toBe('labeled');
    expect(s.pendingCount).toBe(0);
    const r = createPendingHorizons(H, spec);
    r.restore(JSON.parse(JSON.stringify(s.snapshot())) as unknown, (_v, _s, t) => fid(t));
    expect(r.addPrediction(oldest)).toBe('labeled');
    expect(r.addPrediction(prediction('s1', bar(2100, 101, 99, 100), 0.01, 1))).toBe('added'); // the next bar's
    expect(r.addPrediction(prediction('s1', bar(2100, 101, 99, 100, 'ETH/USDT'), 0.01, 1))).toBe('added'); // per asset
  });

  it('restores pending predictions whatever their order, and a snapshot of an earlier version without the newest prediction time', () => {
    const s = createPendingHorizons(H, spec);
    // The snapshot keeps pending items in id order; here it is not their time order.
    const late = { ...prediction('s1', bar(10, 101, 99, 100), 0.01, 5), id: 'p:a' };
    const early = { ...prediction('s1', bar(9, 101, 99, 100), 0.01, 5), id: 'p:b' };
    s.addPrediction(early);
    s.addPrediction(late);
    const snap = JSON.parse(JSON.stringify(s.snapshot())) as { assets: Record<string, unknown>[] };
    const r = createPendingHorizons(H, spec);
    r.restore(snap, (_v, _s, t) => fid(t));
    expect(r.pendingIds()).toEqual([late.id, early.id]);
    expect(r.addPrediction(prediction('s1', bar(8, 101, 99, 100), 0.01, 5))).toBe('labeled'); // older than the newest received
    const earlier = { ...snap, assets: snap.assets.map(({ newestPrediction: _n, ...a }) => a) };
    const old = createPendingHorizons(H, spec);
    old.restore(earlier, (_v, _s, t) => fid(t));
    expect(old.pendingIds()).toEqual([late.id, early.id]);
    expect(old.addPrediction(prediction('s1', bar(8, 101, 99, 100), 0.01, 5))).toBe('added'); // no mark kept: as before
  });

  it('keeps an order\'s fills as the engine books them: not one of another side, asset or strategy, past what the order had left, or after its final fill', () => {
    const s = createPendingHorizons(H, spec);
    const o = order('s1', bar(0, 101, 99, 100), 'buy');
    s.addOrder(o, fid);
    const f = (n: number, qty: number, over: Partial<ReturnType<typeof fill>> = {}, final = false): ReturnType<typeof fill> => ({ ...fill(o, n, T0 + H, qty, 100, final), ...over });
    s.addFill(f(1, o.qty / 2));
    s.addFill(f(2, o.qty / 4, { side: 'sell' })); // a sell of a buy
    s.addFill(f(3, o.qty / 4, { symbol: 'ETH/USDT' })); // another asset's
    s.addFill(f(4, o.qty / 4, { strategy: 's2' })); // another strategy's
    s.addFill(f(5, o.qty)); // more than the half left
    s.addFill(f(6, o.qty / 4, {}, true)); // final: the rest is cancelled
    s.addFill(f(7, o.qty / 8)); // after the final fill
    for (let i = 0; i <= 2; i++) add(s, i);
    const due = s.due();
    expect(due.map((x) => x.id)).toEqual([o.id]);
    expect(s.fillsOf(due[0] as never).map((x) => x.id)).toEqual([`x:${o.id}:1`, `x:${o.id}:6`]);
    // A restart replays the same choice.
    const r = createPendingHorizons(H, spec);
    r.restore(JSON.parse(JSON.stringify(s.snapshot())), (_v, _s, t) => fid(t));
    expect(r.fillsOf(r.due()[0] as never).map((x) => x.id)).toEqual([`x:${o.id}:1`, `x:${o.id}:6`]);
  });

  it("keeps a limit order's fills as the engine books them: not one worse than its limit by more than validation.fillPriceToleranceBps", () => {
    const o: Order = { ...order('s1', bar(0, 101, 99, 100), 'buy'), orderType: 'limit', limitPrice: 100 };
    const kept = (toleranceBps?: number): string[] => {
      const s = createPendingHorizons(H, spec, toleranceBps);
      s.addOrder(o, fid);
      s.addFill(fill(o, 1, T0 + H, 0.25, 100.1, false)); // 10 bps above the buy limit
      s.addFill(fill(o, 2, T0 + H, 0.25, 1_000, false)); // a unit error
      s.addFill(fill(o, 3, T0 + H, 0.25, 100.04, false)); // the limit rounded up within 5 bps
      s.addFill(fill(o, 4, T0 + H, 0.25, 99.5, true)); // better than the limit
      for (let i = 0; i <= 2; i++) add(s, i);
      return s.fillsOf(s.due()[0] as never).map((x) => x.id);
    };
    expect(kept()).toEqual([`x:${o.id}:3`, `x:${o.id}:4`]);
    expect(kept(20)).toEqual([`x:${o.id}:1`, `x:${o.id}:3`, `x:${o.id}:4`]);
  });

  it("keeps a market order's fills as the engine books a live consumer's: not one further from its refPrice than validation.marketFillBandBps (none checked without a band: the paper venue's)", () => {
    const o: Order = { ...order('s1', bar(0, 101, 99, 100), 'buy'), orderType: 'market', limitPrice: null, refPrice: 100 };
    const kept = (bandBps?: number | null, msg: Order = o): string[] => {
      const s = createPendingHorizons(H, spec, 5, bandBps);
      s.addOrder(msg, fid);
      s.addFill(fill(msg, 1, T0 + H, 0.25, 1_000, false)); // a unit error: ten times the market
      s.addFill(fill(msg, 2, T0 + H, 0.25, 10, false)); // a tenth of it
      s.addFill(fill(msg, 3, T0 + H, 0.25, 108, false)); // 800 bps of slippage
      s.addFill(fill(msg, 4, T0 + H, 0.25, 95, true));
      for (let i = 0; i <= 2; i++) add(s, i);
      return s.fillsOf(s.due()[0] as never).map((x) => x.id);
    };
    expect(kept(1000)).toEqual([`x:${o.id}:3`, `x:${o.id}:4`]);
    expect(kept(500)).toEqual([`x:${o.id}:4`]);
    const all = [`x:${o.id}:1`, `x:${o.id}:2`, `x:${o.id}:3`, `x:${o.id}:4`];
    expect(kept()).toEqual(all);
    const { refPrice: _, ...before } = o;
    expect(kept(1000, before)).toEqual(all);
  });

  it("keeps a market order's genuine fill after a 15 % move, as the engine books it near its latest mid, judged on the bars at the fill's time in any interleaving, and still not a unit error", () => {
    const o: Order = { ...order('s1', bar(0, 101, 99, 100), 'buy'), orderType: 'market', limitPrice: null, refPrice: 100 };
    // The market jumps 15 % in bar 1; the desk fills in it, half an hour in.
    const bars = [bar(0, 101, 99, 100), bar(1, 118, 112, 115), bar(2, 116, 114, 115)];
    const at = T0 + H + 1_800_000;
    const fills = [fill(o, 1, at, 0.25, 1_150, false), fill(o, 2, at, 0.25, 115.5, false), fill(o, 3, at, 0.25, 11.5, false), fill(o, 4, at, 0.25, 116, true)];
    const kept = (order: 'fills first' | 'bars first' | 'restart between'): string[] => {
      let s = createPendingHorizons(H, spec, 5, 1000);
      s.addOrder(o, fid);
      if (order === 'bars first') for (const b of bars) s.addBar(VENUE, S, b);
      for (const f of fills) s.addFill(f);
      if (order === 'restart between') {
        const r = createPendingHorizons(H, spec, 5, 1000);
        r.restore(JSON.parse(JSON.stringify(s.snapshot())), (_v, _s, t) => fid(t));
        s = r;
      }
      if (order !== 'bars first') for (const b of bars) s.addBar(VENUE, S, b);
      return s.fillsOf(s.due()[0] as never).map((x) => x.id);
    };
    const booked = [`x:${o.id}:2`, `x:${o.id}:4`];
    expect(kept('fills first')).toEqual(booked);
    expect(kept('bars first')).toEqual(booked);
    expect(kept('restart between')).toEqual(booked);
    // Waiting for its bar, the order is not complete: its final fill is not kept yet.
    const s = createPendingHorizons(H, spec, 5, 1000);
    s.addOrder(o, fid);
    for (const f of fills) s.addFill(f);
    s.addBar(VENUE, S, bars[0] as never);
    expect(s.snapshot().heldFills.map((f) => f.id)).toEqual(fills.map((f) => f.id));
    s.addBar(VENUE, S, bars[1] as never);
    expect(s.snapshot().heldFills).toEqual([]);
    expect(s.snapshot().fills.map((f) => f.id)).toEqual(booked);
    // Without the move the same fill is refused, as the engine refuses it.
    const flat = createPendingHorizons(H, spec, 5, 1000);
    flat.addOrder(o, fid);
    for (let i = 0; i <= 2; i++) add(flat, i);
    for (const f of fills) flat.addFill(f);
    expect(flat.snapshot().fills.map((f) => f.id)).toEqual([]);
  });

  describe("an order's expiry (exec.expired) ends its fill wait once every fill it reports is kept", () => {
    // Horizon 2 bars, grace 1: order at bar 0, horizon bar 2, grace ends at bar 3. No SIGNALS
    // message past the horizon bar's close: without the expiry the order waits for the grace.
    const mk = (qty = 2) => {
      const s = createPendingHorizons(H, spec);
      const o = order('s1', bar(0, 101, 99, 100), 'buy', qty);
      s.addOrder(o, fid);
      return { s, o };
    };
    const orderIds = (x: ReturnType<typeof createPendingHorizons>): string[] => x.due().flatMap((i) => (i.kind === 'order' ? [i.id] : []));

    it('a partly filled order whose expiry reports the fills kept is labeled at its horizon, not after the grace, and not before the horizon', () => {
      const { s, o } = mk();
      s.addFill(fill(o, 1, T0 + H, 0.5, 100.2, false));
      expect(s.addExpiry(expiry(o, T0 + H + 60_000, 0.5))).toBe(true);
      add(s, 0);
      add(s, 1);
      expect(orderIds(s)).toEqual([]); // horizon not reached: the expiry cuts the grace only
      add(s, 2);
      expect(orderIds(s)).toEqual([o.id]);
      expect(s.fillsOf(s.item(o.id) as PendingItem).map((f) => f.qty)).toEqual([0.5]);
      s.complete(o.id);
      expect(s.snapshot().expiries).toEqual([]); // forgotten with the order
    });

    it('an unfilled order whose expiry reports nothing filled is labeled at its horizon, with no fills', () => {
      const { s, o } = mk();
      for (let i = 0; i <= 2; i++) add(s, i);
      expect(orderIds(s)).toEqual([]); // today's wait without the expiry
      expect(s.addExpiry(expiry(o, T0 + H, 0, { reason: 'ttl' }))).toBe(true);
      expect(orderIds(s)).toEqual([o.id]);
      expect(s.fillsOf(s.item(o.id) as PendingItem)).toEqual([]);
    });

    it('an expiry that came before the last fill (filledQty above the fills kept) waits for that fill, later SIGNALS messages or not, across a restart', () => {
      const { s, o } = mk();
      s.addFill(fill(o, 1, T0 + H, 0.5, 100.2, false));
      expect(s.addExpiry(expiry(o, T0 + H + 60_000, 1.5))).toBe(true); // 1 more filled, its fill still to come
      for (let i = 0; i <= 2; i++) add(s, i);
      s.advanceExec(T0 + 3 * H); // a SIGNALS message at the horizon bar's close: the fill, on its own subject, may still follow
      expect(orderIds(s)).toEqual([]);
      const r = restored(s); // restart in between
      expect(r.snapshot()).toEqual(s.snapshot());
      expect(orderIds(r)).toEqual([]);
      r.addFill(fill(o, 2, T0 + H + 30_000, 1, 100.4, false)); // the venue's late fill (stamped before the expiry)
      expect(orderIds(r)).toEqual([o.id]);
      expect(r.fillsOf(r.item(o.id) as PendingItem).map((f) => f.qty)).toEqual([0.5, 1]);
      // Without that fill, the grace still ends the wait.
      const g = restored(s);
      add(g, 3);
      g.addPrediction(prediction('s1', bar(3, 101, 99, 100), 0.01));
      expect(orderIds(g)).toEqual([o.id]);
    });

    it("another order's expiry is a later SIGNALS message (any strategy's, kept or not), but not for an order whose own expiry reports fills still to come, and not toward the grace", () => {
      const { s, o } = mk();
      const y = order('s2', bar(0, 101, 99, 100), 'sell', 1, 1); // another strategy's order, not pending here
      for (let i = 0; i <= 2; i++) add(s, i);
      expect(orderIds(s)).toEqual([]);
      expect(s.addExpiry(expiry(y, T0 + 3 * H - 1, 0))).toBe(false); // inside the horizon bar: fills of it may still come
      expect(orderIds(s)).toEqual([]);
      expect(s.addExpiry(expiry(y, T0 + 3 * H, 0))).toBe(false); // at the horizon bar's close: fills before it are in
      expect(orderIds(s)).toEqual([o.id]);
      expect(restored(s).due().map((i) => i.id)).toEqual([o.id]); // the watermark is in the snapshot
      // Its own expiry reporting a fill still to come: a later expiry does not end that wait, nor the grace.
      const w = mk();
      w.s.addFill(fill(w.o, 1, T0 + H, 0.5, 100.2, false));
      expect(w.s.addExpiry(expiry(w.o, T0 + H + 60_000, 1.5))).toBe(true);
      for (let i = 0; i <= 4; i++) add(w.s, i); // bars past horizon + grace
      w.s.addPrediction(prediction('s1', bar(2, 101, 99, 100), 0.01)); // the decision path at the horizon bar only
      const z = order('s1', bar(1, 101, 99, 100), 'buy', 1, 2); // the strategy's own order of the asset (labeled before)
      w.s.addExpiry(expiry(z, T0 + 4 * H, 0, { reason: 'ttl' })); // stamped past the horizon bar's close and the grace
      expect(orderIds(w.s)).toEqual([]); // o waits for its fill
      w.s.addPrediction(prediction('s1', bar(3, 101, 99, 100), 0.01)); // the decision path reached the grace
      expect(orderIds(w.s)).toEqual([w.o.id]);
    });

    it('a restart between the expiry and the horizon keeps the expiry', () => {
      const { s, o } = mk();
      s.addFill(fill(o, 1, T0 + H, 0.5, 100.2, false));
      s.addExpiry(expiry(o, T0 + H + 60_000, 0.5));
      add(s, 0);
      const r = restored(s);
      expect(r.snapshot().expiries.map((e) => e.orderId)).toEqual([o.id]);
      add(r, 1);
      add(r, 2);
      expect(orderIds(r)).toEqual([o.id]);
    });

    it('keeps only an expiry the engine takes: of the order as approved, its quantities, not less filled than the fills kept; the first of an order', () => {
      const { s, o } = mk();
      s.addFill(fill(o, 1, T0 + H, 1, 100.2, false));
      expect(s.addExpiry(expiry({ ...o, id: 'o:other' }, T0 + H, 0))).toBe(false); // no such pending order
      expect(s.addExpiry(expiry(o, T0 + H, 1, { symbol: 'ETH/USDT' }))).toBe(false);
      expect(s.addExpiry(expiry(o, T0 + H, 1, { strategy: 's2' }))).toBe(false);
      expect(s.addExpiry(expiry(o, T0 + H, 1, { remainingQty: 0.5 }))).toBe(false); // 1 + 0.5 is not the order's 2
      expect(s.addExpiry(expiry(o, T0 + H, 0.5))).toBe(false); // says 0.5 filled, 1 is booked
      for (let i = 0; i <= 2; i++) add(s, i);
      expect(orderIds(s)).toEqual([]); // none kept: the wait goes on
      expect(s.addExpiry(expiry(o, T0 + H, 1))).toBe(true);
      expect(s.addExpiry(expiry(o, T0 + H, 1.5))).toBe(false); // a second report changes nothing
      expect(orderIds(s)).toEqual([o.id]);
      const f = mk(1);
      f.s.addFill(fill(f.o, 1, T0 + H, 1, 100, true));
      expect(f.s.addExpiry(expiry(f.o, T0 + H, 0.5))).toBe(false); // filled in full already
      // A final fill that left some unfilled expired the order (exec.fill's `final`): the engine
      // acknowledges its exec.expired when it leaves that much, as risk-book's `unfilled` does.
      const g = mk(1);
      g.s.addFill(fill(g.o, 1, T0 + H, 0.4, 100, true));
      expect(g.s.addExpiry(expiry(g.o, T0 + H, 0.5))).toBe(false); // says 0.5 filled, the final fill left 0.6
      expect(g.s.addExpiry(expiry(g.o, T0 + H, 0.4))).toBe(true);
    });

    it('restores a version-1 snapshot (no expiries): its orders wait as they did', () => {
      const { s, o } = mk();
      s.addFill(fill(o, 1, T0 + H, 0.5, 100.2, false));
      for (let i = 0; i <= 2; i++) add(s, i);
      const { expiries: _e, ...rest } = s.snapshot();
      const r = createPendingHorizons(H, spec);
      r.restore(JSON.parse(JSON.stringify({ ...rest, v: 1 })), (_v, _s, t) => fid(t));
      expect(r.snapshot()).toEqual(s.snapshot());
      expect(orderIds(r)).toEqual([]);
      expect(r.addExpiry(expiry(o, T0 + 2 * H, 0.5))).toBe(true);
      expect(orderIds(r)).toEqual([o.id]);
      expect(() => r.restore({ ...rest, v: 2 }, fid as never)).toThrow(); // version 2 must hold expiries
    });
  });
});
