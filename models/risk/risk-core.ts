import { createActor } from 'xstate';
import { z } from 'zod';
import { restoreRiskSnapshot, riskMachine, tradingStateOf } from '../../state/risk-machine.js';
import type { BreachKind } from '../../state/risk-machine.js';
import type { Fill } from '../../streams/messages/fill.js';
import type { Order } from '../../streams/messages/order.js';
import { orderId } from '../../streams/messages/order.js';
import type { Reject } from '../../streams/messages/reject.js';
import { rejectId } from '../../streams/messages/reject.js';
import type { RiskState, TradingState } from '../../streams/messages/risk-state.js';
import { TradingStateSchema } from '../../streams/messages/risk-state.js';
import type { Suggestion } from '../../streams/messages/suggestion.js';
import { bookKey, RiskBook, RiskBookSnapshotSchema } from './risk-book.js';
import type { InFlightOrder, RiskBookSnapshot } from './risk-book.js';
import { DEFAULT_FILL_PRICE_TOLERANCE_BPS, DEFAULT_MARKET_FILL_BAND_BPS, fillMismatch } from './fill-check.js';
import type { FillMismatch } from './fill-check.js';
import { awaitedFills, expiryMismatch } from './expiry-check.js';
import type { Expiry } from '../../streams/messages/expiry.js';
import { pastLimitText } from './amount-text.js';
import { checkSuggestion } from './risk-checks.js';
import { applyLimitsPatch, parseRiskLimits, RiskLimitsError } from './risk-limits.js';
import { accountCurrencyOf, currencyProblem } from './account-currency.js';
import type { CurrencyConfig } from './account-currency.js';
import type { RiskLimits, RiskLimitsInput } from './risk-limits.js';
import { createSeenSuggestions, SeenSchema } from './seen-suggestions.js';

export type HaltScope = 'all' | 'strategy' | 'symbol';
export type ScopedHalt = Readonly<{ scope: 'strategy' | 'symbol'; value: string; reason: string }>;

/** The operator-controlled part: persisted apart from the book so a halt is written at once. */
export const TradingSnapshotSchema = z.object({
  state: TradingStateSchema,
  reason: z.string(),
  scopedHalts: z.array(z.object({ scope: z.enum(['strategy', 'symbol']), value: z.string().min(1), reason: z.string() })),
  /** REDUCING while execution closes every position (a snapshot written before this field: false). */
  flattening: z.boolean().default(false),
  /** Count of RiskState messages so far: their deterministic ids. */
  seq: z.number().int().nonnegative(),
});
export type TradingSnapshot = z.infer<typeof TradingSnapshotSchema>;
/** The id of the risk.state message of an account's change `seq` (its trading snapshot's `seq`). */
export const riskStateId = (account: string, seq: number): string => `rs:${account}:${seq}`;

/** The book plus the suggestion ids seen, for dedup after a restart. */
export const CoreBookSnapshotSchema = z.object({ book: RiskBookSnapshotSchema, seen: SeenSchema });
export type CoreBookSnapshot = z.infer<typeof CoreBookSnapshotSchema>;

export type RiskCoreOptions = Readonly<{
  account: string;
  limits?: RiskLimitsInput;
  /** Where trading stood (`flattening` may be left out: snapshots written before it). */
  trading?: z.input<typeof TradingSnapshotSchema>;
  book?: CoreBookSnapshot;
  /** How long suggestion and fill ids are remembered for dedup (event time; default 24 h). */
  dedupWindowMs?: number;
  /**
   * How far past its limit, in bps of it, a reported fill's price may be (config
   * `validation.fillPriceToleranceBps`; default {@link DEFAULT_FILL_PRICE_TOLERANCE_BPS}): a worse
   * one is refused (ORDER_MISMATCH, `checkFill`).
   */
  fillPriceToleranceBps?: number;
  /**
   * How far from its `refPrice` (the mid it was approved against), or from the latest mid the book
   * holds for its venue × symbol, in bps of it, a reported fill of a market order may be (config
   * `validation.marketFillBandBps`; default {@link DEFAULT_MARKET_FILL_BAND_BPS}): one further from
   * both is refused (ORDER_MISMATCH, `checkFill`).
   */
  marketFillBandBps?: number;
  /**
   * The account currency and the conversions into it (config `risk.accountCurrency`,
   * `risk.conversions`): every money limit and PnL figure is in it. Left out: the allowlist's one
   * quote currency (an allowlist in two is refused: RiskLimitsError).
   */
  currency?: CurrencyConfig;
  /**
   * Told of each order the book released because its `expiresAt` and the grace after it
   * (`limits.unreportedExpiryGraceMs`) passed in event time with no report of its end (see
   * `RiskBook.expire`), at the event time it did: the risk actor logs it. Counted either way
   * (`releasedAfterGrace`).
   */
  onReleasedAfterGrace?: (o: Readonly<InFlightOrder>, now: number, graceMs: number) => void;
}>;

