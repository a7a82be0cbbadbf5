import { z } from 'zod';
import type { Fill } from '../../streams/messages/fill.js';
import type { Order } from '../../streams/messages/order.js';
import type { OrderSide } from '../../streams/messages/order-side.js';
import { sideSign } from '../../streams/messages/order-side.js';
import { REPORT_TOLERANCE, withoutDust } from '../quantity-dust.js';
import { MAX_RATE_WINDOW_MS } from './risk-limits.js';
import { conversionFor, converts } from './account-currency.js';
import type { Conversion, CurrencyConfig } from './account-currency.js';

const DAY_MS = 86_400_000;

/** Approved-order times kept past the last two rate windows, at most (see `pruneOrderTimes`). */
export const ORDER_TIMES_KEPT = 1_000;

/** The index of the first time after `cutoff` in ascending `times` (its length when none is). */
function firstAfter(times: readonly number[], cutoff: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] as number) <= cutoff) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Approved orders in the rate window `(end - windowMs, end]`: see `RiskBook.ordersInWindow`.
 * `droppedAfter`: set when a window that an order at the time asked about would fall in reaches
 * back past the times the book dropped (the newest of them), and the times kept do not reach the
 * cap: how many it holds is not known.
 */
export type RateWindow = Readonly<{ count: number; end: number; droppedAfter?: number }>;

/** A book key's conversion into the account currency, and the key of the mark it reads (kind `mid`). */
type KeyConversion = Readonly<{ conversion: Conversion; venue: string; midKey: string | undefined }>;

/** Why an amount in a symbol's quote currency cannot be put in the account currency now. */
export type Unvalued = Readonly<{ symbol: string; venue: string; currency: string; via: string | undefined }>;

/** Positions are per venue × symbol: the same coin on two venues is two inventories. */
export const bookKey = (venue: string, symbol: string): string => `${venue}|${symbol}`;

const PositionSchema = z.object({ venue: z.string(), symbol: z.string(), qty: z.number(), avgCost: z.number(), realised: z.number(), lastPrice: z.number() });
const MarkSchema = z.object({ mid: z.number(), ts: z.number() });
const InFlightSchema = z.object({
  orderId: z.string(),
  key: z.string(),
  side: z.enum(['buy', 'sell']),
  remaining: z.number(),
  expiresAt: z.number(),
  /** The order's strategy and quantity (left out of snapshots written before fills were checked). */
  strategy: z.string().optional(),
  qty: z.number().optional(),
  /**
   * A limit order's limit price, which its fills may not be worse than (fill-check.ts); absent for
   * a market order, and in snapshots written before fills were checked against it (not checked).
   */
  limitPrice: z.number().optional(),
  /**
   * The order's `refPrice`, the mid it was approved against: a market order's fills may not be further
   * from it than `validation.marketFillBandBps`, a limit order's better than its limit not further past
   * it on that side, unless they are within that band of the latest mark (fill-check.ts). Absent in snapshots written before orders carried it, and for
   * limit orders in those written before their fills were held to it (their limit only is checked).
   */
  refPrice: z.number().optional(),
  /**
   * Set when the venue reported the order expired (it works it no more) with fills of it not booked
   * yet (fills and expiries travel on different subjects: a live venue's last fill may come after
   * its expiry): the quantity it filled that no fill booked. The order then counts this much in
   * flight, not `remaining`, until those fills come (or its `expiresAt` and the grace after it,
   * `RiskBook.expire`); `remaining` still bounds
   * the fills it may take (fill-check.ts).
   */
  awaited: z.number().optional(),
  /**
   * Set by a `final` fill that left some of the order unfilled (exec.fill's `final`: nothing left
   * to fill, the order filled or expired after it): what it left, which the venue works no more.
   * `remaining` is 0 then (no fill may follow), and an exec.expired of the order that says it left
   * this much is the same news, acknowledged (expiry-check.ts).
   */
  unfilled: z.number().optional(),
});
/**
 * What fill `f` leaves of order `o`: `remaining` less its quantity, or nothing after a `final` one
 * (the venue works the order no more), which records what it left unfilled (`unfilled`) when it
 * was not the order's last piece (beyond REPORT_TOLERANCE of its quantity): it expired after it.
 */
