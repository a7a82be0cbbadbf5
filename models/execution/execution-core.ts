import type { Bar } from '../../streams/messages/bar.js';
import { TIMEFRAME_MS } from '../../streams/messages/bar.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import type { Fill } from '../../streams/messages/fill.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import { knownAt } from '../../streams/messages/market-data.js';
import type { OrderSide } from '../../streams/messages/order-side.js';
import { sideSign } from '../../streams/messages/order-side.js';
import { orderId } from '../../streams/messages/order.js';
import type { Prediction } from '../../streams/messages/prediction.js';
import type { Reject } from '../../streams/messages/reject.js';
import type { TradingState } from '../../streams/messages/risk-state.js';
import type { Suggestion } from '../../streams/messages/suggestion.js';
import { suggestionId } from '../../streams/messages/suggestion.js';
import type { ChildPlan, ExecutionPolicy, MarketContext } from './execution-policy.js';
import { ExecutionPolicyError } from './execution-policy.js';
import type { ExecutionAssetState, ExecutionSnapshot } from './execution-snapshot.js';
import { storedNumber } from './execution-snapshot.js';
import { limitPriceOf } from './limit-price.js';
import { DEFAULT_QUOTE_MAX_AGE_MS } from './paper-venue-core.js';
import { DUST_SHARE, REPORT_TOLERANCE, withoutDust } from '../quantity-dust.js';
import { reducesPosition } from '../reducing-order.js';

/** A parent order's id: one per prediction that opened it. */
export const parentOrderId = (predictionId: string): string => `e:${predictionId}`;

/** The `source` of a suggestion that closes a position because risk asked to flatten (no prediction caused it). */
export const FLATTEN_SOURCE = 'risk:flatten';

/** A parent to flat's id: one per strategy, asset and event time it was opened at. */
export const flattenParentId = (strategy: string, venue: string, symbol: string, ts: number): string => `f:${strategy}:${venue}:${symbol}:${ts}`;

export type ExecutionCoreOptions = Readonly<{
  strategy: string;
  policy: ExecutionPolicy;
  /** A parent is opened only when |target − (position + working)| exceeds this (base units). */
  minQty: number;
  /** Also ignore gaps up to this share of |target| (quote-sized targets move with every price); default 0. */
  minQtyFraction?: number;
  /**
   * The venue's minimum order notional (quote units; the risk limits' `minOrderNotional`, read at
   * each new parent): a gap worth less opens no parent, and children under it are merged into the
   * next (the last into the one before), so no child is one the venue, or risk, would refuse for
   * its size. Default: none. Without it children that are floating-point dust (at most
   * `DUST_SHARE` of the parent) are still merged, so none goes out only to count against risk's
   * order rate.
   */
  minNotional?: () => number;
  /**
   * The risk actor's trading state for this strategy and a symbol (a scoped halt counts as
   * HALTED), read at each intent and before each child is sent. HALTED: no parent is opened and
   * an unfinished one is cancelled (its unsent children dropped); REDUCING: an intent only
   * brings the position towards zero, and a parent whose next child would not reduce it is
   * cancelled. Risk refuses such children anyway; this keeps execution from proposing them.
   * Default: always ACTIVE.
   */
  trading?: (strategy: string, symbol: string) => TradingState;
  /**
   * Whether the risk actor wants this strategy's position in a symbol closed now (REDUCING after
   * a breach under `onBreach: flatten`, or an operator's `reduce --flatten`). Then every intent
   * aims at flat, and an asset with a position, no parent and nothing working gets a parent to
   * flat of its own, through `flattenPolicy`, before each event (`onTime`), at most one every
   * `flattenEveryMs` per asset: one still holding something after its parent's children were
   * filled in part, refused or expired gets the next that long after the last. Default: never.
   */
  flattening?: (strategy: string, symbol: string) => boolean;
  /**
   * How a parent to flat is worked (default: `policy`, over the last prediction's horizon). A
   * breached account wants out now, so the engine passes an immediate policy here: one marketable
   * child, and once it has expired another, re-priced, for whatever it left.
   */
  flattenPolicy?: ExecutionPolicy;
  /** Least time between two parents to flat of one asset, ms (default: `barMs`). */
  flattenEveryMs?: number;
  /** Time a parent may take, ms (default: the prediction's `horizonMs`). */
  horizonMs?: number;
  /** Bar length of the `ewma_vol` feature, ms (default 60,000). */
  barMs?: number;
  /**
   * A hole in an asset's market data: its next event's time more than this after the newest data
   * known of it (a bar's close, a tick's time), event time, ms. A parent with children that fell
   * due in the hole does not send them together when the data resumes: its unsent quantity is
   * re-planned by its policy over what is left of its horizon, from the resumption (its first child
   * then, the next ones at the policy's times), or, where the horizon ended in the hole, the parent
   * lapses (its unsent children dropped, counted `lapsed`) and the next intent decides afresh from
   * the position. While the asset's data is in such a hole and other assets' events go on, its
   * children are held (not sent at its stale price). Default: no hole rule (every child due goes
   * out on the next event). The engine
   * passes half a bar: for bars of the strategy's timeframe, the holes the paper venue cancels
   * working orders at.
   */
  maxHoleMs?: number;
  /**
   * How long a quoted spread stands for a new parent's context after its quote (event time, ms;
   * default 60,000, the paper venue's `quoteMaxAgeMs`): older, the policy is given no spread (its
   * fallback) rather than that of quotes that stopped while bars go on.
   */
  quoteMaxAgeMs?: number;
  /**
   * Positions at start, by `assetKey(venue, symbol)`: a restarted engine passes its risk book's,
   * restored from the store (cli/decisions.ts), or every intent after the restart was sized from
   * flat and a flatten never closed what was held.
   */
  positions?: Readonly<Record<string, number>>;
  /** This strategy's children working at start (a restart: the risk book's orders in flight), counted as working until filled, refused or expired. */
  working?: readonly RestoredChild[];
  /**
   * This strategy's state at the last risk write (a restart: stored with the book, see
   * `ExecutionSnapshotSchema`): each asset's reference prices and estimates and its parent under
   * way, which goes on where it was (its next child keeps its id, size and time). A parent is
   * restored with `flattenPolicy` when it was a close, else with `policy`: its stored policy name
   * must be theirs (cli/restored-execution.ts leaves out, and logs, one planned by another policy).
   */
  restored?: ExecutionSnapshot;
}>;