export type RiskDecision = (Readonly<{ kind: 'order'; order: Order }> | Readonly<{ kind: 'reject'; reject: Reject }>) &
  Readonly<{
    /** True for an identical redelivery: the earlier decision, unchanged (publish dedups on its id). */
    replay: boolean;
    /** Trading-state changes this suggestion caused (a limit breach found on arrival). */
    stateChanges: readonly RiskState[];
  }>;

/** An operator's halt / resume / reduce as it arrives over `sextant ctl` (validate before calling). */
export const ControlRequestSchema = z
  .object({
    scope: z.enum(['all', 'strategy', 'symbol']).default('all'),
    value: z.string().min(1).max(64).optional(),
    reason: z.string().min(1).max(500),
    /** `reduce` only: also close every position, and halt once flat. */
    flatten: z.boolean().optional(),
  })
  .strict()
  .refine((r) => r.scope === 'all' || r.value !== undefined, { message: 'a strategy or symbol halt needs a value' });
export type ControlRequest = z.infer<typeof ControlRequestSchema>;

export type MarketMid = Readonly<{ venue: string; symbol: string; ts: number; mid: number }>;
export type ControlArgs = Readonly<{ scope?: HaltScope; value?: string; reason: string; ts: number; flatten?: boolean }>;

export type RiskStatus = Readonly<{
  account: string;
  /** The currency of `pnl` and the money limits (null: nothing allowlisted or held to tell it). */
  currency: string | null;
  state: TradingState;
  reason: string;
  /** REDUCING while execution closes every position; HALTED follows once flat. */
  flattening: boolean;
  scopedHalts: readonly ScopedHalt[];
  positions: readonly Readonly<{ venue: string; symbol: string; qty: number; avgCost: number; realised: number; unrealised: number; price: number | null }>[];
  pnl: Readonly<{ realised: number; unrealised: number; equity: number; daily: number; peak: number; drawdown: number }>;
  /** The event time of the newest mark (price) the book holds: how far the engine has got; null before the first. */
  asOf: number | null;
  inFlight: readonly StatusInFlightOrder[];
  limits: RiskLimits;
}>;

/**
 * An order in flight as `status` shows it. `inGraceUntil`: set once its `expiresAt` is at or before
 * `asOf` with the order still counted (no expiry, `final` fill or fill of all of it reported; or an
 * expiry that said fills were still to come, not those fills): it counts in the position and
 * exposure limits until this event time (`expiresAt` + `limits.unreportedExpiryGraceMs`), and is
 * released unreported at the first check at or past it (`releasedAfterGrace`).
 */
export type StatusInFlightOrder = InFlightOrder & Readonly<{ inGraceUntil?: number }>;

export type RiskCore = ReturnType<typeof createRiskCore>;

/** No state change: what `onMarket` answers on nearly every event, shared. */
const NO_STATES: readonly RiskState[] = []; // shared and typed readonly, not frozen (see execution-core NO_SUGGESTIONS)

export class RiskControlError extends Error {
  override readonly name = 'RiskControlError';
}

/**
 * The risk actor's deterministic core: every suggestion goes through here and comes out as an
 * order (the only actionable message) or a reject with every reason that applied. Synchronous,
 * no clock: time is the event time handed in, ids derive from the suggestion id, so a replay of
 * the same inputs gives the same outputs. The caller publishes and persists what comes out.
 */