export function finalFill(o: { remaining: number; qty?: number | undefined; unfilled?: number | undefined }, f: Fill): void {
  const left = Math.max(0, o.remaining - f.qty);
  if (f.final && leavesUnfilled(o, f)) o.unfilled = left;
  o.remaining = f.final ? 0 : left;
}

/**
 * Whether fill `f` leaves more of order `o` (as the book holds it before `f`) than REPORT_TOLERANCE
 * of its quantity: a `final` one that does is the order expiring after it (see `finalFill`).
 */
export function leavesUnfilled(o: Readonly<{ remaining: number; qty?: number | undefined }>, f: Fill): boolean {
  return o.remaining - f.qty > REPORT_TOLERANCE * (o.qty ?? o.remaining);
}

/** An order no longer in flight (filled, expired or released) and the event time it left. */
const RetiredSchema = InFlightSchema.extend({ retiredAt: z.number() });
export type Position = z.infer<typeof PositionSchema>;
export type InFlightOrder = z.infer<typeof InFlightSchema>;
export type RetiredOrder = z.infer<typeof RetiredSchema>;

/** Everything needed to rebuild the book after a restart (JSON, validated on load). */
export const RiskBookSnapshotSchema = z.object({
  positions: z.array(PositionSchema),
  marks: z.array(z.tuple([z.string(), MarkSchema])),
  inFlight: z.array(InFlightSchema),
  /** Absent in snapshots written before fills were checked against their order. */
  retired: z.array(RetiredSchema).optional(),
  orderTimes: z.array(z.number()),
  /** The newest approved-order time dropped from `orderTimes` (absent: none, or a book stored before it was kept). */
  droppedThrough: z.number().optional(),
  fillIds: z.array(z.tuple([z.string(), z.number()])),
  day: z.number().nullable(),
  dayStartEquity: z.number(),
  peakEquity: z.number(),
});
export type RiskBookSnapshot = z.infer<typeof RiskBookSnapshotSchema>;

/**
 * The account's book, driven only by event time: positions with average cost and realised PnL
 * (fees included) from fills, last mids from market data, orders in flight (approved, not
 * final-filled, not expired or released: see `expire`), approved-order times for the rate throttle, and the
 * equity marks that daily loss (reset at the first event of each UTC day; the risk core rolls
 * a mark at midnight, a bar's close, into the day it closes, and a late event of a closed day
 * into that day: `toClosedDay`) and drawdown (from the highest equity seen after any fill or
 * mark) are measured against.
 *
 * Money is in the account currency (account-currency.ts): each venue × symbol's amounts, in its
 * quote currency, times its conversion rate (the latest mid of the conversion symbol on the same
 * venue, or a fixed rate). Without conversions every amount is taken as it is, as one currency.
 */
