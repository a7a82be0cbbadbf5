import { z } from 'zod';
import { ExpirySchema } from '../../streams/messages/expiry.js';
import type { Expiry } from '../../streams/messages/expiry.js';
import { FillSchema } from '../../streams/messages/fill.js';
import type { Fill } from '../../streams/messages/fill.js';
import { OrderSchema } from '../../streams/messages/order.js';
import type { Order } from '../../streams/messages/order.js';
import { PredictionSchema } from '../../streams/messages/prediction.js';
import type { Prediction } from '../../streams/messages/prediction.js';
import { bookKey } from '../risk/risk-book.js';
import { DEFAULT_FILL_PRICE_TOLERANCE_BPS, orderMismatch } from '../risk/fill-check.js';
import type { LatestMid } from '../risk/fill-check.js';
import { expiryTermsMismatch } from '../risk/expiry-check.js';
import { REPORT_TOLERANCE } from '../quantity-dust.js';
import type { Direction, PathBar } from './excursions.js';
import type { LabelSpec } from './label-spec.js';

/** A prediction or order waiting for its horizon. Everything derives from the message and the spec. */
export type PendingItem = Readonly<{
  id: string;
  venue: string;
  symbol: string;
  /** Open time of the decision bar. */
  decisionTs: number;
  horizonBars: number;
  /** Open time of the horizon bar (vertical barrier). */
  horizonEnd: number;
  direction: Direction;
  /** Id of the feature vector at decision time (the prediction's `source`, or the decision bar's vector). */
  featureId: string;
  /**
   * Stream sequence of the message it came from (SIGNALS), which its dead letter's id holds when it
   * cannot be labeled; absent for an item restored from a snapshot that did not keep it.
   */
  streamSeq?: number;
}> &
  (Readonly<{ kind: 'prediction'; msg: Prediction }> | Readonly<{ kind: 'order'; msg: Order }>);

/** Direction of a prediction: the sign of its expected return; a zero return takes the likelier of up and down (ties long). */
export function predictionDirection(p: Prediction): Direction {
  if (p.expectedReturn > 0) return 1;
  if (p.expectedReturn < 0) return -1;
  return p.probs.up >= p.probs.down ? 1 : -1;
}

const PathBarSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]);
const SnapshotBody = z.object({
  assets: z.array(
    z.object({
      venue: z.string(),
      symbol: z.string(),
      watermark: z.number(),
      signals: z.number().default(-1),
      /** Newest event time of the strategy's predictions of the asset received (snapshots of earlier versions have none: −1). */
      newestPrediction: z.number().default(-1),
      heldFrom: z.number(),
      bars: z.array(PathBarSchema),
    }),
  ),
  predictions: z.array(PredictionSchema),
  orders: z.array(OrderSchema),
  fills: z.array(FillSchema),
  /**
   * Fills of pending orders waiting for their asset's bars to reach their time (see `addFill`), in
   * the order they came per order (snapshots of earlier versions have none: they decided at once).
   */
  heldFills: z.array(FillSchema).default([]),
  execWatermark: z.number(),
  done: z.array(z.string()),
  seqs: z.record(z.string(), z.number()),
  /** Pending item id → stream sequence of its message (snapshots of earlier versions have none). */
  itemSeqs: z.record(z.string(), z.number()).default({}),
  /**
   * OUTCOMES stream sequence through which every outcome and label this actor published is covered
   * by this snapshot (their items completed); one published after it may come from a batch whose
   * commit a crash lost. Absent in snapshots of earlier versions and before the first publish.
   */
  publishedThrough: z.number().optional(),
});
/** Version 1: no expiries kept (the actor let `exec.expired` go). */
const SnapshotV1Schema = SnapshotBody.extend({ v: z.literal(1) });
const SnapshotSchema = SnapshotBody.extend({
  v: z.literal(2),
  /** The expiry of each pending order that has one (the first taken: one per order). */
  expiries: z.array(ExpirySchema),
});
/** The JSON a labeling actor persists with each commit. */
export type PendingSnapshot = z.infer<typeof SnapshotSchema>;
/**
 * A snapshot of this version or of version 1, as this version's: a version-1 snapshot has no
 * expiries (those it read were let go, and are behind its consumer's sequence): its pending orders
 * wait for their fills as they did then.
 */