export function createRiskCore(opts: RiskCoreOptions) {
  const account = opts.account;
  const dedupWindowMs = opts.dedupWindowMs ?? 86_400_000;
  const fillPriceToleranceBps = opts.fillPriceToleranceBps ?? DEFAULT_FILL_PRICE_TOLERANCE_BPS;
  const marketFillBandBps = opts.marketFillBandBps ?? DEFAULT_MARKET_FILL_BAND_BPS;
  const currency = opts.currency;
  const book = new RiskBook(opts.book?.book, dedupWindowMs, currency);
  /** Orders whose exec.expired repeated what their `final` fill said (`recordFinalFillExpiry`). */
  const finalConfirmed = new Set<string>();
  /** The symbols amounts are counted for: those `next` allows and those the book holds. */
  const tradedWith = (next: RiskLimits): string[] => [...new Set([...next.allowlist, ...[...book.positions.values()].map((p) => p.symbol)])];
  /** `next`, once its symbols' quote currencies are known to convert into the account currency. */
  const checkedCurrencies = (next: RiskLimits, patch: boolean): RiskLimits => {
    const problem = currencyProblem(currency, tradedWith(next));
    if (problem === undefined) return next;
    throw new RiskLimitsError(patch ? `invalid risk limits patch: ${problem}; nothing changed` : `risk limits of account ${opts.account}: ${problem}`);
  };
  let limits = checkedCurrencies(parseRiskLimits(opts.limits ?? {}), false);
  const seen = createSeenSuggestions(opts.book?.seen);
  const t0 = opts.trading ?? { state: 'ACTIVE', reason: 'start', scopedHalts: [], seq: 0 };
  let scopedHalts: ScopedHalt[] = t0.scopedHalts.map((h) => ({ ...h }));
  let seq = t0.seq;
  /** The trading-state machine started in the state of `t` (a trading snapshot). */
  const machineOf = (t: z.input<typeof TradingSnapshotSchema>) => createActor(riskMachine, { snapshot: restoreRiskSnapshot(t.state, t.reason, t.flattening ?? false) }).start();
  let machine = machineOf(t0);
  const state = (): TradingState => tradingStateOf(machine.getSnapshot());
  const reason = (): string => machine.getSnapshot().context.reason;
  const flattening = (): boolean => machine.getSnapshot().context.flattening;

  /**
   * Runs `change`, and returns a RiskState message when state, reason or scoped halts moved.
   * `scopedReason`: the operator's reason for a halt or resume of one strategy or symbol, which
   * leaves the account's own `reason` as it was.
   */
  const tracked = (ts: number, change: () => void, scopedReason?: string): RiskState[] => {
    const before = { state: state(), reason: reason(), flattening: flattening(), halts: JSON.stringify(scopedHalts) };
    change();
    if (before.state === state() && before.reason === reason() && before.flattening === flattening() && before.halts === JSON.stringify(scopedHalts)) return [];
    seq++;
    return [
      {
        type: 'risk.state',
        v: 1,
        id: riskStateId(account, seq),
        ts,
        account,
        state: state(),
        previous: before.state,
        reason: reason(),
        scopedHalts: scopedHalts.map((h) => ({ scope: h.scope, value: h.value, reason: h.reason })),
        ...(scopedReason === undefined ? {} : { scopedReason }),
      },
    ];
  };

  const newestMark = (): number | null => {
    let at: number | null = null;
    for (const m of book.marks.values()) if (at === null || m.ts > at) at = m.ts;
    return at;
  };

  /** The book is past a loss limit now (its day already rolled). */
  const dailyLossBreached = (): boolean => book.dailyLoss() > limits.maxDailyLoss;
  const drawdownBreached = (): boolean => book.drawdown() > limits.maxDrawdown;
  /**
   * Rolls the day to `ts` (with `roll`) and halts on a daily-loss or drawdown breach; returns which
   * limits are breached. The book's UTC day rolls with event time only (every mark, fill and
   * suggestion rolls it): an operator's command carries the engine clock's time, which in a replay is
   * not the data's (it would move the day to today's date and daily loss would never reset again).
   */
  const breaches = (ts: number, out: RiskState[], roll = true): { dailyLoss: boolean; drawdown: boolean } => {
    if (roll) book.roll(ts);
    const b = { dailyLoss: dailyLossBreached(), drawdown: drawdownBreached() };
    if (b.dailyLoss) breach(ts, out, 'DAILY_LOSS', () => `daily loss ${pastLimitText(book.dailyLoss(), '>', limits.maxDailyLoss)}`);
    if (b.drawdown) breach(ts, out, 'DRAWDOWN', () => `drawdown ${pastLimitText(book.drawdown(), '>', limits.maxDrawdown)}`);
    return b;
  };
  /**
   * Before an operator's resume or limits change: starts the day the data has reached. A mark at
   * midnight (the last bar of a day, closed then) counts to the day it closes (`onMarket`), and the
   * new day began at the next mark, fill or suggestion: a halted account makes no suggestion, so
   * after a daily-loss halt a resume just after midnight met the closed day's loss and halted again
   * until the next bar closed (an hour of 1h bars; a whole day of 1d bars). The data is at midnight:
   * the day starts from the prices then, as the next suggestion would start it. Event time only
   * (the newest mark, never the command's clock), so a replay decides the same.
   */
  const rollToData = (): void => {
    const at = newestMark();
    if (at !== null) book.roll(at);
  };
  /** Not a closure made per check: `breaches` runs on every event, a breach rarely. */
  const breach = (ts: number, out: RiskState[], kind: BreachKind, detail: () => string): void => {
    // A flattening account stays flattening through a breach (the machine ignores it): the breach
    // usually lasts until flat, and nothing need be sent on every event. The detail is written only
    // past this point: a halted account stays past its limit on every later event.
    if (state() === 'HALTED' || flattening()) return;
    out.push(...tracked(ts, () => machine.send({ type: 'LIMIT_BREACH', kind, detail: detail(), flatten: limits.onBreach === 'flatten' })));
  };
  /** Orders the book released at the end of their grace, nothing reported (see `expire`), since this core started. */
  let releasedAfterGrace = 0;
  /**
   * Releases the orders whose `expiresAt` and grace (`unreportedExpiryGraceMs`) passed by `now`
   * with no report of their end, counting each: a live venue that reports its expiries (or last
   * fills) late, or not at all. An expiry or final fill reported in time releases an order before.
   */
  const expire = (now: number): void => {
    const released = book.expire(now, limits.unreportedExpiryGraceMs);
    if (released === undefined) return;
    releasedAfterGrace += released.length;
    for (const o of released) opts.onReleasedAfterGrace?.(o, now, limits.unreportedExpiryGraceMs);
  };
  /** A flattening account with nothing left to close halts (FLAT); checked after fills and marks, only while flattening. */
  const haltWhenFlat = (ts: number, out: RiskState[]): void => {
    if (!flattening()) return;
    expire(ts);
    if (book.flatBelow(limits.minOrderNotional)) out.push(...tracked(ts, () => machine.send({ type: 'FLAT' })));
  };

  /** The scoped halt (of the strategy or the symbol) in force for them, if any. */
  const haltCovering = (strategy: string, symbol: string): ScopedHalt | undefined => scopedHalts.find((x) => (x.scope === 'strategy' ? x.value === strategy : x.value === symbol));
  const scopedHaltFor = (s: Suggestion): string | undefined => {
    const h = haltCovering(s.strategy, s.symbol);
    return h === undefined ? undefined : `${h.scope} ${h.value} halted: ${h.reason}`;
  };

  const scoped = (a: ControlArgs): { scope: 'strategy' | 'symbol'; value: string } | undefined => {
    const scope = a.scope ?? 'all';
    if (scope === 'all') return undefined;
    if (a.value === undefined || a.value === '') throw new RiskControlError(`a ${scope} halt needs a value`);
    return { scope, value: a.value };
  };

  return {
    account,

    onMarket(m: MarketMid): readonly RiskState[] {
      if (!Number.isFinite(m.mid) || m.mid <= 0) return NO_STATES;
      // A mark is the price at the end of what led up to it (a bar's close, stamped with its close
      // time): one at midnight is the last price of the day it closes. Rolled with `m.ts`, the last
      // bar of a day was counted to the next (the new day started from the previous bar's prices),
      // so a loss made in it was charged again the next day and halted a resume all that day. The
      // next day starts at its first fill, suggestion or later mark, from the prices at midnight.
      book.roll(m.ts - 1);
      // A mark of a closed day arriving late (another asset already in the new day) moves that
      // day's close, not today's PnL: see RiskBook.toClosedDay.
      if (book.beforeDay(m.ts - 1)) book.toClosedDay(() => book.mark(m.venue, m.symbol, m.ts, m.mid));
      else book.mark(m.venue, m.symbol, m.ts, m.mid);
      // On every event: no breach (the usual case) allocates nothing but the empty answer.
      if (!dailyLossBreached() && !drawdownBreached() && !flattening()) return NO_STATES;
      const out: RiskState[] = [];
      breaches(m.ts, out, false);
      haltWhenFlat(m.ts, out);
      return out;
    },

    /**
     * The venue reports an order it no longer works, quantity left (expired, or cancelled at a
     * hole in the data): it stops counting in flight now rather than at its own expiry — in the
     * position, exposure and reduce-only checks, and for a flattening account that may now be flat.
     * When the venue says it filled more than the fills booked (`remainingQty` below what the book
     * has left: a live venue's last fill, on its own subject, still to come), that part, and only
     * that, stays in flight until its fills come or the order's `expiresAt`; the fills are booked
     * as any (position, PnL). Without `remainingQty` (an order released at start-up) all of it goes.
     * An expiry of an order whose expiry was applied already changes nothing.
     */
    onExpired(e: Readonly<{ orderId: string; ts: number; remainingQty?: number }>): RiskState[] {
      const out: RiskState[] = [];
      const o = book.inFlight.get(e.orderId);
      const awaited = o === undefined || e.remainingQty === undefined ? 0 : awaitedFills(o, e.remainingQty);
      if (book.release(e.orderId, e.ts, awaited)) haltWhenFlat(e.ts, out);
      return out;
    },

    /** Whether a fill reported from outside is of an order this account approved, as approved (see fill-check.ts). */
    checkFill: (f: Fill): FillMismatch | undefined => fillMismatch(book, f, fillPriceToleranceBps, marketFillBandBps),

    /** Whether an expiry reported from outside is of an order this account approved, with quantity left (see expiry-check.ts). */
    checkExpiry: (e: Expiry): FillMismatch | undefined => expiryMismatch(book, e),

    /**
     * Orders released unreported since this core started: their `expiresAt` and the grace after it
     * (`limits.unreportedExpiryGraceMs`) passed in event time with no expiry or final fill reported
     * (or, for one whose expiry said fills were to come, not those fills). 0 with the paper venue.
     */
    releasedAfterGrace: (): number => releasedAfterGrace,

    /** Whether this order is in flight: approved, not final-filled, not expired or released (across restarts: the book's snapshot holds them). */
    inFlight: (orderId: string): boolean => book.inFlight.has(orderId),

    /**
     * Whether an expiry of this order would release anything: in flight and no expiry of it applied
     * (one applied may leave it in flight for fills still to come: see `onExpired`).
     */
    expirable: (orderId: string): boolean => book.worked(orderId),

    /** Whether a fill with this id was applied (within the dedup window, across restarts: the ids are in the book's snapshot). */
    hasFill: (fillId: string): boolean => book.hasFill(fillId),

    /**
     * Of an expiry that passed `checkExpiry` and is not `expirable` (nothing to release): records,
     * and says, whether it repeats what its order's `final` fill said — that fill left the rest unfilled, the order
     * expired with it (exec.fill's `final`), and a desk that also publishes the exec.expired sends
     * the same news twice — the first such report of the order (in memory: a restart forgets which
     * were seen). False for an expiry past the order's `expiresAt` or a second report: late news.
     */
    recordFinalFillExpiry: (orderId: string): boolean => {
      if (book.orderOf(orderId)?.unfilled === undefined || finalConfirmed.has(orderId)) return false;
      // Only orders the book still holds (retired within the dedup window) are kept.
      for (const id of finalConfirmed) if (book.orderOf(id) === undefined) finalConfirmed.delete(id);
      finalConfirmed.add(orderId);
      return true;
    },

    /** The order as the book holds it, in flight or retired within the dedup window (what its fills left, `awaited`); undefined when it never held it or forgot it. */
    order: (orderId: string): Readonly<InFlightOrder> | undefined => book.orderOf(orderId),

    onFill(f: Fill): RiskState[] {
      book.roll(f.ts);
      // A fill of a closed day (a venue's fill from before midnight reported after it) is that day's PnL.
      if (book.beforeDay(f.ts)) book.toClosedDay(() => book.applyFill(f, dedupWindowMs));
      else book.applyFill(f, dedupWindowMs);
      const out: RiskState[] = [];
      breaches(f.ts, out);
      haltWhenFlat(f.ts, out);
      return out;
    },

    onSuggestion(s: Suggestion, now: number): RiskDecision {
      const stateChanges: RiskState[] = [];
      expire(now);
      const b = breaches(now, stateChanges);
      const prior = seen.lookup(s);
      if (prior?.same === true) return { ...prior.decision, replay: true, stateChanges };
      const r = checkSuggestion({ s, now, limits, book, state: state(), scopedHalt: scopedHaltFor(s), duplicate: prior !== undefined, breaches: b });
      // After the order-rate count read them, before this order's time is added: the times kept
      // depend on that order (see pruneOrderTimes).
      book.pruneOrderTimes(now, limits.windowMs);
      const base = { ts: now, strategy: s.strategy, venue: s.venue, symbol: s.symbol, suggestionId: s.id } as const;
      if (r.reasons.length > 0) {
        const reject: Reject = { type: 'exec.reject', v: 1, id: rejectId(s.id), ...base, reasons: r.reasons, detail: r.details.join('; ') };
        if (prior === undefined) seen.remember(s, now, { kind: 'reject', reject });
        seen.prune(now - dedupWindowMs);
        return { kind: 'reject', reject, replay: false, stateChanges };
      }
      const refMid = book.marks.get(bookKey(s.venue, s.symbol))?.mid;
      const order: Order = {
        type: 'exec.order',
        v: 1,
        id: orderId(s.id),
        ...base,
        side: s.side,
        qty: s.qty,
        orderType: s.orderType,
        limitPrice: s.limitPrice,
        expiresAt: book.existsFrom(s.venue, s.symbol, now) + s.ttlMs,
        reducing: r.reducing,
        ...(s.decidedAt !== undefined ? { decidedAt: s.decidedAt } : {}),
        // The mid the collar checked it against (approved, the asset has one): a market order's
        // fills are held to a band around it (fill-check.ts), as a limit order's to its limit.
        ...(refMid !== undefined ? { refPrice: refMid } : {}),
      };
      book.addOrder(order);
      seen.remember(s, now, { kind: 'order', order });
      seen.prune(now - dedupWindowMs);
      return { kind: 'order', order, replay: false, stateChanges };
    },

    halt(a: ControlArgs): RiskState[] {
      const sc = scoped(a);
      return tracked(a.ts, () => {
        if (sc === undefined) machine.send({ type: 'HALT', reason: a.reason });
        else scopedHalts = [...scopedHalts.filter((h) => h.scope !== sc.scope || h.value !== sc.value), { ...sc, reason: a.reason }];
      }, sc === undefined ? undefined : a.reason);
    },

    /** Lifts a halt (global: back to ACTIVE, re-halting at once if a loss limit is still breached). */
    resume(a: ControlArgs): RiskState[] {
      const sc = scoped(a);
      const out = tracked(a.ts, () => {
        if (sc === undefined) machine.send({ type: 'RESUME', reason: a.reason });
        else scopedHalts = scopedHalts.filter((h) => h.scope !== sc.scope || h.value !== sc.value);
      }, sc === undefined ? undefined : a.reason);
      // The day rolls with event time only (see `breaches`): resuming stamped with a later clock
      // must not start a new trading day the data has not reached. One it has reached starts here.
      rollToData();
      breaches(a.ts, out, false);
      return out;
    },

    reduce(a: ControlArgs): RiskState[] {
      if (scoped(a) !== undefined) throw new RiskControlError('reduce-only applies to the whole account');
      // With `flatten`, the account halts at the first fill or market event (event time) that finds
      // it flat: an operator's command carries the engine clock, which must not expire orders.
      return tracked(a.ts, () => machine.send({ type: 'REDUCE', reason: a.reason, flatten: a.flatten === true }));
    },

    getLimits: (): RiskLimits => limits,

    /** Validates and applies a patch (RiskLimitsError on bad input, nothing changed). */
    setLimits(patch: unknown): RiskLimits {
      limits = checkedCurrencies(applyLimitsPatch(limits, patch), true);
      return limits;
    },

    /** The limits a patch would give (RiskLimitsError on bad input), not yet in force: see `useLimits`. */
    limitsWith: (patch: unknown): RiskLimits => checkedCurrencies(applyLimitsPatch(limits, patch), true),

    /** Puts limits from `limitsWith` in force (once they are stored). */
    useLimits(next: RiskLimits): void {
      limits = next;
    },

    /**
     * Halts (or starts flattening, per `onBreach`) when the book is already past a loss limit:
     * after an operator lowers one, at once rather than at the next market event. The day is not
     * rolled to `ts`, the command's (engine clock) time: the day moves with event time only (to the
     * newest mark: `rollToData`).
     */
    checkLimits(ts: number): RiskState[] {
      const out: RiskState[] = [];
      rollToData();
      breaches(ts, out, false);
      return out;
    },

    state,

    status(): RiskStatus {
      const positions = [...book.positions.values()].map((p) => ({
        venue: p.venue,
        symbol: p.symbol,
        qty: p.qty,
        avgCost: p.avgCost,
        realised: p.realised,
        unrealised: book.unrealised(p),
        price: book.priceOf(bookKey(p.venue, p.symbol)) ?? null,
      }));
      const realised = book.realised();
      const equity = book.equity();
      const asOf = newestMark();
      const graceMs = limits.unreportedExpiryGraceMs;
      return {
        account,
        currency: accountCurrencyOf(currency, tradedWith(limits)),
        state: state(),
        reason: reason(),
        flattening: flattening(),
        scopedHalts: scopedHalts.map((h) => ({ ...h })),
        positions,
        pnl: { realised, unrealised: equity - realised, equity, daily: book.dailyPnl(), peak: book.peak(), drawdown: book.drawdown() },
        asOf,
        // Past its expiresAt in event time and still counted: in the grace for an unreported end.
        inFlight: [...book.inFlight.values()].map((o) => (asOf !== null && o.expiresAt <= asOf ? { ...o, inGraceUntil: o.expiresAt + graceMs } : { ...o })),
        limits,
      };
    },

    /**
     * What an equity curve samples on every bar, without {@link status}'s copies of every position
     * and order: PnL (`pnl.equity` of the status) and the gross value of the positions held.
     */
    holdings: (): Readonly<{ equity: number; grossHeld: number }> => ({ equity: book.equity(), grossHeld: book.heldGross() }),

    /**
     * Account-currency units per unit of `symbol`'s quote currency on `venue` now, as the book
     * values it (1 in one currency; else the fixed rate, or the conversion symbol's latest mid on
     * the same venue, event time): what `strategy.sizing: equity` divides the equity by, with the
     * price, to size in base units. `unvalued` says why no size can be told now: the conversion's
     * mid not seen yet, or a position held that the equity leaves out for the same reason (risk
     * refuses what adds exposure then: NO_MARKET_DATA).
     */
    accountRate(venue: string, symbol: string): Readonly<{ rate: number; unvalued?: undefined }> | Readonly<{ rate?: undefined; unvalued: string }> {
      const key = bookKey(venue, symbol);
      const rate = book.rateOf(key);
      const inAccount = `in ${book.accountCurrency() ?? '?'}`;
      if (rate === undefined) {
        const c = book.conversionMark(key);
        return { unvalued: c !== undefined ? `no ${c.symbol} mid on ${c.venue} to value ${c.currency} ${inAccount}` : `${symbol}'s quote currency has no conversion ${inAccount}` };
      }
      const u = book.unvalued();
      if (u !== undefined) return { unvalued: `no ${u.via ?? 'conversion'} mid on ${u.venue} to value the ${u.symbol} position's ${u.currency} ${inAccount}: the account's equity is not known` };
      return { rate };
    },

    /** The trading state a suggestion of `strategy` on `symbol` meets now: HALTED under a scoped halt. */
    tradingFor: (strategy: string, symbol: string): TradingState => (haltCovering(strategy, symbol) !== undefined ? 'HALTED' : state()),

    /** Whether execution is to close this strategy's position in `symbol` now (flattening, and no scoped halt of either). */
    flatteningFor: (strategy: string, symbol: string): boolean => flattening() && haltCovering(strategy, symbol) === undefined,

    trading: (): TradingSnapshot => ({ state: state(), reason: reason(), scopedHalts: scopedHalts.map((h) => ({ ...h })), flattening: flattening(), seq }),
    /**
     * Puts the trading state back to `t` (from `trading()`): the risk actor undoes a loosening
     * command with it until the new state is stored, so nothing trades on a resume the store lost.
     */
    restoreTrading(t: TradingSnapshot): void {
      machine.stop();
      machine = machineOf(t);
      scopedHalts = t.scopedHalts.map((h) => ({ ...h }));
      seq = t.seq;
    },
    bookSnapshot: (): CoreBookSnapshot => ({ book: book.snapshot() as RiskBookSnapshot, seen: seen.snapshot() }),
  };
}