/** A child order that was working when the engine stopped, as the risk book holds it in flight. */
export type RestoredChild = Readonly<{ orderId: string; venue: string; symbol: string; side: OrderSide; remaining: number; expiresAt: number }>;

export type ParentView = Readonly<{ id: string; source: string; side: OrderSide; qty: number; target: number; sent: number; children: number }>;
export type AssetView = Readonly<{ position: number; working: number; parent: ParentView | null }>;
export type ExecutionStats = Readonly<{
  parents: number;
  replaced: number;
  suggestions: number;
  fills: number;
  duplicateFills: number;
  ignored: number;
  /** Intents not acted on because trading was halted for them. */
  held: number;
  /** Parents cancelled by a halt, or in REDUCING by a child that would not reduce. */
  cancelled: number;
  /** Parents opened to flat without a prediction, because risk asked to flatten. */
  flattens: number;
  /** Parents whose unsent quantity was re-planned over the rest of their horizon after a hole in the data (`maxHoleMs`). */
  replanned: number;
  /** Parents dropped because their horizon ended in a hole in the data, their unsent children not sent. */
  lapsed: number;
}>;

export type ExecutionCore = Readonly<{
  strategy: string;
  /** Suggestions to publish now: the children of a new parent that are already due. */
  onPrediction(p: Prediction, now: number): readonly Suggestion[];
  /**
   * Children that became due by `now` (event time); call before each event, in order. `eventKnownAt`:
   * when that event was known (a bar: its close; default `now`). A parent this opens because of the
   * event — to flat, on a breach marked on any asset's price — starts no earlier: another asset's
   * data known only up to `now` must not fill it at prices from before the event could be seen.
   */
  onTime(now: number, eventKnownAt?: number): readonly Suggestion[];
  onFill(f: Fill): void;
  onReject(r: Reject): void;
  /**
   * The venue works a child no more (expired, or cancelled at a hole in the data): it stops counting
   * as working, but for what the venue says it filled beyond the fills seen (`remainingQty` below
   * what execution has left of it: a live venue's last fill, on its own subject, still to come),
   * which stays working until those fills come (or its own expiry), so it is not traded twice.
   * Without `remainingQty` all of it goes.
   */
  onExpired(e: Readonly<{ orderId: string; strategy: string; venue: string; symbol: string; remainingQty?: number }>): void;
  /** Reference prices and volume. */
  onMarket(md: MarketData): void;
  /**
   * Volatility (`ewma_vol`) and spread (`spread_bps`) for the policy's context. A vector's
   * `spread_bps` is its features' last quote's, repeated on every bar however old: it counts as
   * new (known at the vector's time) only when it differs from the last vector's.
   */
  onFeatures(v: FeatureVector): void;
  asset(venue: string, symbol: string): AssetView;
  stats(): ExecutionStats;
  /** The state a restart goes on from (stored with the risk book, taken with it): see `ExecutionSnapshotSchema`. */
  snapshot(): ExecutionSnapshot;
}>;