export class RiskBook {
  readonly positions = new Map<string, Position>();
  readonly marks = new Map<string, z.infer<typeof MarkSchema>>();
  readonly inFlight = new Map<string, InFlightOrder>();
  /**
   * Orders that left the in-flight set (final fill, expiry, the venue's release), for
   * `retireWindowMs` of event time after: a live venue's late fill of one is still its order's,
   * and a fill beyond what an order had left is told from a real one (see fill-check.ts).
   */
  private readonly retired = new Map<string, RetiredOrder>();
  private orderTimes: number[] = [];
  /** The newest time {@link RiskBook.pruneOrderTimes} dropped: a window reaching past it may hold orders no longer counted. */
  private droppedThrough: number | undefined;
  private readonly fillIds = new Map<string, number>();
  private day: number | null = null;
  private dayStartEquity = 0;
  private peakEquity = 0;
  /**
   * `equity()` as last computed, until a fill or the mark of a held venue × symbol changes it:
   * marks arrive on every event and the limits read equity three times per event.
   */
  private equityCache: number | undefined;
  /** `bookKey` per venue and symbol, built once (a key built per event is a string to hash per event). */
  private readonly keys = new Map<string, Map<string, string>>();
  /** The currency configuration when it converts anything (undefined: amounts taken as they are). */
  private readonly currency: CurrencyConfig | undefined;
  /** Symbols whose mid converts a quote currency: a new mark of one revalues the book. */
  private readonly conversionSymbols: ReadonlySet<string>;
  private readonly keyConversions = new Map<string, KeyConversion>();
  /** A position {@link equity} could not value (no conversion mid yet), as last computed with it. */
  private unvaluedCache: Unvalued | undefined;

  constructor(
    snapshot?: RiskBookSnapshot,
    /** How long (event time) a retired order is kept after it retired: a report of it after that is UNKNOWN_ORDER. */
    readonly retireWindowMs = DAY_MS,
    currency?: CurrencyConfig,
  ) {
    this.currency = converts(currency) ? currency : undefined;
    this.conversionSymbols = new Set(Object.values(this.currency?.conversions ?? {}).filter((c) => typeof c === 'string'));
    if (snapshot === undefined) return;
    for (const p of snapshot.positions) this.positions.set(bookKey(p.venue, p.symbol), { ...p });
    for (const [k, m] of snapshot.marks) this.marks.set(k, { ...m });
    for (const o of snapshot.inFlight) this.inFlight.set(o.orderId, { ...o });
    for (const o of snapshot.retired ?? []) this.retired.set(o.orderId, { ...o });
    // Kept ascending (see `addOrder`); a book stored before that may hold a late order's time out of place.
    this.orderTimes = [...snapshot.orderTimes].sort((a, b) => a - b);
    this.droppedThrough = snapshot.droppedThrough;
    for (const [id, ts] of snapshot.fillIds) this.fillIds.set(id, ts);
    this.day = snapshot.day;
    this.dayStartEquity = snapshot.dayStartEquity;
    this.peakEquity = snapshot.peakEquity;
  }

  /** At the first event of a new UTC day, today's PnL starts from the equity at that moment. */
  roll(ts: number): void {
    const d = Math.floor(ts / DAY_MS);
    if (this.day === null || d > this.day) {
      this.day = d;
      this.dayStartEquity = this.equity();
    }
  }

  /** Whether `ts` is in a UTC day before the book's current one: an event of it is late (see {@link RiskBook.toClosedDay}). */
  beforeDay(ts: number): boolean {
    return this.day !== null && Math.floor(ts / DAY_MS) < this.day;
  }

  /**
   * Applies `change`, a late event's (a mark or fill of a closed UTC day arriving after the day
   * rolled: {@link RiskBook.beforeDay}), and moves the day's start equity by what it changed the
   * equity: the move happened in the closed day, so today's PnL stays measured from that day's
   * close as it now stands, as if the event had come in time order. Exact when nothing of the new
   * day touched the event's venue × symbol (or its conversion) before it: otherwise what the
   * late quantity made over the new day's part (a late fill valued at today's mark rather than the
   * close, or today's fills valued at a late close) goes with it to the closed day. Drawdown still
   * counts the move (the peak is of whatever equity the book has seen).
   */
  toClosedDay(change: () => void): void {
    const before = this.equity();
    change();
    this.dayStartEquity += this.equity() - before;
  }