const AnySnapshotSchema = z.discriminatedUnion('v', [SnapshotV1Schema, SnapshotSchema]).transform((s): PendingSnapshot => (s.v === 2 ? s : { ...s, v: 2, expiries: [] }));

/**
 * `signals`: newest event time of the strategy's own predictions and orders of the asset (how far
 * its decision path got); `newestPrediction`: of its predictions alone (one per bar, in event order).
 */
type AssetBars = { venue: string; symbol: string; bars: PathBar[]; watermark: number; signals: number; newestPrediction: number; heldFrom: number };

export type AddResult = 'added' | 'duplicate' | 'labeled';

/** Ranges of bars an item needs that the buffer no longer holds: read them from the timeseries store. */
export type PathNeed = Readonly<{ held: readonly PathBar[]; missingFrom: number; missingTo: number } | { held: readonly PathBar[]; missingFrom?: undefined; missingTo?: undefined }>;

/**
 * Labeled ids remembered (and persisted) to ignore a re-published input; redeliveries are caught by
 * stream sequence, and a re-published prediction older than its asset's newest by event time also
 * past this bound (an order past it by the labeling actor's look-up of its stored sample). The set
 * grows to twice this (2,048 ids) and, at the next id, is trimmed to the newest MAX_DONE (1,024):
 * it holds between 1,024 and 2,048 of the newest labeled ids, so an id is remembered for at least
 * the next 1,023 labels and forgotten after at most 2,048.
 */
const MAX_DONE = 1024;
const assetKey = (venue: string, symbol: string): string => `${venue}\u0000${symbol}`;

/**
 * The labeling actor's state, deterministic and free of I/O: recent bars per asset, predictions
 * and orders waiting for their horizon, fills of pending orders, the ids already labeled, and
 * the last stream sequence applied per consumer. Whether an item is due depends on event time
 * only: the newest bar seen for its asset (bars arrive in order per asset), so the same inputs
 * label the same items in any interleaving of the consumers.
 *
 * Bars are held from `heldFrom` on: every bar seen with a later open time is in the buffer, so
 * an item whose decision bar is older must read its path from the timeseries store.
 *
 * `fillPriceToleranceBps`: the engine's `validation.fillPriceToleranceBps`, and `marketFillBandBps`
 * its `validation.marketFillBandBps` with the paper venue off (null, the default: no fill is held
 * to its order's `refPrice`, as the risk actor does not check the paper venue's), so
 * that the fills kept are those the risk actor books (see `addFill`).
 */