export const assetKey = (venue: string, symbol: string): string => `${venue}|${symbol}`;

/** Shared and typed readonly, not frozen: a frozen array leaves the fast path of `for…of` (an iterator result per step). */
const NO_SUGGESTIONS: readonly Suggestion[] = [];

type Working = { side: OrderSide; remaining: number; expiresAt: number };
type Parent = {
  id: string;
  source: string;
  policy: ExecutionPolicy;
  side: OrderSide;
  qty: number;
  target: number;
  /** When it was decided (its schedule's start, event time) and the time it may take. */
  startTs: number;
  horizonMs: number;
  /** Its children, sent (`next` of them) and to come; after a hole the ones to come are re-planned (`maxHoleMs`). */
  plan: readonly ChildPlan[];
  next: number;
};
type Asset = {
  venue: string;
  symbol: string;
  position: number;
  /** Children published and not yet filled, rejected or expired, by order id. */
  working: Map<string, Working>;
  parent: Parent | undefined;
  mid: number;
  /** When `mid` was known (its quote's time). */
  midAt: number;
  last: number;
  /** When `last` was known (a trade's time, a bar's close). */
  lastAt: number;
  spreadBps: number | null;
  /** When `spreadBps` was known (its quote's time): it stands `quoteMaxAgeMs` from then. */
  spreadAt: number;
  /** The last vector's `spread_bps` (NaN before one): an unchanged one is no newer quote. */
  vectorSpread: number;
  volatility: number | null;
  volume: number | null;
  /** The last prediction's price: the reference when no market data was seen. */
  predPrice: number;
  /** The last prediction's horizon (ms; 0 before one): what a parent to flat may take. */
  predHorizonMs: number;
  /** Event time before which no parent to flat is opened (after one, `flattenEveryMs` on). */
  flattenAfter: number;
  /** When the newest market data of the asset was known (a bar: its close): no child reaches the venue before. */
  knownAt: number;
  /** Event time of the event that resumed the asset's data after a hole (`maxHoleMs`), until its parent's schedule was looked at; −∞: none. */
  resumedAt: number;
};

const DEDUP_WINDOW = 100_000;

/**
 * The execution actor's deterministic core. It turns position intents into parent orders and
 * parents into child suggestions through an {@link ExecutionPolicy}; it never chooses a
 * direction: the side is the sign of `target − (position + working)`. Time is event time only:
 * children wait in the schedule until `onTime(now)` reaches them, so a replay gives identical
 * suggestions. A new intent (a target that differs by more than `minQty`) replaces an
 * unfinished parent: its unsent children are dropped, those already out stay working until
 * filled, rejected or expired, and count towards the new delta.
 */