  /**
   * Orders the venue did not report the end of stop counting as in flight `graceMs` after their
   * `expiresAt` (event time; `risk.limits.unreportedExpiryGraceMs`): a venue stops working an order
   * there, and reports it (the paper venue at `expiresAt`, which releases it at once: `release`),
   * but a live one may still fill it a little later, which must count in the limits until it comes.
   * Returns the orders released here (undefined when none, the usual case: nothing allocated).
   */
  expire(now: number, graceMs = 0): InFlightOrder[] | undefined {
    let released: InFlightOrder[] | undefined;
    for (const o of this.inFlight.values()) {
      if (o.expiresAt + graceMs > now) continue;
      this.retire(o, now);
      (released ??= []).push(o);
    }
    return released;
  }

  /** Moves an order out of the in-flight set into the retired ones, and forgets those retired too long ago. */
  private retire(o: InFlightOrder, ts: number): void {
    this.inFlight.delete(o.orderId);
    this.retired.set(o.orderId, { ...o, retiredAt: ts });
    // Retired in event order: the oldest come first.
    const cutoff = ts - this.retireWindowMs;
    for (const [id, r] of this.retired) {
      if (r.retiredAt >= cutoff) break;
      this.retired.delete(id);
    }
  }

  /** The order a fill names, in flight or retired within the window; undefined when the book never held it (or forgot it). */
  orderOf(orderId: string): Readonly<InFlightOrder> | undefined {
    return this.inFlight.get(orderId) ?? this.retired.get(orderId);
  }

  /** A fill with this id was applied (within the dedup window): applying it again changes nothing. */
  hasFill(fillId: string): boolean {
    return this.fillIds.has(fillId);
  }

  /** A newer mid for a venue × symbol; an older one than held is ignored. */
  mark(venue: string, symbol: string, ts: number, mid: number): void {
    const key = this.keyOf(venue, symbol);
    const cur = this.marks.get(key);
    if (cur !== undefined && ts < cur.ts) return;
    this.marks.set(key, { mid, ts });
    if (this.positions.has(key) || this.conversionSymbols.has(symbol)) this.equityCache = undefined;
    this.peakEquity = Math.max(this.peakEquity, this.equity());
  }

  /** `bookKey(venue, symbol)`, the same string each time. */
  keyOf(venue: string, symbol: string): string {
    let bySymbol = this.keys.get(venue);
    if (bySymbol === undefined) this.keys.set(venue, (bySymbol = new Map()));
    let key = bySymbol.get(symbol);
    if (key === undefined) bySymbol.set(symbol, (key = bookKey(venue, symbol)));
    return key;
  }

  /** Applies a fill once (by id): position, average cost, realised PnL, the order's remainder. */
  applyFill(f: Fill, dedupWindowMs: number): boolean {
    if (this.fillIds.has(f.id)) return false;
    this.fillIds.set(f.id, f.ts);
    pruneOlder(this.fillIds, f.ts - dedupWindowMs);
    this.equityCache = undefined;
    const key = this.keyOf(f.venue, f.symbol);
    const p = this.positions.get(key) ?? { venue: f.venue, symbol: f.symbol, qty: 0, avgCost: 0, realised: 0, lastPrice: f.price };
    const d = sideSign(f.side) * f.qty;
    p.realised -= f.fee;
    p.lastPrice = f.price;
    if (p.qty === 0 || Math.sign(p.qty) === Math.sign(d)) {
      p.avgCost = (p.avgCost * Math.abs(p.qty) + f.price * f.qty) / (Math.abs(p.qty) + f.qty);
      p.qty += d;
    } else {
      const before = Math.abs(p.qty);
      const closing = Math.min(f.qty, before);
      p.realised += closing * (f.price - p.avgCost) * Math.sign(p.qty);
      p.qty += d;
      // Floating-point dust of a close (0.1 + 0.2 bought, 0.3 sold) is flat, as the backtest's
      // positions count it: a book never holds 4e-19 BTC.
      p.qty = withoutDust(p.qty, Math.max(before, f.qty));
      if (p.qty === 0) p.avgCost = 0;
      else if (f.qty > before) p.avgCost = f.price; // flipped: what is open was bought or sold now
    }
    this.positions.set(key, p);
    const o = this.inFlight.get(f.orderId);
    if (o !== undefined) {
      finalFill(o, f);
      // Expired with fills to come: done once they came (what is left the venue no longer works).
      if (o.awaited !== undefined) {
        const left = o.awaited - f.qty;
        o.awaited = f.final || left <= REPORT_TOLERANCE * (o.qty ?? o.awaited) ? 0 : left;
      }
      if (o.remaining === 0 || o.awaited === 0) this.retire(o, f.ts);
    } else {
      const r = this.retired.get(f.orderId);
      if (r !== undefined) finalFill(r, f);
    }
    this.peakEquity = Math.max(this.peakEquity, this.equity());
    return true;
  }