export function createPendingHorizons(tfMs: number, spec: LabelSpec, fillPriceToleranceBps = DEFAULT_FILL_PRICE_TOLERANCE_BPS, marketFillBandBps: number | null = null) {
  const assets = new Map<string, AssetBars>();
  const pending = new Map<string, PendingItem>();
  const fills = new Map<string, Fill[]>();
  /** Fills waiting for their asset's bars to reach their time, per order, in the order they came (see `addFill`). */
  const held = new Map<string, Fill[]>();
  /** Expiries of pending orders, by order id (see `addExpiry`). */
  const expiries = new Map<string, Expiry>();
  const done = new Set<string>();
  let doneOrder: string[] = [];
  let execWatermark = -1;
  let seqs: Record<string, number> = {};
  let publishedThrough: number | undefined;
  /** While a snapshot's pending items are added back (in id order, not event order). */
  let restoring = false;

  const assetOf = (venue: string, symbol: string): AssetBars => {
    const k = assetKey(venue, symbol);
    let a = assets.get(k);
    if (a === undefined) assets.set(k, (a = { venue, symbol, bars: [], watermark: -1, signals: -1, newestPrediction: -1, heldFrom: 0 }));
    return a;
  };
  const isKnown = (id: string): AddResult | undefined => (done.has(id) ? 'labeled' : pending.has(id) ? 'duplicate' : undefined);
  const decisionBar = (ts: number): number => Math.floor(ts / tfMs) * tfMs;

  const addItem = (item: PendingItem): AddResult => {
    const a = assetOf(item.venue, item.symbol);
    if (item.msg.ts > a.signals) a.signals = item.msg.ts;
    const known = isKnown(item.id);
    if (known !== undefined) return known;
    // The strategy publishes one prediction per bar of an asset (its id names the strategy and the
    // bar's vector, whatever the model), in event order: one older than the newest received was
    // received before and, not pending, labeled (its id may have left `done`). Orders have no such
    // order (an operator's close is stamped when asked, a backlog's later orders with their bars'
    // older times): they rely on `done`, and past it on the actor's look-up of the sample store.
    if (item.kind === 'prediction' && !restoring) {
      if (item.msg.ts < a.newestPrediction) return 'labeled';
      a.newestPrediction = item.msg.ts;
    }
    pending.set(item.id, item);
    return 'added';
  };

  const seqOf = (streamSeq: number | undefined): { streamSeq?: number } => (streamSeq !== undefined ? { streamSeq } : {});

  /** `streamSeq`: where the prediction is stored in its stream (see {@link PendingItem}). */
  function addPrediction(p: Prediction, streamSeq?: number): AddResult {
    const horizonBars = Math.max(1, Math.ceil(p.horizonMs / tfMs));
    const decisionTs = decisionBar(p.ts);
    return addItem({
      kind: 'prediction', msg: p, id: p.id, venue: p.venue, symbol: p.symbol, decisionTs, horizonBars, horizonEnd: decisionTs + horizonBars * tfMs, direction: predictionDirection(p), featureId: p.source,
      ...seqOf(streamSeq),
    });
  }
  /**
   * `featureId` names the decision bar's vector: `f:<bar id>` (see `featureVectorId`). The decision
   * bar is the last bar closed by the order's `decidedAt` (when what it was decided with was known:
   * a bar decision's close, the tick that released it), never a bar still open then, whose close
   * and vector came after the order. An order without it (published before it existed) is read
   * from `ts`: on the bar grid, the bar of that open time (known at its close); inside a bar, the
   * last bar closed before it. That rule misreads an order released by an event stamped on the
   * grid that is no bar of the strategy (a trade at hh:00, a 1m bar of hh:00 under 1h bars).
   */
  function addOrder(o: Order, featureId: (decisionTs: number) => string, streamSeq?: number): AddResult {
    const onGrid = decisionBar(o.decidedAt ?? o.ts);
    const decisionTs = o.decidedAt === undefined && onGrid === o.ts ? onGrid : onGrid - tfMs;
    const h = spec.horizonBars;
    return addItem({
      kind: 'order', msg: o, id: o.id, venue: o.venue, symbol: o.symbol, decisionTs, horizonBars: h, horizonEnd: decisionTs + h * tfMs, direction: o.side === 'buy' ? 1 : -1, featureId: featureId(decisionTs),
      ...seqOf(streamSeq),
    });
  }
  /** What the fills kept of an order left of it (0 after a final one), as the engine's book counts it. */
  const remainingOf = (o: Order, list: readonly Fill[]): number => (list.some((x) => x.final) ? 0 : Math.max(0, o.qty - list.reduce((q, x) => q + x.qty, 0)));
  /** What a final fill kept left unfilled (the order expired after it), as the engine's book counts it (`unfilled`); undefined when none. */
  const unfilledOf = (o: Order, list: readonly Fill[]): number | undefined => {
    if (!list.some((x) => x.final)) return undefined;
    const left = o.qty - list.reduce((q, x) => q + x.qty, 0);
    return left > REPORT_TOLERANCE * o.qty ? left : undefined;
  };

  /**
   * The market around `ts` as the bars of `o`'s asset tell it, once they reach it: the close of the
   * newest bar closed by `ts` (the mid the risk book held from it) and the low, high and close of the
   * bar `ts` falls in (the market the venue filled at, and the engine's later mids came from), those
   * the buffer holds; undefined while the asset's newest bar is older than the bar `ts` falls in
   * (bars arrive in order per asset: from then on the answer is fixed, whatever the interleaving).
   */
  const barMids = (o: Order, ts: number): LatestMid[] | undefined => {
    const a = assets.get(assetKey(o.venue, o.symbol));
    const inBar = decisionBar(ts);
    if (a === undefined || a.watermark < inBar) return undefined;
    const out: LatestMid[] = [];
    const closed = a.bars.findLast((b) => b.ts + tfMs <= ts);
    if (closed !== undefined) out.push({ mid: closed.close, ts: closed.ts + tfMs });
    const within = a.bars.find((b) => b.ts === inBar);
    if (within !== undefined) out.push({ mid: within.low, ts }, { mid: within.high, ts }, { mid: within.close, ts: inBar + tfMs });
    return out;
  };

  /**
   * Whether `f` is a fill of `o` as the engine books it (see `addFill`): 'wait' while that turns on
   * the market at its time and the asset's bars have not reached it. `restored`: a fill kept before
   * a restart whose keeping turned on the market is kept again (its bars may be gone from the buffer).
   */
  const judged = (o: Order, f: Fill, restored = false): 'keep' | 'drop' | 'wait' => {
    const list = fills.get(o.id) ?? [];
    if (list.some((x) => x.id === f.id)) return 'drop';
    const terms = { key: bookKey(o.venue, o.symbol), side: o.side, strategy: o.strategy, remaining: remainingOf(o, list), qty: o.qty, limitPrice: o.limitPrice, refPrice: o.refPrice };
    const booked = (latest: readonly LatestMid[]): boolean => orderMismatch(terms, f, fillPriceToleranceBps, marketFillBandBps, latest) === undefined;
    if (booked([])) return 'keep';
    // Refused even were the market at its price: its venue, side, quantity or limit is wrong.
    if (!booked([{ mid: f.price, ts: f.ts }])) return 'drop';
    if (restored) return 'keep';
    const mids = barMids(o, f.ts);
    if (mids === undefined) return 'wait';
    return booked(mids) ? 'keep' : 'drop';
  };

  /** Judges `o`'s waiting fills in the order they came, as far as the bars allow (a fill waits behind one that waits). */
  const release = (o: Order): void => {
    const queue = held.get(o.id);
    if (queue === undefined) return;
    while (queue.length > 0) {
      const f = queue[0] as Fill;
      const v = judged(o, f);
      if (v === 'wait') return;
      if (v === 'keep') fills.set(o.id, [...(fills.get(o.id) ?? []), f]);
      queue.shift();
    }
    held.delete(o.id);
  };

  /**
   * Fills of pending orders are kept, as the engine books them: one that is not of its order as
   * approved (venue, symbol, side, strategy, more than it had left, a price worse than its limit by
   * more than `fillPriceToleranceBps`, a market order's further than `marketFillBandBps` from both
   * its `refPrice` and the market at its time, a limit order's better than its limit and past both
   * by more than that band; models/risk/fill-check.ts) is not, as the engine refuses it
   * (ORDER_MISMATCH). Any SIGNALS fill advances the fill watermark.
   *
   * The engine holds such a fill to the latest mid its risk book has when the fill comes, too (a
   * genuine fill after a fast move, the order's `refPrice` up to two hours old): which mid that was
   * turns on how the engine's market data and fills interleaved, which the labeler cannot know (its
   * bars and fills come on separate consumers, and the same inputs must label the same in any
   * interleaving). It takes the market at the fill's time from its bars instead (`barMids`): a fill
   * that stands or falls on it waits, with the order's later fills behind it, until the asset's bars
   * reach the bar it falls in — before its horizon bar's close, so before the order is due. A
   * genuine fill is within the band of that bar's range; a unit error (ten times the market) is far
   * from every price, and from the engine's mid, whatever it was.
   */
  function addFill(f: Fill): void {
    if (f.ts > execWatermark) execWatermark = f.ts;
    const item = pending.get(f.orderId);
    if (item?.kind !== 'order') return;
    const queue = held.get(f.orderId);
    if (queue !== undefined) {
      if (!queue.some((x) => x.id === f.id)) queue.push(f);
      return;
    }
    const v = judged(item.msg, f);
    if (v === 'keep') fills.set(f.orderId, [...(fills.get(f.orderId) ?? []), f]);
    else if (v === 'wait') held.set(f.orderId, [f]);
  }

  /**
   * The venue stopped working a pending order (`exec.expired`): kept (the first of the order) as
   * the engine takes it — of the order's venue, symbol and strategy, its quantities the order's,
   * leaving no more unfilled than the fills kept left, the order not filled in full already (one
   * whose final fill left some unfilled: that much; models/risk/expiry-check.ts); another is let go, as the engine refuses it (ORDER_MISMATCH).
   * Its `filledQty` tells when the order's fill set is whole (see `due`). Returns whether it was kept.
   *
   * Any SIGNALS expiry, kept or not, of any strategy, advances the fill watermark as a fill does:
   * its venue published the fills stamped before it first (the paper venue stamps an expiry with
   * an event time it has reached), so it is a later SIGNALS message for the orders without an
   * expiry of their own (one whose expiry reports fills still to come waits for them whatever
   * later messages say). It does not count in the grace (an asset's `signals`): that counts the
   * strategy's decision path alone, as fills do not count there either; a live venue stamps its
   * reports in its own time, which runs ahead of a catching-up engine as its bars do.
   */
  function addExpiry(e: Expiry): boolean {
    if (e.ts > execWatermark) execWatermark = e.ts;
    const item = pending.get(e.orderId);
    if (item?.kind !== 'order' || expiries.has(e.orderId)) return false;
    const o = item.msg;
    const list = fills.get(o.id) ?? [];
    if (expiryTermsMismatch({ key: bookKey(o.venue, o.symbol), strategy: o.strategy, remaining: remainingOf(o, list), qty: o.qty, unfilled: unfilledOf(o, list) }, e) !== undefined) return false;
    expiries.set(e.orderId, e);
    return true;
  }

  /**
   * Whether an order's fills are all in: a final fill was kept, or its venue's expiry came and the
   * fills kept reach the `filledQty` it reported (within REPORT_TOLERANCE of the order; an unfilled
   * expired order's at once). Fills travel on their own subject: an expiry may come before the
   * venue's last fill, and then the order is not whole until that fill came.
   */
  const fillsComplete = (o: Order): boolean => {
    const list = fills.get(o.id) ?? [];
    if (list.some((f) => f.final)) return true;
    const e = expiries.get(o.id);
    if (e === undefined) return false;
    const booked = list.reduce((q, f) => q + f.qty, 0);
    return booked >= e.filledQty - REPORT_TOLERANCE * o.qty;
  };

  /** Per asset, the oldest decision bar of the pending items whose path the buffer keeps (see `evict`). */
  const pinnedFrom = (): Map<string, number> => {
    const out = new Map<string, number>();
    for (const it of pending.values()) {
      const k = assetKey(it.venue, it.symbol);
      const wm = assets.get(k)?.watermark ?? -1;
      if (it.horizonEnd < wm - spec.retainBars * tfMs) continue;
      out.set(k, Math.min(out.get(k) ?? Infinity, it.decisionTs));
    }
    return out;
  };

  return {
    tfMs,
    /** A bar of the strategy's timeframe; a repeated or older open time changes nothing. */
    addBar(venue: string, symbol: string, bar: PathBar): void {
      const a = assetOf(venue, symbol);
      if (bar.ts <= a.watermark) return;
      a.bars.push({ ts: bar.ts, high: bar.high, low: bar.low, close: bar.close });
      a.watermark = bar.ts;
      for (const id of [...held.keys()]) {
        const it = pending.get(id);
        if (it?.kind === 'order' && it.venue === venue && it.symbol === symbol) release(it.msg);
      }
    },
    addPrediction,
    addOrder,
    addFill,
    addExpiry,
    /**
     * Any order, prediction or other execution message seen on SIGNALS: fills before its time are
     * in (not those of its time: a fill stamped with the same bar comes from another publisher, the
     * venue, and may follow it on the stream).
     */
    advanceExec(ts: number): void {
      if (ts > execWatermark) execWatermark = ts;
    },
    /**
     * Items whose horizon passed, in (horizonEnd, id) order. Orders wait for their fills (a final
     * one; the order's expiry with every fill it reports kept, `filledQty` 0 an unfilled order's;
     * a SIGNALS message at or after the horizon bar's close — one of the horizon bar's time, or
     * a tick's inside it, says nothing of the fills later in that bar, which the order's label counts
     * up to its close, the exit —; or `fillGraceBars`), never before the horizon: the expiry cuts
     * the wait after it only. An order whose expiry reports more filled than the fills kept waits
     * for those fills whatever later SIGNALS messages say (a live venue's fills come on their own
     * subject), up to the grace. The grace counts on the strategy's own
     * predictions and orders of the asset as well as on its bars: bars come straight from the
     * market-data stream, and while the engine catches up (a restart, a fast replay) they run far
     * ahead of the fills its venue has yet to publish for them.
     */
    due(): PendingItem[] {
      const out: PendingItem[] = [];
      for (const item of pending.values()) {
        const a = assets.get(assetKey(item.venue, item.symbol));
        const wm = a?.watermark ?? -1;
        if (wm < item.horizonEnd) continue;
        if (item.kind === 'order' && !fillsComplete(item.msg)) {
          const graceOver = Math.min(wm, a?.signals ?? -1) >= item.horizonEnd + spec.fillGraceBars * tfMs;
          const laterExec = !expiries.has(item.id) && execWatermark >= item.horizonEnd + tfMs;
          if (!graceOver && !laterExec) continue;
        }
        out.push(item);
      }
      return out.sort((a, b) => a.horizonEnd - b.horizonEnd || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    /**
     * Pending items whose asset has had no bar at their horizon bar while the strategy's event
     * time, the newest bar seen of any of its assets, passed that bar by `waitBars` or more: the
     * asset may have stopped trading (a delisted or halted symbol), and they would wait for ever.
     * In (horizonEnd, id) order. Whether its bars are merely behind (its consumer catching up) is
     * the caller's to tell. Event time only, and restored with the snapshot (the assets' newest bars).
     */
    stalled(waitBars: number): PendingItem[] {
      let eventTime = -1;
      for (const a of assets.values()) if (a.watermark > eventTime) eventTime = a.watermark;
      const out: PendingItem[] = [];
      for (const item of pending.values()) {
        const wm = assets.get(assetKey(item.venue, item.symbol))?.watermark ?? -1;
        if (wm < item.horizonEnd && eventTime >= item.horizonEnd + waitBars * tfMs) out.push(item);
      }
      return out.sort((a, b) => a.horizonEnd - b.horizonEnd || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    /**
     * Newest event time of the strategy's predictions of an asset received (−1 before any): how
     * far its decision path got on it, one prediction per bar in event order (orders are left out:
     * an operator's close is stamped when asked, ahead of a catching-up engine's bars).
     */
    newestPrediction: (venue: string, symbol: string): number => assets.get(assetKey(venue, symbol))?.newestPrediction ?? -1,
    /** Newest bar open time seen for an asset (−1 before any). */
    watermark: (venue: string, symbol: string): number => assets.get(assetKey(venue, symbol))?.watermark ?? -1,
    /**
     * Bars with open time in [from, to] (both on the bar grid) that the buffer holds, and the range
     * it cannot answer for: what it evicted, and any hole in what it holds (a gap in the stream,
     * whose bars a backfill may have brought to the timeseries store since; they came too late
     * for the buffer, which takes no bar older than its newest).
     */
    barsIn(venue: string, symbol: string, from: number, to: number): PathNeed {
      const a = assets.get(assetKey(venue, symbol));
      const held = (a?.bars ?? []).filter((b) => b.ts >= from && b.ts <= to);
      const heldFrom = a?.heldFrom ?? 0;
      if (heldFrom > from) return { held, missingFrom: from, missingTo: Math.min(to, heldFrom - 1) };
      if (held.length >= Math.floor((to - from) / tfMs) + 1) return { held };
      const have = new Set(held.map((b) => b.ts));
      let missingFrom = Infinity;
      let missingTo = -Infinity;
      for (let t = from; t <= to; t += tfMs) {
        if (have.has(t)) continue;
        missingFrom = Math.min(missingFrom, t);
        missingTo = t;
      }
      return missingFrom === Infinity ? { held } : { held, missingFrom, missingTo };
    },
    /**
     * Fills of an order up to its exit, the horizon bar's close (a venue filling on ticks stamps a
     * fill inside that bar after its open; one on bars, with the bar's open), in time order.
     */
    fillsOf: (item: PendingItem): Fill[] => (fills.get(item.id) ?? []).filter((f) => f.ts < item.horizonEnd + tfMs).sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1)),
    /** Marks an item labeled (or refused): it leaves the pending set and a redelivery of it is ignored. */
    complete(id: string): void {
      pending.delete(id);
      fills.delete(id);
      held.delete(id);
      expiries.delete(id);
      if (!done.has(id)) {
        done.add(id);
        doneOrder.push(id);
        if (doneOrder.length > MAX_DONE * 2) {
          for (const old of doneOrder.slice(0, doneOrder.length - MAX_DONE)) done.delete(old);
          doneOrder = doneOrder.slice(-MAX_DONE);
        }
      }
    },
    /**
     * Drops bars nobody needs: older than `retainBars` and than every pending decision bar of the
     * asset whose horizon has not passed more than `retainBars` ago. One that has (an order of a
     * strategy gone quiet waits for a fill or a later SIGNALS message that may never come) reads
     * its path from the timeseries store when it is due; it held every later bar in memory, and in
     * every snapshot, for as long as the asset traded.
     */
    evict(): void {
      const minPending = pinnedFrom();
      for (const [k, a] of assets) {
        const cut = Math.min(a.watermark - spec.retainBars * tfMs, minPending.get(k) ?? Infinity);
        if (cut <= a.heldFrom) continue;
        a.bars = a.bars.filter((b) => b.ts >= cut);
        a.heldFrom = cut;
      }
    },
    /** Last stream sequence applied by a consumer (0 before any): a redelivered message at or below it is skipped. */
    seenSeq: (durable: string): number => seqs[durable] ?? 0,
    setSeq(durable: string, seq: number): void {
      if (seq > (seqs[durable] ?? 0)) seqs = { ...seqs, [durable]: seq };
    },
    /** See the snapshot's `publishedThrough`: undefined where none was recorded yet. */
    get publishedThrough(): number | undefined {
      return publishedThrough;
    },
    setPublishedThrough(seq: number): void {
      publishedThrough = seq;
    },
    /** The pending item of an id, if any. */
    item: (id: string): PendingItem | undefined => pending.get(id),
    get pendingCount(): number {
      return pending.size;
    },
    pendingIds: (): string[] => [...pending.keys()].sort(),
    /**
     * What survives a restart: per asset only the bars pending items still need (the rest is in
     * the timeseries store), the pending items, their fills and expiries, the labeled ids and the
     * consumer sequences.
     */
    snapshot(): PendingSnapshot {
      const minPending = pinnedFrom();
      const items = [...pending.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
      return {
        v: 2,
        assets: [...assets.entries()].map(([k, a]) => {
          const cut = Math.max(a.heldFrom, minPending.get(k) ?? a.watermark + 1);
          return { venue: a.venue, symbol: a.symbol, watermark: a.watermark, signals: a.signals, newestPrediction: a.newestPrediction, heldFrom: cut, bars: a.bars.filter((b) => b.ts >= cut).map((b) => [b.ts, b.high, b.low, b.close] as [number, number, number, number]) };
        }),
        predictions: items.flatMap((i) => (i.kind === 'prediction' ? [i.msg] : [])),
        orders: items.flatMap((i) => (i.kind === 'order' ? [i.msg] : [])),
        fills: [...fills.values()].flat(),
        heldFills: [...held.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([, q]) => q),
        expiries: [...expiries.values()].sort((a, b) => (a.orderId < b.orderId ? -1 : 1)),
        execWatermark,
        // All of them (at most 2·MAX_DONE): a restored state must ignore what the running one ignores.
        done: [...doneOrder],
        seqs: { ...seqs },
        itemSeqs: Object.fromEntries(items.flatMap((i) => (i.streamSeq !== undefined ? [[i.id, i.streamSeq] as const] : []))),
        ...(publishedThrough !== undefined ? { publishedThrough } : {}),
      };
    },
    /** Restores a snapshot taken by {@link snapshot} (or a version-1 one, without expiries); throws a ZodError on anything else. */
    restore(json: unknown, featureId: (venue: string, symbol: string, decisionTs: number) => string): void {
      const s = AnySnapshotSchema.parse(json);
      assets.clear();
      pending.clear();
      fills.clear();
      held.clear();
      expiries.clear();
      done.clear();
      for (const a of s.assets) {
        assets.set(assetKey(a.venue, a.symbol), { venue: a.venue, symbol: a.symbol, watermark: a.watermark, signals: a.signals, newestPrediction: a.newestPrediction, heldFrom: a.heldFrom, bars: a.bars.map(([ts, high, low, close]) => ({ ts, high, low, close })) });
      }
      restoring = true;
      try {
        for (const p of s.predictions) addPrediction(p, s.itemSeqs[p.id]);
        for (const o of s.orders) addOrder(o, (t) => featureId(o.venue, o.symbol, t), s.itemSeqs[o.id]);
      } finally {
        restoring = false;
      }
      publishedThrough = s.publishedThrough;
      execWatermark = s.execWatermark;
      for (const f of s.fills) {
        const item = pending.get(f.orderId);
        if (item?.kind === 'order' && judged(item.msg, f, true) === 'keep') fills.set(f.orderId, [...(fills.get(f.orderId) ?? []), f]);
      }
      for (const f of s.heldFills) addFill(f);
      for (const id of [...held.keys()]) {
        const it = pending.get(id);
        if (it?.kind === 'order') release(it.msg);
      }
      execWatermark = s.execWatermark;
      // Checked when they came: against the fills kept then, not those that came after.
      for (const e of s.expiries) if (pending.get(e.orderId)?.kind === 'order') expiries.set(e.orderId, e);
      doneOrder = [...s.done];
      for (const id of doneOrder) done.add(id);
      seqs = { ...s.seqs };
    },
  };
}

export type PendingHorizons = ReturnType<typeof createPendingHorizons>;