export function createExecutionCore(opts: ExecutionCoreOptions): ExecutionCore {
  if (!(Number.isFinite(opts.minQty) && opts.minQty >= 0)) throw new RangeError(`minQty must be finite and >= 0, got ${opts.minQty}`);
  const barMs = opts.barMs ?? 60_000;
  const quoteMaxAgeMs = opts.quoteMaxAgeMs ?? DEFAULT_QUOTE_MAX_AGE_MS;
  if (!(Number.isFinite(quoteMaxAgeMs) && quoteMaxAgeMs >= 0)) throw new RangeError(`quoteMaxAgeMs must be finite and >= 0, got ${quoteMaxAgeMs}`);
  const flattenEveryMs = opts.flattenEveryMs ?? barMs;
  const flattenPolicy = opts.flattenPolicy ?? opts.policy;
  const assets = new Map<string, Asset>();
  /** Asset keys in sorted order, so outputs never depend on which asset was seen first. */
  const keys: string[] = [];
  const seenFills = new Set<string>();
  const seenOrder: string[] = [];
  const maxHoleMs = opts.maxHoleMs ?? Number.POSITIVE_INFINITY;
  if (!(maxHoleMs >= 0)) throw new RangeError(`maxHoleMs must be >= 0, got ${opts.maxHoleMs}`);
  const st = { parents: 0, replaced: 0, suggestions: 0, fills: 0, duplicateFills: 0, ignored: 0, held: 0, cancelled: 0, flattens: 0, replanned: 0, lapsed: 0 };
  const tradingOf = (a: Asset): TradingState => opts.trading?.(opts.strategy, a.symbol) ?? 'ACTIVE';
  const flatteningOf = (a: Asset): boolean => opts.flattening?.(opts.strategy, a.symbol) ?? false;

  /** The assets by venue and symbol: found per event without building their key. */
  const byVenue = new Map<string, Map<string, Asset>>();
  const assetOf = (venue: string, symbol: string): Asset => {
    let bySymbol = byVenue.get(venue);
    if (bySymbol === undefined) byVenue.set(venue, (bySymbol = new Map()));
    let a = bySymbol.get(symbol);
    if (a !== undefined) return a;
    const key = assetKey(venue, symbol);
    a = assets.get(key);
    if (a === undefined) {
      a = { venue, symbol, position: opts.positions?.[key] ?? 0, working: new Map(), parent: undefined, mid: Number.NaN, midAt: Number.NEGATIVE_INFINITY, last: Number.NaN, lastAt: Number.NEGATIVE_INFINITY, spreadBps: null, spreadAt: Number.NEGATIVE_INFINITY, vectorSpread: Number.NaN, volatility: null, volume: null, predPrice: Number.NaN, predHorizonMs: 0, flattenAfter: Number.NEGATIVE_INFINITY, knownAt: Number.NEGATIVE_INFINITY, resumedAt: Number.NEGATIVE_INFINITY };
      assets.set(key, a);
      keys.push(key);
      keys.sort();
    }
    bySymbol.set(symbol, a);
    return a;
  };

  for (const w of opts.working ?? []) {
    if (!(Number.isFinite(w.remaining) && w.remaining > 0)) throw new RangeError(`working child ${w.orderId}: remaining must be > 0, got ${w.remaining}`);
    assetOf(w.venue, w.symbol).working.set(w.orderId, { side: w.side, remaining: w.remaining, expiresAt: w.expiresAt });
  }

  if (opts.restored !== undefined) {
    if (opts.restored.strategy !== opts.strategy) throw new RangeError(`restored execution state of strategy ${opts.restored.strategy}, not ${opts.strategy}`);
    for (const s of opts.restored.assets) restoreAsset(assetOf(s.venue, s.symbol), s, opts.policy, flattenPolicy);
  }

  const workingQty = (a: Asset): number => {
    let w = 0;
    for (const o of a.working.values()) w += sideSign(o.side) * o.remaining;
    return w;
  };

  /** A child of `qty` on `side`, with the same-side children working, cannot take the position through zero (the risk checks' rule). */
  const reduces = (a: Asset, side: OrderSide, qty: number): boolean => {
    let sameSide = 0;
    for (const o of a.working.values()) if (o.side === side) sameSide += o.remaining;
    return reducesPosition(side, qty, a.position, sameSide);
  };

  /**
   * The newest price known of the asset: the last quote's mid, or the last trade's price or bar's
   * close when that was known later (quotes that stopped, a backtest's ticks that cover only part
   * of its window, must not price every later child at their last mid); a mid and a last known at
   * the same time: the mid. Before any market data, the last prediction's price.
   */
  const refPrice = (a: Asset): number => {
    if (a.mid > 0 && !(a.last > 0 && a.lastAt > a.midAt)) return a.mid;
    return a.last > 0 ? a.last : a.predPrice;
  };

  const expire = (a: Asset, now: number): void => {
    for (const [id, o] of a.working) if (now >= o.expiresAt) a.working.delete(id);
  };

  /**
   * The plan of `p`'s unsent `qty` over `[startTs, startTs + horizonMs)` by its policy, with the
   * children too small to send merged into their neighbours (as a new parent's).
   */
  const planOf = (a: Asset, p: Readonly<{ id: string; policy: ExecutionPolicy; side: OrderSide }>, qty: number, startTs: number, horizonMs: number, now: number): readonly ChildPlan[] => {
    const price = refPrice(a);
    // A spread of quotes that stopped (bars going on) is no longer the market's: none, and the policy falls back.
    const spreadBps = now - a.spreadAt <= quoteMaxAgeMs ? a.spreadBps : null;
    const ctx: MarketContext = { spreadBps, volatility: a.volatility, barMs, volume: a.volume };
    const schedule = p.policy.schedule({ id: p.id, side: p.side, qty, arrivalPrice: price, startTs, horizonMs }, ctx);
    checkPlan(p.policy, p.id, startTs, schedule);
    // Children under the venue's least order, and in any case floating-point dust (a steep
    // Almgren–Chriss path leaves slices of 1e-14 of the parent), join their neighbours: the same
    // total, no order that only counts against risk's order rate.
    const minNotional = opts.minNotional?.() ?? 0;
    const dust = DUST_SHARE * qty;
    return mergeSmallChildren(schedule, minNotional > 0 && price > 0 ? Math.max(minNotional / price, dust) : dust);
  };

  /**
   * After a hole in `a`'s data (`maxHoleMs`) that its data resumed from at `now`, a parent whose
   * next child fell due in the hole (before `now`) is re-planned from `at` over what is left of its
   * horizon (the children sent stay as they were; the new ones follow them, ids going on), or
   * lapses where the horizon ended: the overdue children are never sent together at one price.
   */
  const afterHole = (a: Asset, p: Parent, at: number, now: number): void => {
    if (!(p.next < p.plan.length && (p.plan[p.next] as ChildPlan).atTs < now)) return;
    const endTs = p.startTs + p.horizonMs;
    let unsent = 0;
    for (let i = p.next; i < p.plan.length; i++) unsent += (p.plan[i] as ChildPlan).qty;
    const rest = at < endTs ? planOf(a, p, unsent, at, endTs - at, now) : [];
    if (rest.length === 0) {
      a.parent = undefined;
      st.lapsed++;
      return;
    }
    p.plan = [...p.plan.slice(0, p.next), ...rest];
    st.replanned++;
  };

  /**
   * Publishes the parent's children due by `now`, in schedule order — by the asset's newest known
   * time when that is later: a bar stamped with its open time is known from its close.
   */
  const due = (a: Asset, now: number, out: Suggestion[]): void => {
    let p = a.parent;
    if (p === undefined) return;
    // The asset's own data is in a hole at this event (another asset's, in event-time order: nothing
    // of it for more than `maxHoleMs` past its newest known time): its children wait. Sent now, they
    // went out at its last, stale price and the paper venue cancelled them at the gap; held, its
    // next event resumes the data and the parent is re-planned there (`afterHole`) or lapses. Judged
    // from event time and the stored `knownAt` only, so a snapshot taken in the hold goes on alike.
    // A late event (the sequencer's `late()`: live, an asset marked idle whose older events come
    // after the others' later ones) has an earlier `now`: it sends no child that in order would have
    // been held (the asset's price is never more than `maxHoleMs` older than the event), and
    // `knownAt` and the re-plan follow the asset's own events, kept in their order
    // (test/execution/late-events.test.ts). A child it sends is stamped with its earlier time, so
    // published after suggestions of later events: the paper venue takes it as arriving at the
    // symbol's newest data, never filling it on a bar it passed (test/execution/paper-venue.test.ts),
    // and risk's stale check measures the asset's newest mid at that time, as in order.
    if (a.knownAt > Number.NEGATIVE_INFINITY && now - a.knownAt > maxHoleMs) return;
    const at = Math.max(now, a.knownAt);
    if (a.resumedAt === now) {
      a.resumedAt = Number.NEGATIVE_INFINITY;
      afterHole(a, p, at, now);
      p = a.parent;
      if (p === undefined) return;
    }
    while (p.next < p.plan.length && (p.plan[p.next] as ChildPlan).atTs <= at) {
      const c = p.plan[p.next] as ChildPlan;
      const trading = tradingOf(a);
      if (trading === 'HALTED' || (trading === 'REDUCING' && !reduces(a, p.side, c.qty))) {
        a.parent = undefined;
        st.cancelled++;
        return;
      }
      const ref = refPrice(a);
      const id = suggestionId(p.id, p.next);
      out.push({
        type: 'exec.suggest',
        v: 1,
        id,
        ts: now,
        strategy: opts.strategy,
        venue: a.venue,
        symbol: a.symbol,
        parentId: p.id,
        source: p.source,
        policy: p.policy.name,
        side: p.side,
        qty: c.qty,
        orderType: c.orderType,
        refPrice: ref,
        limitPrice: c.orderType === 'market' ? null : limitPriceOf(p.side, ref, c.limitOffsetBps),
        limitOffsetBps: c.limitOffsetBps,
        ttlMs: c.ttlMs,
        child: p.next,
        children: p.plan.length,
        // What it was decided with was known by then: a bar's decision at the bar's close, a child a
        // tick released at the tick. `ts` cannot say it (a 1m bar or a trade stamped on an hour
        // reads as the hourly bar of that open time); the labeler measures the order from it.
        decidedAt: at,
      });
      // A child decided on a bar (stamped with its open time) reaches the venue at the bar's close
      // and lives its TTL from there, as the paper venue and risk's book count it.
      a.working.set(orderId(id), { side: p.side, remaining: c.qty, expiresAt: Math.max(now, a.knownAt) + c.ttlMs });
      st.suggestions++;
      p.next++;
    }
    if (p.next >= p.plan.length) a.parent = undefined;
  };

  const checkPlan = (policy: ExecutionPolicy, parentId: string, startTs: number, plan: readonly ChildPlan[]): void => {
    let prev = startTs;
    for (const c of plan) {
      const ok = Number.isFinite(c.qty) && c.qty > 0 && Number.isInteger(c.atTs) && c.atTs >= prev && Number.isFinite(c.limitOffsetBps) && Number.isInteger(c.ttlMs) && c.ttlMs > 0;
      if (!ok) throw new ExecutionPolicyError(`policy ${policy.name} gave a bad child for ${parentId}: ${JSON.stringify(c)}`);
      prev = c.atTs;
    }
  };

  /**
   * Opens a parent from `position + working` to `target` (replacing an unfinished one whose target
   * differs by more than the tolerance) and returns its children already due. `from`: the least
   * start, when the parent is caused by an event known later than `a`'s own data (see `onTime`).
   */
  const openParent = (a: Asset, id: string, source: string, policy: ExecutionPolicy, target: number, now: number, horizonMs: number, from = Number.NEGATIVE_INFINITY): readonly Suggestion[] => {
    expire(a, now);
    const active = a.parent;
    const tolerance = Math.max(opts.minQty, (opts.minQtyFraction ?? 0) * Math.abs(target));
    if (active !== undefined && Math.abs(target - active.target) <= tolerance) return NO_SUGGESTIONS;
    if (active !== undefined) {
      a.parent = undefined;
      st.replaced++;
    }
    const delta = target - (a.position + workingQty(a));
    if (!(Math.abs(delta) > tolerance)) return NO_SUGGESTIONS;
    const minNotional = opts.minNotional?.() ?? 0;
    const price = refPrice(a);
    if (minNotional > 0 && Math.abs(delta) * price < minNotional) return NO_SUGGESTIONS;
    const side: OrderSide = delta > 0 ? 'buy' : 'sell';
    // The schedule starts when the decision could be made: a bar's close, not its open time (an
    // hourly bar arrives after the minutes or ticks of its hour; a plan from its open had every
    // child but the first due at once on the next event). A parent caused by another asset's event
    // (a close on a breach) starts when that event was known, not at this asset's older data.
    const startTs = Math.max(now, a.knownAt, from);
    const plan = planOf(a, { id, policy, side }, Math.abs(delta), startTs, horizonMs, now);
    // Planned after any hole in the data: none of its children fell due in it.
    a.resumedAt = Number.NEGATIVE_INFINITY;
    if (plan.length === 0) return NO_SUGGESTIONS;
    a.parent = { id, source, policy, side, qty: Math.abs(delta), target, startTs, horizonMs, plan, next: 0 };
    st.parents++;
    const out: Suggestion[] = [];
    due(a, now, out);
    return out;
  };

  /**
   * A parent to flat, if risk wants `a` closed and none was opened in the last `flattenEveryMs`: its
   * children due now. For an asset that holds a position and has nothing under way (the caller checks).
   * It starts no earlier than `known`, when the event that opens it was known: the breach may have
   * been marked on another asset's bar, closed after `a`'s newest data.
   */
  const flatten = (a: Asset, now: number, known: number): readonly Suggestion[] => {
    if (now < a.flattenAfter || !flatteningOf(a) || !(refPrice(a) > 0)) return NO_SUGGESTIONS;
    a.flattenAfter = now + flattenEveryMs;
    const opened = openParent(a, flattenParentId(opts.strategy, a.venue, a.symbol, now), FLATTEN_SOURCE, flattenPolicy, 0, now, opts.horizonMs ?? (a.predHorizonMs > 0 ? a.predHorizonMs : barMs), known);
    if (a.parent !== undefined || opened.length > 0) st.flattens++;
    return opened;
  };

  return {
    strategy: opts.strategy,
    onPrediction(p, now) {
      if (p.strategy !== opts.strategy) {
        st.ignored++;
        return [];
      }
      const a = assetOf(p.venue, p.symbol);
      a.predPrice = p.price;
      if (p.intent === null) return [];
      const trading = tradingOf(a);
      if (trading === 'HALTED') {
        st.held++;
        if (a.parent !== undefined) {
          a.parent = undefined;
          st.cancelled++;
        }
        return [];
      }
      // Reducing only: the intent is clipped to the way back to flat (never past it, never away);
      // flattening: every intent aims at flat.
      const flat = flatteningOf(a);
      const target = flat ? 0 : trading === 'REDUCING' ? towardsFlat(p.intent.target, a.position) : p.intent.target;
      a.predHorizonMs = p.horizonMs;
      return openParent(a, parentOrderId(p.id), p.id, flat ? flattenPolicy : opts.policy, target, now, opts.horizonMs ?? p.horizonMs);
    },
    onTime(now, eventKnownAt = now) {
      // On every event: most assets have nothing working and no parent, and then nothing is allocated.
      let out: Suggestion[] | undefined;
      const flattenable = opts.flattening !== undefined;
      for (const key of keys) {
        const a = assets.get(key) as Asset;
        if (a.working.size > 0) expire(a, now);
        // Flattening: a parent worked by another policy (opened before the breach) gives way to the flatten policy's.
        if (a.parent !== undefined && a.parent.policy !== flattenPolicy && flattenable && flatteningOf(a)) {
          a.parent = undefined;
          st.replaced++;
        }
        if (a.parent !== undefined) due(a, now, (out ??= []));
        if (flattenable && a.position !== 0 && a.parent === undefined && a.working.size === 0) {
          const closing = flatten(a, now, eventKnownAt);
          if (closing.length > 0) (out ??= []).push(...closing);
        }
      }
      return out ?? NO_SUGGESTIONS;
    },
    onFill(f) {
      if (f.strategy !== opts.strategy) {
        st.ignored++;
        return;
      }
      if (seenFills.has(f.id)) {
        st.duplicateFills++;
        return;
      }
      seenFills.add(f.id);
      seenOrder.push(f.id);
      if (seenOrder.length > DEDUP_WINDOW) seenFills.delete(seenOrder.shift() as string);
      st.fills++;
      const a = assetOf(f.venue, f.symbol);
      const before = Math.abs(a.position);
      // Floating-point dust of a close is flat, as the risk book and the backtest's positions count it.
      a.position = withoutDust(a.position + sideSign(f.side) * f.qty, Math.max(before, f.qty));
      const w = a.working.get(f.orderId);
      if (w === undefined) return;
      w.remaining -= f.qty;
      if (f.final || w.remaining <= DUST_SHARE * Math.max(1, f.qty)) a.working.delete(f.orderId);
    },
    onReject(r) {
      if (r.strategy !== opts.strategy) return;
      assetOf(r.venue, r.symbol).working.delete(orderId(r.suggestionId));
    },
    onExpired(e) {
      if (e.strategy !== opts.strategy) return;
      const a = assetOf(e.venue, e.symbol);
      const w = a.working.get(e.orderId);
      if (w === undefined) return;
      const awaited = e.remainingQty === undefined ? 0 : w.remaining - e.remainingQty;
      if (awaited > REPORT_TOLERANCE * w.remaining) w.remaining = awaited;
      else a.working.delete(e.orderId);
    },
    onMarket(md) {
      const a = assetOf(md.venue, md.symbol);
      const at = knownAt(md);
      // Data resuming after a hole: the parent's schedule is looked at again on this event (`due`).
      if (a.knownAt > Number.NEGATIVE_INFINITY && md.ts - a.knownAt > maxHoleMs) a.resumedAt = md.ts;
      a.knownAt = Math.max(a.knownAt, at);
      if (md.type === 'md.quote') {
        a.mid = (md.bid + md.ask) / 2;
        a.midAt = at;
        // A crossed quote (bid above ask) says nothing of the spread, as the paper venue reads it: the last good one keeps standing.
        if (md.ask >= md.bid) {
          a.spreadBps = ((md.ask - md.bid) / a.mid) * 1e4;
          a.spreadAt = md.ts;
        }
      } else if (md.type === 'md.trade') {
        a.last = md.price;
        a.lastAt = at;
      } else {
        const b: Bar = md;
        a.last = b.close;
        a.lastAt = at;
        // Per bar of `barMs`, as `ewma_vol` is: Almgren–Chriss prices impact per unit of qty/volume.
        a.volume = (b.volume * barMs) / TIMEFRAME_MS[b.tf];
      }
    },
    onFeatures(v) {
      const a = assetOf(v.venue, v.symbol);
      const vol = v.values['ewma_vol'];
      if (typeof vol === 'number' && vol > 0) a.volatility = vol;
      const sp = v.values['spread_bps'];
      if (typeof sp === 'number' && sp >= 0 && sp !== a.vectorSpread) {
        a.vectorSpread = sp;
        // A quote seen here after the vector's time is the newer spread.
        if (v.ts >= a.spreadAt) {
          a.spreadBps = sp;
          a.spreadAt = v.ts;
        }
      }
    },
    asset(venue, symbol) {
      const a = assetOf(venue, symbol);
      const p = a.parent;
      return {
        position: a.position,
        working: workingQty(a),
        parent: p === undefined ? null : { id: p.id, source: p.source, side: p.side, qty: p.qty, target: p.target, sent: p.next, children: p.plan.length },
      };
    },
    stats: () => ({ ...st }),
    // A close is told by its policy, when closes have one of their own: with one policy for both, a restored parent is worked by it either way.
    snapshot: () => ({ v: 1, strategy: opts.strategy, assets: keys.map((k) => assetState(assets.get(k) as Asset, (p) => p !== opts.policy && p === flattenPolicy)) }),
  };
}