  /**
   * When an order decided at `ts` exists: an order decided on a bar is stamped with the bar's open
   * time but exists from its close (the mark's time, see market-mid.ts). Its `expiresAt` counts
   * from here, so a consumer reading it against the wall clock gets the whole time-to-live.
   */
  existsFrom(venue: string, symbol: string, ts: number): number {
    const markTs = this.marks.get(this.keyOf(venue, symbol))?.ts;
    return markTs !== undefined && markTs > ts ? markTs : ts;
  }

  addOrder(o: Order): void {
    const key = this.keyOf(o.venue, o.symbol);
    // In flight as long as the paper venue keeps it working: until its `expiresAt` (see existsFrom).
    this.inFlight.set(o.id, { orderId: o.id, key, side: o.side, remaining: o.qty, expiresAt: o.expiresAt, strategy: o.strategy, qty: o.qty, ...(o.limitPrice !== null ? { limitPrice: o.limitPrice } : {}), ...(o.refPrice !== undefined ? { refPrice: o.refPrice } : {}) });
    // In time order, not arrival order: `ordersInWindow` binary-searches them. An order decided on
    // a late event (live: the sequencer's `late()`, or suggestions of several strategies reaching the
    // standalone actor out of order) has a time before orders already approved; appended, it hid
    // them from the window's search and the throttle let orders past `maxOrdersPerWindow`.
    const times = this.orderTimes;
    const last = times.at(-1);
    if (last === undefined || o.ts >= last) times.push(o.ts);
    else times.splice(firstAfter(times, o.ts), 0, o.ts);
  }

  /**
   * Approved orders in `(now - windowMs, now]`; for a late `now` (orders approved after it in time
   * already: see `addOrder`), the most in any window `(s - windowMs, s]` that an order at `now`
   * would fall in (`now ≤ s < now + windowMs`), counted until `cap` is reached: the limit is on any
   * window of event time, and an order at `now` must not put one of the later windows past it. In
   * time order that is the window ending at `now`. `end`: the end of the window counted (the first
   * to reach `cap`, else the fullest; `now` in time order), for a refusal to name it. When none of
   * them reaches `cap` but the earliest reaches back past the times pruned (an order decided on an
   * event later than the times kept reach: see {@link RiskBook.pruneOrderTimes}), `droppedAfter`
   * says so: the count is of the times kept only. A read: the times it no longer needs are dropped
   * by `pruneOrderTimes`.
   */
  ordersInWindow(now: number, windowMs: number, cap: number): RateWindow {
    const times = this.orderTimes;
    const first = firstAfter(times, now - windowMs);
    const upTo = firstAfter(times, now);
    let count = upTo - first;
    let end = now;
    // Orders after `now` (none in time order): each window ending at one of them and holding `now`.
    for (let j = upTo; j < times.length && count < cap; j++) {
      const s = times[j] as number;
      if (s - windowMs >= now) break;
      const inWindow = firstAfter(times, s) - firstAfter(times, s - windowMs);
      if (inWindow > count) {
        count = inWindow;
        end = s;
      }
    }
    // Times are dropped oldest first: only the window ending at `now` reaches back the furthest.
    const dropped = this.droppedThrough;
    if (count < cap && dropped !== undefined && dropped > now - windowMs) return { count, end, droppedAfter: dropped };
    return { count, end };
  }

  /**
   * Drops the approved-order times the rate window no longer needs once event time reached `now`
   * (the risk core calls it with each suggestion it checks), relative to the newest time the book
   * knows (`now`, or an order approved after it): kept are every time in the last two windows (so
   * the count at the newest time is the same before or after), and the newest
   * {@link ORDER_TIMES_KEPT} of the longest window the limits allow ({@link MAX_RATE_WINDOW_MS}),
   * whatever the cap. Those serve two cases: a window an operator raised counts the orders
   * approved before it (dropping all older than the current window let a burst through until the
   * new window filled), and an order decided on an event more than a window late (live: the
   * sequencer's `late()`) is counted against the orders of its own windows (keeping two windows,
   * or the cap's worth, dropped them once the account had approved a few later orders, and the
   * throttle let it through a window already full). A window reaching back past the times dropped
   * (further than {@link ORDER_TIMES_KEPT} orders or a day) is counted as reaching the cap (see
   * `droppedAfter`): the snapshot stays bounded and the throttle never counts short.
   */
  pruneOrderTimes(now: number, windowMs: number): void {
    const times = this.orderTimes;
    const newest = Math.max(now, times.at(-1) ?? now);
    const kept = firstAfter(times, newest - 2 * windowMs);
    const from = Math.min(kept, Math.max(times.length - ORDER_TIMES_KEPT, firstAfter(times, newest - MAX_RATE_WINDOW_MS)));
    if (from === 0) return;
    this.droppedThrough = times[from - 1] as number; // the newest dropped: every time kept is later (one decided before it is refused)
    this.orderTimes = times.slice(from);
  }

  positionQty(key: string): number {
    return this.positions.get(key)?.qty ?? 0;
  }

  /**
   * The venue works the order no more (it expired, or was cancelled at a hole in the data): retired
   * at `ts`, or, when it says it filled `awaited` more than the fills booked so far, kept in flight
   * for that much only until those fills come (see `awaited` in the snapshot). False when it was
   * not in flight or its expiry was applied already.
   */
  release(orderId: string, ts: number, awaited = 0): boolean {
    const o = this.inFlight.get(orderId);
    if (o === undefined || o.awaited !== undefined) return false;
    if (awaited > 0) o.awaited = Math.min(awaited, o.remaining);
    else this.retire(o, ts);
    return true;
  }

  /** In flight and, as far as the book knows, still worked by the venue: no expiry of it applied. */
  worked(orderId: string): boolean {
    const o = this.inFlight.get(orderId);
    return o !== undefined && o.awaited === undefined;
  }

  /** Quantity still to fill on one side of a venue × symbol. */
  inFlightQty(key: string, side: OrderSide): number {
    let q = 0;
    for (const o of this.inFlight.values()) if (o.key === key && o.side === side) q += o.awaited ?? o.remaining;
    return q;
  }

  /** Last mid, else the last fill price (a position always has one of them). */
  priceOf(key: string): number | undefined {
    return this.marks.get(key)?.mid ?? this.positions.get(key)?.lastPrice;
  }

  /** How `key`'s quote amounts convert, and from which mark (built once per key). */
  private keyConversion(key: string): KeyConversion {
    let kc = this.keyConversions.get(key);
    if (kc === undefined) {
      const bar = key.indexOf('|');
      const venue = key.slice(0, bar);
      const conversion = conversionFor(this.currency, key.slice(bar + 1));
      kc = { conversion, venue, midKey: conversion.kind === 'mid' ? this.keyOf(venue, conversion.symbol) : undefined };
      this.keyConversions.set(key, kc);
    }
    return kc;
  }