/** What `a` holds besides its position and working children, as stored (NaN and −∞ as null). */
function assetState(a: Asset, isClose: (p: ExecutionPolicy) => boolean): ExecutionAssetState {
  const p = a.parent;
  return {
    venue: a.venue,
    symbol: a.symbol,
    knownAt: storedNumber(a.knownAt),
    mid: storedNumber(a.mid),
    midAt: storedNumber(a.midAt),
    last: storedNumber(a.last),
    lastAt: storedNumber(a.lastAt),
    spreadBps: a.spreadBps,
    spreadAt: storedNumber(a.spreadAt),
    vectorSpread: storedNumber(a.vectorSpread),
    volatility: a.volatility,
    volume: a.volume,
    predPrice: storedNumber(a.predPrice),
    predHorizonMs: a.predHorizonMs,
    flattenAfter: storedNumber(a.flattenAfter),
    parent:
      p === undefined
        ? null
        : { id: p.id, source: p.source, policy: p.policy.name, flatten: isClose(p.policy), side: p.side, qty: p.qty, target: p.target, startTs: p.startTs, horizonMs: p.horizonMs, plan: p.plan.map((c) => ({ ...c })), next: p.next },
  };
}

/** Puts a stored asset state (see {@link assetState}) back into `a`. */
function restoreAsset(a: Asset, s: ExecutionAssetState, policy: ExecutionPolicy, flattenPolicy: ExecutionPolicy): void {
  const or = (n: number | null, none: number): number => (n === null ? none : n);
  a.knownAt = or(s.knownAt, Number.NEGATIVE_INFINITY);
  a.mid = or(s.mid, Number.NaN);
  a.midAt = or(s.midAt, Number.NEGATIVE_INFINITY);
  a.last = or(s.last, Number.NaN);
  a.lastAt = or(s.lastAt, Number.NEGATIVE_INFINITY);
  a.spreadBps = s.spreadBps;
  a.spreadAt = or(s.spreadAt, Number.NEGATIVE_INFINITY);
  a.vectorSpread = or(s.vectorSpread, Number.NaN);
  a.volatility = s.volatility;
  a.volume = s.volume;
  a.predPrice = or(s.predPrice, Number.NaN);
  a.predHorizonMs = s.predHorizonMs;
  a.flattenAfter = or(s.flattenAfter, Number.NEGATIVE_INFINITY);
  const p = s.parent;
  if (p === null) return;
  const worker = p.flatten ? flattenPolicy : policy;
  if (worker.name !== p.policy) throw new RangeError(`restored parent ${p.id} was planned by ${p.policy}, not ${worker.name}`);
  a.parent = { id: p.id, source: p.source, policy: worker, side: p.side, qty: p.qty, target: p.target, startTs: p.startTs, horizonMs: p.horizonMs, plan: p.plan, next: p.next };
}

/** `target` clipped to the interval between flat and `position`: what a reducing-only account may aim for. */
export function towardsFlat(target: number, position: number): number {
  return position >= 0 ? Math.min(Math.max(target, 0), position) : Math.max(Math.min(target, 0), position);
}

/**
 * `plan` with every child under `minQty` merged into the next one (a last one into the child
 * before it): the same total, the same times for what is left, fewer children. A plan whose whole
 * quantity is under `minQty` stays one child.
 */
export function mergeSmallChildren(plan: readonly ChildPlan[], minQty: number): readonly ChildPlan[] {
  if (plan.every((c) => c.qty >= minQty)) return plan;
  const out: ChildPlan[] = [];
  let carry = 0;
  for (const c of plan) {
    const qty = c.qty + carry;
    if (qty < minQty) {
      carry = qty;
      continue;
    }
    out.push(carry === 0 ? c : { ...c, qty });
    carry = 0;
  }
  if (carry > 0) {
    const last = out.pop();
    const tail = plan[plan.length - 1] as ChildPlan;
    out.push(last === undefined ? { ...tail, qty: carry } : { ...last, qty: last.qty + carry });
  }
  return out;
}