  /**
   * Account-currency units per unit of `key`'s quote currency now: 1 without conversions, else the
   * fixed rate or the conversion symbol's latest mid (inverted for an account in its base); undefined
   * when that mid is not known yet (or the currency has no conversion).
   */
  rateOf(key: string): number | undefined {
    if (this.currency === undefined) return 1;
    const { conversion: c, midKey } = this.keyConversion(key);
    if (c.kind === 'same') return 1;
    if (c.kind === 'fixed') return c.rate;
    if (c.kind === 'none' || midKey === undefined) return undefined;
    const m = this.marks.get(midKey);
    if (m === undefined) return undefined;
    return c.invert ? 1 / m.mid : m.mid;
  }

  /** The mark a venue × symbol's conversion reads (kind `mid` only), with what it converts, for the pre-trade check. */
  conversionMark(key: string): Readonly<{ symbol: string; venue: string; currency: string; mark: Readonly<{ mid: number; ts: number }> | undefined }> | undefined {
    if (this.currency === undefined) return undefined;
    const { conversion: c, venue, midKey } = this.keyConversion(key);
    if (c.kind !== 'mid' || midKey === undefined) return undefined;
    return { symbol: c.symbol, venue, currency: c.currency, mark: this.marks.get(midKey) };
  }

  /** The account currency (when amounts are converted). */
  accountCurrency(): string | undefined {
    return this.currency?.accountCurrency;
  }

  /** A position that cannot be valued in the account currency now (its conversion mid not seen yet): equity leaves it out. */
  unvalued(): Unvalued | undefined {
    this.equity();
    return this.unvaluedCache;
  }

  unrealised(p: Position): number {
    if (p.qty === 0) return 0;
    return p.qty * ((this.priceOf(bookKey(p.venue, p.symbol)) ?? p.avgCost) - p.avgCost);
  }

  /** Realised PnL (fees included) of every position, in the account currency. */
  realised(): number {
    let r = 0;
    if (this.currency === undefined) for (const p of this.positions.values()) r += p.realised;
    else for (const [key, p] of this.positions) r += p.realised * (this.rateOf(key) ?? 0);
    return r;
  }

  /** Realised + unrealised PnL of every position, in the account currency (one it cannot value left out: see `unvalued`). */
  equity(): number {
    if (this.equityCache !== undefined) return this.equityCache;
    let e = 0;
    this.unvaluedCache = undefined;
    // Positions are held under their own key: `unrealised(p)` without building it again.
    if (this.currency === undefined) {
      for (const [key, p] of this.positions) e += p.realised + (p.qty === 0 ? 0 : p.qty * ((this.priceOf(key) ?? p.avgCost) - p.avgCost));
    } else {
      for (const [key, p] of this.positions) {
        const rate = this.rateOf(key);
        if (rate === undefined) {
          this.unvaluedCache ??= this.unvaluedOf(key, p);
          continue;
        }
        e += (p.realised + (p.qty === 0 ? 0 : p.qty * ((this.priceOf(key) ?? p.avgCost) - p.avgCost))) * rate;
      }
    }
    this.equityCache = e;
    return e;
  }

  private unvaluedOf(key: string, p: Position): Unvalued {
    const c = this.keyConversion(key).conversion;
    return { symbol: p.symbol, venue: p.venue, currency: c.kind === 'mid' || c.kind === 'none' ? c.currency : '?', via: c.kind === 'mid' ? c.symbol : undefined };
  }

  /** Loss since the start of the UTC day (positive = lost money). */
  dailyLoss(): number {
    return this.dayStartEquity - this.equity();
  }

  /** PnL since the start of the UTC day. */
  dailyPnl(): number {
    return this.equity() - this.dayStartEquity;
  }

  drawdown(): number {
    return this.peakEquity - this.equity();
  }

  peak(): number {
    return this.peakEquity;
  }

  /**
   * Gross exposure, each venue × symbol at its worst case over its orders in flight
   * (`max(|pos + buys|, |pos − sells|)`) times its price, in the account currency (one whose
   * conversion mid is not known counts 0: the pre-trade check refuses while it is missing);
   * `extra` adds a prospective order.
   */
  grossExposure(extra?: Readonly<{ key: string; side: OrderSide; qty: number; price: number }>): number {
    // Every venue × symbol held or with an order in flight, each once: the positions' keys, then
    // the keys only orders (or `extra`) have. No set is built: this runs twice per suggestion.
    let gross = 0;
    for (const key of this.positions.keys()) gross += this.worstCase(key, extra);
    for (const o of this.inFlight.values()) if (!this.positions.has(o.key) && this.firstInFlight(o.key) === o) gross += this.worstCase(o.key, extra);
    if (extra !== undefined && !this.positions.has(extra.key) && this.firstInFlight(extra.key) === undefined) gross += this.worstCase(extra.key, extra);
    return gross;
  }

  /** The first order in flight on `key`, in the book's order (so each key is counted once). */
  private firstInFlight(key: string): InFlightOrder | undefined {
    for (const o of this.inFlight.values()) if (o.key === key) return o;
    return undefined;
  }

  /** One venue × symbol's part of {@link grossExposure}. */
  private worstCase(key: string, extra: Readonly<{ key: string; side: OrderSide; qty: number; price: number }> | undefined): number {
    const pos = this.positionQty(key);
    let buys = this.inFlightQty(key, 'buy');
    let sells = this.inFlightQty(key, 'sell');
    if (extra !== undefined && extra.key === key) {
      if (extra.side === 'buy') buys += extra.qty;
      else sells += extra.qty;
    }
    const worst = Math.max(Math.abs(pos + buys), Math.abs(pos - sells));
    if (worst === 0) return 0;
    const price = this.priceOf(key) ?? (extra !== undefined && extra.key === key ? extra.price : 0);
    return this.currency === undefined ? worst * price : worst * price * (this.rateOf(key) ?? 0);
  }

  /** Σ |position| × its price (last mid, else last fill), orders in flight not counted: the exposure held now, in the account currency. */
  heldGross(): number {
    let gross = 0;
    for (const [key, p] of this.positions) if (p.qty !== 0) gross += this.valueOf(key, Math.abs(p.qty) * (this.priceOf(key) ?? 0));
    return gross;
  }

  /** An amount in `key`'s quote currency in the account currency (0 when it cannot be valued now). */
  private valueOf(key: string, amount: number): number {
    return this.currency === undefined ? amount : amount * (this.rateOf(key) ?? 0);
  }

  /**
   * Nothing left to close: no order in flight, and no position worth `minNotional` (account
   * currency) or more at its price (what is left under the venue's least order could not be sold or
   * bought back anyway). A position that cannot be valued now is not flat.
   */
  flatBelow(minNotional: number): boolean {
    if (this.inFlight.size > 0) return false;
    for (const [key, p] of this.positions) {
      if (p.qty === 0) continue;
      const rate = this.rateOf(key);
      if (rate === undefined || Math.abs(p.qty) * (this.priceOf(key) ?? 0) * rate >= minNotional) return false;
    }
    return true;
  }

  snapshot(): RiskBookSnapshot {
    return {
      positions: [...this.positions.values()].map((p) => ({ ...p })),
      marks: [...this.marks.entries()].map(([k, m]) => [k, { ...m }]),
      inFlight: [...this.inFlight.values()].map((o) => ({ ...o })),
      retired: [...this.retired.values()].map((o) => ({ ...o })),
      orderTimes: [...this.orderTimes],
      ...(this.droppedThrough !== undefined ? { droppedThrough: this.droppedThrough } : {}),
      fillIds: [...this.fillIds.entries()],
      day: this.day,
      dayStartEquity: this.dayStartEquity,
      peakEquity: this.peakEquity,
    };
  }
}

/** Drops entries older than `cutoff` from a map kept in (roughly) time order. */
export function pruneOlder(m: Map<string, number>, cutoff: number): void {
  for (const [k, ts] of m) {
    if (ts >= cutoff) return;
    m.delete(k);
  }
}
