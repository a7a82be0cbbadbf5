import type { ExecutionCore } from '../models/execution/execution-core.js';
import { expiryMessage } from '../models/execution/expiry-message.js';
import type { PaperVenue, VenueOutput } from '../models/execution/paper-venue-core.js';
import { sizedByEquity } from '../models/inference/equity-sizing.js';
import type { StrategyCore } from '../models/inference/strategy-core.js';
import { REPORT_TOLERANCE } from '../models/quantity-dust.js';
import { marketMid } from '../models/risk/market-mid.js';
import type { RiskCore, TradingSnapshot } from '../models/risk/risk-core.js';
import { leavesUnfilled } from '../models/risk/risk-book.js';
import type { Clock } from '../state/clock.js';
import type { Logger } from '../state/logger.js';
import type { CorePublisher, DurablePublisher, ValuePublisher } from '../streams/bus.js';
import { encode } from '../streams/codec.js';
import { retryingPublish } from '../streams/retrying-publish.js';
import type { Timeframe } from '../streams/messages/bar.js';
import type { Expiry } from '../streams/messages/expiry.js';
import type { Fill } from '../streams/messages/fill.js';
import { knownAt } from '../streams/messages/market-data.js';
import type { Prediction } from '../streams/messages/prediction.js';
import type { RiskState } from '../streams/messages/risk-state.js';
import type { Suggestion } from '../streams/messages/suggestion.js';
import type { Subjects } from '../streams/subjects.js';
import { refuse } from '../streams/validation/refusal.js';
import type { Refusal } from '../streams/validation/refusal.js';
import type { DecidedMark } from './decided-marks.js';
import { createDecidedMarks } from './decided-marks.js';
import type { LimitsChange, TradingChange } from './operator-changes.js';
import { createDueChanges } from './operator-changes.js';
import type { PublishedMark, PublishedOutputs } from './published-outputs.js';
import { restoreTradingChange } from './restored-change.js';
import type { AssetEvent } from './event-sequencer.js';
import { createRiskCheckpoints } from './risk-checkpoints.js';
import type { StoreRetryPolicy } from './retrying-store-write.js';
import { retryingStoreWrite } from './retrying-store-write.js';

/**
 * What the decision path produced since it started; the demo prints it and `sextant ctl status`
 * shows it. Every count starts from 0 at each start and none is stored: the order outcomes
 * (`ordersFilled`, `expired`, `working`, `lapsed`) account for the orders approved since then
 * (`orders`) and those in flight in the restored book; an order that ended, or lapsed and was let
 * go, before the restart is in none (the engine's /metrics counters reset with the process too).
 * Restoring the outcomes alone from the stored book would count orders `orders` never had.
 */
export type DecisionStats = {
  predictions: number;
  withIntent: number;
  suggestions: number;
  orders: number;
  rejects: number;
  rejectsByReason: Record<string, number>;
  /** Suggestions, orders and rejects per symbol: a symbol whose every order risk refuses shows here. */
  bySymbol: Record<string, SymbolDecisions>;
  /** Position intents execution did not act on because trading was halted for them. */
  intentsHeld: number;
  /**
   * Under `strategy.sizing: equity`, intents published without a target (`intent: null`) because
   * the equity could not be put in the symbol's quote currency: its conversion's mid (or that of a
   * position held) not seen yet. Risk would refuse the order anyway (NO_MARKET_DATA).
   */
  intentsUnsized: number;
  /** Parents execution cancelled under a halt, or in REDUCING for a child that would add exposure. */
  parentsCancelled: number;
  /** Parents to flat execution opened without a prediction because risk was flattening the account. */
  flattens: number;
  /** Parents execution re-planned over the rest of their horizon because their children fell due in a hole of their asset's data (`maxHoleMs`). */
  parentsReplanned: number;
  /** Parents execution dropped because their horizon ended in a hole of their asset's data, their unsent children not sent. */
  parentsLapsed: number;
  fills: number;
  /**
   * @deprecated Base quantities summed across every symbol (0.5 BTC and 300 DOGE make 300.5):
   * meaningful with one symbol only, kept for readers of the old key. Read {@link DecisionStats.filledQtyBySymbol}.
   */
  filledQty: number;
  /** Quantity filled per symbol, in that symbol's base units (`{ 'BTC/USDT': 0.5, 'DOGE/USDT': 300 }`). */
  filledQtyBySymbol: Record<string, number>;
  fees: number;
  /** Fees per symbol, each in its symbol's quote currency (`fees` adds them all, whatever their currency). */
  feesBySymbol: Record<string, number>;
  /**
   * Approved orders filled in full: their final fill (`final`) booked when it completes the order
   * (a `final` fill that leaves some unfilled expired the order: counted in `expired`, part-filled,
   * and its exec.expired, if one comes, in `expiriesConfirming`), without a paper venue also a fill
   * not marked `final` that leaves nothing of it, or, for an order counted in `expired` whose
   * venue's last fill came after the expiry, the fill that completes its quantity (the order then
   * leaves `expired`: each order counts in one outcome).
   */
  ordersFilled: number;
  expired: number;
  /** Of `expired`, orders that had filled part of their quantity before (`filledQty` > 0); the rest of `expired` expired unfilled. */
  expiredPartlyFilled: number;
  /**
   * Approved orders still worked now, read at each `stats()`: the paper venue's working orders, or
   * without one (live trading consumers) those neither filled in full nor expired whose `expiresAt`
   * is after the risk book's newest event time (`ctl status`'s `risk.asOf`: an order works while
   * event time is before its `expiresAt`). With `ordersFilled`, `expired` and `lapsed` they account
   * for every order of `orders`, each in one (a run that ends with an order working: filled nor
   * expired yet), save after a restart, when the orders approved before it and still in flight
   * (in the restored book, or the paper venue's) count here too, and in the outcome they come to.
   */
  working: number;
  /** Of `working`, orders with part of their quantity filled already. */
  workingPartlyFilled: number;
  /**
   * Without a paper venue (live trading consumers), approved orders past their time-to-live with no
   * outcome reported: their `expiresAt` is at or before the risk book's newest event time and no
   * `final` fill, fill of all of it or exec.expired of them came. Read at each `stats()`. A live
   * venue may still fill them, so risk keeps counting them in flight (the position and exposure
   * checks) for `risk.limits.unreportedExpiryGraceMs` of event time past their `expiresAt`, and
   * then lets them go (`releasedAfterGrace`): a late fill is booked (position, PnL) up to what the
   * order had left, and a late expiry or `final` fill moves the order to `expired`
   * or `ordersFilled`, as long as the risk book still knows it (it keeps a retired order a day of
   * event time, `RiskBook.retireWindowMs`); after that it stays here for good (a report of it is
   * refused, UNKNOWN_ORDER). Many of them say the desk reports expiries late or not at all.
   * With the paper venue always 0: it reports every expiry as its order's `expiresAt` passes.
   */
  lapsed: number;
  /**
   * Orders risk released unreported since it started (`RiskCore.releasedAfterGrace`, read at each
   * `stats()`): their `expiresAt` and the grace after it (`risk.limits.unreportedExpiryGraceMs`)
   * passed in event time with no expiry, `final` fill or fill of all of them reported (or, for one
   * whose expiry said fills were still to come, not those fills): from then on what they had left
   * counts in no limit. Each is logged (warn). With the paper venue always 0.
   */
  releasedAfterGrace: number;
  /** Of those, orders cancelled because their symbol's data resumed after a hole (the venue's `maxGapMs`): none fills across a gap. */
  expiredAtGap: number;
  /**
   * Expiries reported from outside (`onExternalExpiry`) of an order released already: a second
   * report of it, or one of an order that lapsed before this path started (a restart). Nothing to
   * release; not in `expired`. (A first report of an order past its `expiresAt`, `lapsed`, is not
   * one: it counts the order in `expired`.)
   */
  expiriesIgnored: number;
  /**
   * Expiries reported from outside of an order whose `final` fill left the rest unfilled (that fill
   * expired it, counted in `expired`), leaving that much: the same news again, as a desk that sends
   * both says it (nothing to release; not late, so not in `expiriesIgnored`).
   */
  expiriesConfirming: number;
  riskStateChanges: number;
};

export type SymbolDecisions = { suggestions: number; orders: number; rejects: number };

/** Sees the decided stream as it happens: each event after it was decided, and each fill. */
export type DecisionObserver = Readonly<{
  event?(e: AssetEvent, risk: RiskCore): void;
  fill?(f: Fill): void;
}>;

export type DecisionPathDeps = Readonly<{
  /** On an in-process bus (`publishValue`), outputs are handed over as objects, encoded only if read. */
  bus: DurablePublisher & CorePublisher & Partial<ValuePublisher>;
  subjects: Subjects;
  log: Logger;
  /** Times the spaced risk-state writes (`riskCheckpointMs`). */
  clock: Clock;
}>;

export type DecisionPathOptions = Readonly<{
  strategy: StrategyCore;
  /** Bars of this timeframe are scored; every market-data message still marks prices and fills. */
  timeframe: Timeframe;
  execution: ExecutionCore;
  risk: RiskCore;
  /** The paper venue; absent when live trading consumers report fills (see `onExternalFill`). */
  venue: PaperVenue | undefined;
  observer?: DecisionObserver;
  /**
   * Called between releases when the risk state is due to be written: captures it at that moment
   * (synchronously) and returns the write that persists it, run after the publications of every
   * release it covers and after the previous write, before those releases' inputs are acknowledged.
   * `decided`: how far each asset's market data was decided at that moment, stored with the book
   * (a restart does not decide those events again: see `decided` below). `published`: how far the
   * outputs stream was stored at that moment (with `published` below), stored with the book too.
   */
  persistRisk?: (risk: RiskCore, decided: readonly DecidedMark[], published?: PublishedMark) => () => Promise<void>;
  /**
   * Told of each risk.state this path announces: the engine's risk actor, which announces one
   * flagged `stored: false` again, `stored: true`, once a later write stores it
   * (actors/risk-state-stored.ts).
   */
  riskStateAnnounced?: (st: RiskState) => void;
  /**
   * Write the risk state at most this often (engine clock) instead of after every release; a
   * release's inputs are then acknowledged once the next write is stored (`covered`), while its
   * `settled` waits for its publications only. Undefined: after every release.
   */
  riskCheckpointMs?: number;
  /** How a risk-state write the store may take later is tried again; default {@link RISK_WRITE_RETRY}. */
  riskWriteRetry?: StoreRetryPolicy;
  /** The risk store as the error of a write whose tries ran out names it (`RiskStore.label`); default `the risk store`. */
  riskStore?: string;
  /**
   * Events before this event time only warm the strategy (a backtest's warm-up bars before its
   * window): their vectors go through inference, so sequence windows and the attributions'
   * running baseline fill, but nothing is published, marked, executed or decided for them.
   */
  decideFrom?: number;
  /**
   * How far each asset was decided when the restored risk book was written (stored with it). A
   * redelivered event at or below its asset's mark (a crash after that write and before the asset
   * actor's checkpoint) is not decided again: its effects are in the restored book and venue, and
   * what it published was stored before that write. Deciding it again against the newer book
   * could make orders the first run never made, or approve again one whose seen suggestion aged
   * out. It still goes through inference (sequence windows) and execution's reference prices, as a
   * warm-up event does. Absent (a first start, a backtest, a book stored before the marks were):
   * every event is decided.
   */
  decided?: readonly DecidedMark[];
  /**
   * The operator's changes stored after the restored book (cli/restored-operator-state.ts): each
   * put in force just before the first event past where it took effect (its `at`), so the
   * redelivered events before it are decided again as the first run decided them.
   */
  operatorChanges?: Readonly<{ trading: readonly TradingChange[]; limits: readonly LimitsChange[] }>;
  /**
   * The asset actors' keys of the configured assets: a restored change's mark for any other (a
   * symbol removed from the configuration) cannot be reached and is left out (actors/operator-changes.ts).
   * Absent: every asset is taken as configured.
   */
  assets?: readonly string[];
  /**
   * The outputs already in the stream (read back after a restart from the mark stored with the
   * restored book): the events decided after that write are decided again, from the same state,
   * and an output of theirs that is stored already is applied as before but not published again
   * (a restart later than the stream's duplicate window would store a second copy). Its
   * acknowledgements give each risk write its mark. Absent (a backtest, an in-process bus): every
   * output is published.
   */
  published?: PublishedOutputs;
  /**
   * Under `strategy.sizing: equity`, the account's capital (account currency, `risk.capital`):
   * each prediction's intent, a fraction of the equity from the strategy core, is sized at its own
   * event, after that event marked the risk book, on capital + the book's PnL, put in the symbol's
   * quote currency at the rate the book values it at (models/inference/equity-sizing.ts); while
   * that rate is not known the intent is published null (`intentsUnsized`). Absent: intents are
   * published as the core made them.
   */
  equityCapital?: number;
}>;

/** A release that was decided: `settled` resolves once its outputs are stored (the risk state: see `covered`). */
export type Decided = Readonly<{ settled: Promise<void> }>;

export type DecisionPath = Readonly<{
  /**
   * Decides events released by the sequencer, in order. Resolves as soon as they are decided
   * (the next release can be decided while this one's publications are acknowledged); its
   * `settled` resolves once every output is stored.
   */
  onRelease(events: readonly AssetEvent[]): Promise<Decided>;
  /**
   * Resolves once the outputs of every release decided so far and a risk state taken after them
   * are stored (rejects if one of those writes failed): an input may be acknowledged only then.
   * `prompt`: the caller cannot wait out `riskCheckpointMs` (its unacknowledged messages pile up):
   * the write is made now, or at the end of the release being decided.
   */
  covered(prompt?: boolean): Promise<void>;
  /**
   * A fill reported by a live trading consumer (no paper venue); the risk state is written at once,
   * the promise resolves once that write is stored (the caller acknowledges the fill then), and no
   * release is decided before it is: a crash in between leaves nothing published on top of the fill.
   * Answers a refusal, applying nothing, when the fill is not of an order risk approved, as
   * approved (UNKNOWN_ORDER, ORDER_MISMATCH: models/risk/fill-check.ts); the caller dead-letters it.
   * Fails (not applied) once a risk write failed (`failed`).
   */
  onExternalFill(f: Fill): Promise<Refusal | undefined>;
  /**
   * An expiry reported by a live trading consumer (no paper venue: its exchange cancelled or
   * expired an order): the order is released in risk and execution at once and the risk state
   * written, as for a fill (one that releases nothing resolves once the state it was judged on is
   * stored); what it says was filled beyond the fills booked stays in flight (and
   * working) until those fills come, on their own subject, and are booked as any. Answers a
   * refusal, applying nothing, when it names no order risk approved (UNKNOWN_ORDER), or not as
   * approved, or one filled in full already, or quantities not the order's (ORDER_MISMATCH:
   * models/risk/expiry-check.ts); the caller dead-letters it. One of an order already released (a
   * second report) changes nothing.
   */
  onExternalExpiry(e: Expiry): Promise<Refusal | undefined>;
  /**
   * Resolves with the failure of the first risk-state write that could not be stored (its
   * retries spent), or of a publication such a write waited for; never while the writes go
   * through. The decision path is then stopped: what waited for a write, and every later
   * release and fill, fails with it, so nothing more is acknowledged. Its owner stops the
   * sequencer with it (cli/decisions.ts), and the engine reports it (`Engine.failed`).
   */
  failed(): Promise<unknown>;
  /** Writes the risk state now (or when the release being decided ends), and after every later release (stopping). */
  flush(): void;
  /**
   * Resolves once the release being decided (if any) was decided and every risk-state write made
   * so far has ended, stored or failed, or the writes were given up (`failed` says so; never rejects). After {@link flush}, the
   * write of the state as it is now is among them: a stop waits for it, or the process could end
   * before it lands and the next start restore an older book (cli/decisions.ts).
   */
  written(): Promise<void>;
  /**
   * Gives up the risk-state writes (a stop that waited long enough for one that does not land):
   * what waits for one fails with `error`, so the inputs it would cover are not acknowledged (a
   * restart decides them again), and the decision path fails with it (`failed`).
   */
  abandon(error: unknown): void;
  /** Whether a risk-state write is being made, or a release waits for one. */
  writing(): boolean;
  /** How far each asset was decided now (where an operator's change takes effect: actors/operator-changes.ts). */
  decidedNow(): DecidedMark[];
  /**
   * Puts the operator's changes still pending after a restart (`operatorChanges`) in force now
   * (`DueChanges.flush`): the risk actor calls it before each operator command.
   */
  flushOperatorChanges(): void;
  /**
   * The assets an operator's change still pending after a restart waits for (its mark of them not
   * decided yet): none once every change is in force. What `caughtUp` may be told of.
   */
  awaitedAssets(): readonly string[];
  /**
   * Nothing of `asset` is left to be delivered again: its consumer has nothing pending or
   * unacknowledged (the caller reads it: cli/quiet-stream-check.ts). A pending change's mark of it
   * that is not decided yet cannot be reached any more (its stream was rebuilt or purged between
   * the runs, and stays quiet): the change no longer waits for it (`DueChanges.caughtUp`), and is in
   * force now when the other assets are decided up to theirs. Between releases only.
   */
  caughtUp(asset: string): Promise<void>;
  /**
   * Resolves once the restart's recovery is over: the operator's changes stored after the restored
   * book are in force where they took effect, and the events decided (and published) before the
   * restart are decided again, up to the newest output read back (`published.recoveredAt`).
   * Resolved at once when there is nothing to recover. An operator's command waits for it
   * (cli/decisions.ts), so it changes no decision the first run published: those are facts at the
   * venue, which the restored book must hold as the first run did.
   */
  recovered(): Promise<void>;
  stats(): Readonly<DecisionStats>;
}>;

/**
 * The decision path of one strategy in event time: feature vectors → strategy (one batched
 * inference per release) → predictions → execution (position intents → child suggestions) →
 * risk (orders or rejects) → paper venue (fills, expiries) → back to risk and execution. Every output has
 * a deterministic id and is published with it as `Nats-Msg-Id`, so a redelivered input decided
 * again publishes duplicates the streams drop. Per event: the venue fills what earlier orders
 * can take from it, the risk actor marks the price, due children are sent, then the event's
 * prediction acts — an order never trades on the event that caused it.
 */
/** Events decided between two yields to the event loop. */
const SLICE = 256;
/**
 * Tries per output publish when the failure is retryable (`retryingPublish`): with the default
 * 10 s publish timeout, a broker restart of up to about a minute is ridden out; a longer outage
 * stops the decision path, and the engine with it (event-sequencer.ts).
 */
const PUBLISH_ATTEMPTS = 7;
/**
 * Tries per risk-state write when the store says a retry can help (`retryingStoreWrite`): as for
 * the publishes, 7 tries; waits of 0.5, 1, 2, 4, 8 and 10 s between them ride out about 25 s of a
 * store away (a PostgreSQL restart or failover), under the default 30 s ack wait of the inputs
 * that wait for the write. A failure the store calls final (a refused statement) is not tried
 * again. Either way, one that stays stops the decision path, and the engine with it.
 */
export const RISK_WRITE_RETRY: StoreRetryPolicy = { attempts: 7, firstDelayMs: 500, maxDelayMs: 10_000 };

export function createDecisionPath(deps: DecisionPathDeps, opts: DecisionPathOptions): DecisionPath {
  const { bus, subjects } = deps;
  const { strategy, execution, risk, venue } = opts;
  const log = deps.log.child({ actor: `decision:${strategy.strategy}` });
  const stats: DecisionStats = {
    predictions: 0,
    withIntent: 0,
    suggestions: 0,
    orders: 0,
    rejects: 0,
    rejectsByReason: {},
    bySymbol: {},
    intentsHeld: 0,
    intentsUnsized: 0,
    parentsCancelled: 0,
    flattens: 0,
    parentsReplanned: 0,
    parentsLapsed: 0,
    fills: 0,
    filledQty: 0,
    filledQtyBySymbol: {},
    fees: 0,
    feesBySymbol: {},
    ordersFilled: 0,
    expired: 0,
    expiredPartlyFilled: 0,
    working: 0,
    workingPartlyFilled: 0,
    lapsed: 0,
    releasedAfterGrace: 0,
    expiredAtGap: 0,
    expiriesIgnored: 0,
    expiriesConfirming: 0,
    riskStateChanges: 0,
  };
  let pending: Promise<unknown>[] = [];
  // The outputs are never changed once published, as `publishValueNow` requires. In process
  // they are stored at once (no promise per output); a refusal fails the release's `settled`
  // as a rejected publish would.
  const publishValueNow = bus.publishValueNow?.bind(bus);
  // A publish that timed out or lost its connection is tried again with its id (the stream keeps
  // one copy); what still fails fails the release, and that stops the decision path (event-sequencer.ts).
  const publishBytes = retryingPublish(bus, PUBLISH_ATTEMPTS);
  /**
   * A publication in flight: its failure fails the release's `settled` (`Promise.all` below); the
   * handler added here only keeps it from counting as unhandled while the release's later slices
   * are still being decided (a long release awaits inference between slices).
   */
  const inFlight = (p: Promise<unknown>): void => {
    p.catch(() => {});
    pending.push(p);
  };
  const published = opts.published;
  const publish = (subject: string, msg: { readonly id: string; readonly ts: number }): void => {
    if (published?.stored(msg.id, msg.ts) === true) return;
    if (publishValueNow === undefined) {
      const sent = publishBytes(subject, encode(msg), msg.id);
      inFlight(published === undefined ? sent : sent.then(published.acked));
      return;
    }
    try {
      const ack = publishValueNow(subject, msg, msg.id);
      published?.acked(ack);
    } catch (e) {
      inFlight(Promise.reject(e));
    }
  };
  const emit = (states: readonly RiskState[]): void => {
    for (const s of states) {
      log.warn({ state: s.state, previous: s.previous, reason: s.reason, ...(s.stored === false ? { stored: false } : {}) }, 'risk state');
      bus.emit(subjects.riskState(), encode(s));
      opts.riskStateAnnounced?.(s);
    }
  };
  /**
   * State changes the risk book made in force (a daily-loss or drawdown breach: HALTED, or
   * REDUCING to flatten) and not announced yet. With risk writes (`persistRisk`) a change is
   * announced as the risk actor announces its own (`storeThenAnnounce`): once the write that covers
   * it is stored, with no flag; or flagged `stored: false` as soon as a try of that write fails,
   * or the writes stop before one covers it; should a later write store it after all, the engine's
   * risk actor announces it again, `stored: true` (`riskStateAnnounced`, actors/risk-state-stored.ts). It was
   * announced when decided, unflagged, and a write that then failed left consumers reading it as
   * stored while a restart would come back without it. Without risk writes (a backtest): at once.
   */
  let unannounced: RiskState[] = [];
  /** The changes one risk write covers; `announced` once flagged unstored (or stored). */
  type Covered = { states: readonly RiskState[]; announced: boolean };
  const awaitingWrite = new Set<Covered>();
  const announce = (states: readonly RiskState[]): void => {
    stats.riskStateChanges += states.length;
    if (opts.persistRisk === undefined) emit(states);
    else if (states.length > 0) unannounced = [...unannounced, ...states];
  };
  /** Takes the changes decided so far, for the write being captured now. */
  const coveredNow = (): Covered | undefined => {
    if (unannounced.length === 0) return undefined;
    const c: Covered = { states: unannounced, announced: false };
    unannounced = [];
    awaitingWrite.add(c);
    return c;
  };
  const announceCovered = (c: Covered, stored: boolean): void => {
    awaitingWrite.delete(c);
    if (c.announced) return;
    c.announced = true;
    emit(stored ? c.states : c.states.map((s) => ({ ...s, stored: false })));
  };
  /** The writes stopped: every change in force and not announced yet goes out flagged, in order. */
  const announceUnstored = (): void => {
    for (const c of [...awaitingWrite]) announceCovered(c, false);
    const rest = unannounced;
    unannounced = [];
    emit(rest.map((s) => ({ ...s, stored: false })));
  };

  /**
   * Without a paper venue: the orders counted in `expired` (true: in `expiredPartlyFilled` too),
   * oldest first, while the risk book knows them. Fills and expiries travel on different subjects,
   * so a live venue's last fill may come after the expiry (risk keeps it `awaited`): that fill
   * makes the order filled in full only when it completes the order's quantity, and moves it out
   * of `expired` then (`final` alone says nothing was left to fill, which is also true of the last
   * fill of an order that expired after it). Before, a `final` late fill counted the order filled
   * as well as expired, and the outcomes no longer added up to the orders.
   */
  const expiredOrders = new Map<string, boolean>();
  /**
   * Without a paper venue: the orders with no outcome counted yet (working or lapsed, told apart
   * at each `stats()` by their `expiresAt`, kept here), while the risk book knows them: those
   * approved by this path and those in flight in the book it started from. The risk book lets an
   * order go after its `expiresAt` (and grace) without a word, and counted from its in-flight set,
   * an order past it with no report was counted nowhere (85 orders: 0 filled, 0 expired, 3 working).
   */
  const unsettled = new Map<string, number>();
  /** Lapsed orders the risk book forgot (retired longer ago than it keeps them): no report of them is taken any more. */
  let lapsedForgotten = 0;
  /** Moves the oldest orders the book forgot into `lapsedForgotten` (also done in full by `stats()`), so the map stays bounded. */
  const forgetLapsed = (): void => {
    for (const id of unsettled.keys()) {
      if (risk.order(id) !== undefined) return;
      unsettled.delete(id);
      lapsedForgotten++;
    }
  };
  if (venue === undefined) for (const o of risk.status().inFlight) if (o.awaited === undefined) unsettled.set(o.orderId, o.expiresAt);
  /** Whether `f`, of an order this path counted expired, fills what the book has left of it. */
  const completes = (f: Fill): boolean => {
    const o = risk.order(f.orderId);
    return o?.qty !== undefined && o.remaining > 0 && f.qty >= o.remaining - REPORT_TOLERANCE * o.qty;
  };
  /**
   * Whether `f`, `final`, leaves some of its order unfilled: the order expired after it (exec.fill's
   * `final`), as the risk book counts it (`unfilled`); its exec.expired, if one comes, is then
   * acknowledged (`expiriesConfirming`), not counted again.
   */
  const expiresWith = (f: Fill): boolean => {
    const o = risk.order(f.orderId);
    return o !== undefined && leavesUnfilled(o, f);
  };
  /**
   * Whether `f`, not `final`, of an order with no outcome yet, leaves nothing of it (the book
   * retires it): filled in full, though its venue did not mark the fill `final`.
   */
  const fillsAll = (f: Fill): boolean => {
    if (!unsettled.has(f.orderId)) return false;
    const o = risk.order(f.orderId);
    return o !== undefined && o.remaining > 0 && f.qty >= o.remaining;
  };
  const countFilled = (f: Fill): void => {
    const partly = expiredOrders.get(f.orderId);
    if (partly === undefined) {
      if (!f.final && !fillsAll(f)) return;
      unsettled.delete(f.orderId);
      if (!f.final || !expiresWith(f)) stats.ordersFilled++;
      else {
        stats.expired++;
        stats.expiredPartlyFilled++;
      }
    } else if (completes(f)) {
      expiredOrders.delete(f.orderId);
      stats.ordersFilled++;
      stats.expired--;
      if (partly) stats.expiredPartlyFilled--;
    }
  };
  const countExpired = (e: Expiry): void => {
    unsettled.delete(e.orderId);
    stats.expired++;
    if (e.filledQty > 0) stats.expiredPartlyFilled++;
    if (venue !== undefined) return; // the paper venue's fills all come before its expiries
    expiredOrders.set(e.orderId, e.filledQty > 0);
    // Forgotten by the book (past its dedup window): a fill of it would be refused as unknown.
    for (const id of expiredOrders.keys()) {
      if (risk.order(id) !== undefined) break;
      expiredOrders.delete(id);
    }
  };

  const fill = (f: Fill): void => {
    opts.observer?.fill?.(f);
    stats.fills++;
    stats.filledQty += f.qty;
    stats.filledQtyBySymbol[f.symbol] = (stats.filledQtyBySymbol[f.symbol] ?? 0) + f.qty;
    stats.fees += f.fee;
    stats.feesBySymbol[f.symbol] = (stats.feesBySymbol[f.symbol] ?? 0) + f.fee;
    countFilled(f);
    publish(subjects.fill(f.venue, f.symbol), f);
    announce(risk.onFill(f));
    execution.onFill(f);
  };
  /** The venue works an order no more: released now in risk and execution, not at their own expiry. */
  const expire = (e: Expiry): void => {
    countExpired(e);
    if (e.reason === 'gap') stats.expiredAtGap++;
    announce(risk.onExpired(e));
    execution.onExpired(e);
  };
  const venueOut = (out: VenueOutput): void => {
    for (const f of out.fills) fill(f);
    for (const v of out.expired) {
      // Published as the venue's fills are (live consumers publish their own: `onExternalExpiry`).
      const e = expiryMessage(v);
      publish(subjects.expired(e.venue, e.symbol), e);
      expire(e);
    }
  };

  const decide = (s: Suggestion, now: number): void => {
    stats.suggestions++;
    const sym = (stats.bySymbol[s.symbol] ??= { suggestions: 0, orders: 0, rejects: 0 });
    sym.suggestions++;
    publish(subjects.suggestion(s.strategy, s.venue, s.symbol), s);
    const d = risk.onSuggestion(s, now);
    announce(d.stateChanges);
    if (d.kind === 'order') {
      stats.orders++;
      sym.orders++;
      publish(subjects.order(d.order.strategy, d.order.venue, d.order.symbol), d.order);
      // A replay (decided before: its inputs were redelivered after a stop that came after the
      // risk write and before their acknowledgement) is not worked again. Still in flight, the
      // venue works it already (its snapshot is stored with the book). No longer in flight, it
      // filled, expired or was cancelled then, and a venue restarted since knows only the orders
      // still working: worked again, it would fill a second time. Execution, which counted it
      // working again when it suggested it, lets it go.
      if (!d.replay) {
        if (venue !== undefined) venueOut(venue.onOrder(d.order, now));
        else {
          forgetLapsed();
          unsettled.set(d.order.id, d.order.expiresAt);
        }
      } else if (!risk.inFlight(d.order.id)) {
        execution.onExpired({ orderId: d.order.id, strategy: d.order.strategy, venue: d.order.venue, symbol: d.order.symbol });
      }
    } else {
      stats.rejects++;
      sym.rejects++;
      for (const r of d.reject.reasons) stats.rejectsByReason[r] = (stats.rejectsByReason[r] ?? 0) + 1;
      publish(subjects.reject(d.reject.strategy, d.reject.venue, d.reject.symbol), d.reject);
      execution.onReject(d.reject);
    }
  };

  const decideFrom = opts.decideFrom ?? Number.NEGATIVE_INFINITY;
  const equityCapital = opts.equityCapital;
  // A rebuilt stream's events were never decided: a change stored at a point of it is in force before them.
  const marks = createDecidedMarks(opts.decided ?? [], log, (asset) => due?.rebuilt(asset));
  const oc = opts.operatorChanges;
  /** A restored change of the trading state put in force, announced again (actors/restored-change.ts). */
  const restoreChange = (t: TradingSnapshot): void => emit([restoreTradingChange(risk, t, deps.clock.now())]);
  const due =
    oc === undefined || oc.trading.length + oc.limits.length === 0
      ? undefined
      : createDueChanges(oc, { trading: restoreChange, limits: (l) => risk.useLimits(l) }, { ...(opts.assets !== undefined ? { assets: opts.assets } : {}), log });
  // A change the restored marks reach already (given after the last event the first run decided,
  // before a book write covered it) is in force from the start: no redelivered event is past it.
  due?.reached(marks.snapshot());
  /** How far this run has decided (event time), and until when it decides again what was published before the restart. */
  let decidedTs = -Infinity;
  const recoveredAt = opts.published?.recoveredAt() ?? -Infinity;
  const recovering = (): boolean => (due?.pending() ?? false) || decidedTs < recoveredAt;
  let recoveryWaiters: (() => void)[] = [];
  /** Lets the commands waiting for the recovery go once it is over (between slices: never inside one). */
  const recoveryCheck = (): void => {
    if (recoveryWaiters.length === 0 || recovering()) return;
    const go = recoveryWaiters;
    recoveryWaiters = [];
    for (const r of go) r();
  };
  /**
   * A prediction's intent sized on the equity, in the symbol's quote currency at the risk book's
   * rate; none while that rate or the equity cannot be told (sized on the equity alone, ETH/BTC in
   * a USDT account took USDT for BTC: 10,000 USDT of equity bought 200,000 ETH at 0.05).
   */
  const sizeOnEquity = (p: Prediction, capital: number): Prediction => {
    if (p.intent === null || p.intent.target === 0) return p;
    const v = risk.accountRate(p.venue, p.symbol);
    if (v.unvalued === undefined) return sizedByEquity(p, capital + risk.holdings().equity, v.rate);
    stats.intentsUnsized++;
    log.warn({ venue: p.venue, symbol: p.symbol, prediction: p.id, reason: v.unvalued }, 'intent not sized on the equity: published without one');
    return { ...p, intent: null };
  };
  const decideSlice = async (events: readonly AssetEvent[]): Promise<void> => {
    const vectors = [];
    for (const e of events) if (e.vector !== undefined && e.md.type === 'md.bar' && e.md.tf === opts.timeframe) vectors.push(e.vector);
    const predictions = vectors.length === 0 ? [] : await strategy.onFeatures(vectors);
    // A risk write failed while the model ran: nothing more is decided on top of the unstored state.
    refuseIfFailed();
    const bySource = new Map<string, Prediction>();
    for (const p of predictions) bySource.set(p.source, p);
    if (vectors.length === 0) {
      await new Promise<void>((r) => setImmediate(r));
      refuseIfFailed();
    }

    for (const e of events) {
      const md = e.md;
      const now = md.ts;
      if (now < decideFrom) continue; // warm-up: inferred above, nothing else
      if (marks.before(e)) {
        // Decided before the restart (its effects are in the restored book, venue and execution's
        // orders): inferred above, execution's reference prices and estimates rebuilt, nothing else.
        execution.onMarket(md);
        if (e.vector !== undefined) execution.onFeatures(e.vector);
        continue;
      }
      due?.at(e);
      if (now > decidedTs) decidedTs = now;
      if (venue !== undefined) venueOut(venue.onMarket(md));
      announce(risk.onMarket(marketMid(md)));
      execution.onMarket(md);
      if (e.vector !== undefined) execution.onFeatures(e.vector);
      // A close this event's breach opens on another asset starts when the event was known (its bar's close).
      for (const s of execution.onTime(now, knownAt(md))) decide(s, now);
      const scored = e.vector === undefined ? undefined : bySource.get(e.vector.id);
      const p = scored === undefined || equityCapital === undefined ? scored : sizeOnEquity(scored, equityCapital);
      if (p !== undefined) {
        stats.predictions++;
        if (p.intent !== null) stats.withIntent++;
        publish(subjects.prediction(p.strategy, p.venue, p.symbol), p);
        for (const s of execution.onPrediction(p, now)) decide(s, now);
      }
      marks.decided(e);
      opts.observer?.event?.(e, risk);
    }
    // A change given when the first run had decided exactly this far is in force from here (the
    // next event may be far off: a quiet market), not only from the next event past it.
    if (due?.pending() === true) due.reached(marks.snapshot());
    recoveryCheck();
  };

  /** True while a release is being decided (between its slices the risk state is half-way). */
  let deciding = false;
  /** Resolves when the release being decided has been decided (its slices done). */
  let decided: Promise<void> = Promise.resolve();
  const persistRisk = opts.persistRisk;
  const retryWrite = retryingStoreWrite(deps.clock, opts.riskWriteRetry ?? RISK_WRITE_RETRY, (e, attempt, delayMs) =>
    log.warn({ err: String(e), attempt, delayMs }, 'risk state write failed; trying again'),
    opts.riskStore ?? 'the risk store',
  );
  /**
   * The write of the risk state as it is now, announcing the changes it covers (`coveredNow`) once
   * stored, or flagged `stored: false` at its first failed try (its retries go on).
   */
  const capture = (p: NonNullable<typeof persistRisk>): (() => Promise<void>) => {
    const write = p(risk, marks.snapshot(), published?.mark());
    const c = coveredNow();
    if (c === undefined) return retryWrite(write);
    const tried = async (): Promise<void> => {
      try {
        await write();
      } catch (e) {
        announceCovered(c, false);
        throw e;
      }
    };
    const retried = retryWrite(tried);
    return async () => {
      await retried();
      announceCovered(c, true);
    };
  };
  /** Risk-state writes, one after another, each of a state taken between two releases; the first that fails stops them. */
  const checkpoints =
    persistRisk === undefined ? undefined : createRiskCheckpoints({ clock: deps.clock, capture: () => capture(persistRisk), between: () => !deciding }, { ms: opts.riskCheckpointMs });
  void checkpoints?.failed().then((e) => {
    log.error({ err: String(e) }, 'the risk state writes stopped (a write, or a release being decided, failed): the decision path stops');
    // In force in memory (the halt holds: nothing more is decided anyway), never stored by this run.
    announceUnstored();
  });
  const refuseIfFailed = (): void => {
    const f = checkpoints?.failure();
    if (f !== undefined) throw f.error;
  };
  /** The newest release's coverage: its publications and a risk write after it stored. */
  let covered: Promise<void> = Promise.resolve();
  /**
   * The risk write covering the newest live report applied (`onExternalFill`, `onExternalExpiry`)
   * while it is not stored: no release is decided before it is. A crash before it lands then
   * redelivers the report (not acknowledged) with nothing published on top of it, so the restart
   * may apply it once the recovery has decided again what was published (cli/decisions.ts holds
   * it until then); decided on, the release's outputs could be in the stream while the restored
   * book lacks the report, and no restart could tell where it was applied.
   */
  let reportWrite: Promise<void> | undefined;
  /** Stores what was decided so far at once, a live report's effect in it, and waits for it. */
  const storeReport = async (): Promise<void> => {
    const c = settle(true).covered;
    reportWrite = c;
    await c;
  };
  /** Waits until the writes of the live reports applied so far are stored (or failed). */
  const reportsStored = async (): Promise<void> => {
    for (let w = reportWrite; w !== undefined; w = reportWrite) {
      await w.catch(() => {});
      if (reportWrite === w) reportWrite = undefined;
    }
  };
  /**
   * A report that changed nothing stored is still acknowledged only once what it was judged
   * against is stored (the fill that expired its order, a release after the grace): acknowledged
   * before, a crash lost it while the restored book lacked what made it a repeat.
   */
  const storedSoFar = (): Promise<void> => {
    checkpoints?.prompt();
    return covered;
  };
  /** Stores what was decided so far: its publications (`settled`), then (when due) the risk state as it is now (`covered`). */
  const settle = (now = false): Readonly<{ settled: Promise<void>; covered: Promise<void> }> => {
    const settled = Promise.all(pending).then(() => {});
    pending = [];
    covered = checkpoints === undefined ? settled : checkpoints.release(settled, now);
    covered.catch(() => {}); // observed by whoever waits for it; never an unhandled rejection
    return { settled, covered };
  };

  return {
    onRelease: async (events) => {
      // Slices bound the synchronous work between two awaits, so control requests (a halt) are
      // served promptly even while a long catch-up is decided; the outputs do not depend on it.
      if (reportWrite !== undefined) await reportsStored();
      refuseIfFailed(); // fails the release, and the sequencer stops (event-sequencer.ts)
      let done = (): void => {};
      decided = new Promise<void>((r) => (done = r));
      deciding = true;
      try {
        for (let i = 0; i < events.length; i += SLICE) await decideSlice(i === 0 && events.length <= SLICE ? events : events.slice(i, i + SLICE));
      } catch (e) {
        // Failed part-way: the state is half-way through the release and its first slices'
        // publications are waited for by no write. A write taken now (the spacing timer, an asset
        // actor's prompt) would store half a release and mark its events decided, so the writes
        // stop as after a failed one: what waits for one fails, nothing more is acknowledged.
        checkpoints?.abandon(e);
        throw e;
      } finally {
        deciding = false;
        done();
      }
      // A change of state (a breach) is written at once, not after the spacing: it is announced once stored.
      const { settled } = settle(unannounced.length > 0);
      settled.catch(() => {}); // observed by the sequencer's waiters; never an unhandled rejection
      return { settled };
    },
    onExternalFill: async (f) => {
      // Between releases only: applied between two slices of a long release, the fill moved the
      // state half-way through it, and its prompt risk write stored half a release and took the
      // release's first publications as its own (the release then settled without them).
      while (deciding) await decided;
      // Nothing is applied on top of a risk state that could not be stored.
      refuseIfFailed();
      // Applied before (a redelivery, or a consumer publishing it again, maybe across a restart):
      // nothing to book, count or hand execution, whose own memory of fill ids a restart clears.
      if (risk.hasFill(f.id)) return undefined;
      const mismatch = risk.checkFill(f);
      if (mismatch !== undefined) return refuse(mismatch.reason, mismatch.detail);
      fill(f);
      await storeReport();
      return undefined;
    },
    onExternalExpiry: async (e) => {
      // Between releases only, as a fill (see onExternalFill).
      while (deciding) await decided;
      refuseIfFailed();
      const mismatch = risk.checkExpiry(e);
      if (mismatch !== undefined) return refuse(mismatch.reason, mismatch.detail);
      // Past its `expiresAt` and the grace after it, the risk book let the order go with no report
      // (`lapsed`, `releasedAfterGrace`): this is its outcome, late. Nothing to release in risk (a
      // fill it says is still to come is booked as any). Within the grace it is still in flight
      // there, and released below as any expiry.
      if (!risk.expirable(e.orderId) && unsettled.has(e.orderId)) {
        log.info({ orderId: e.orderId, reason: e.reason, ts: e.ts }, 'expiry of an order past its expiresAt (lapsed): counted expired');
        expire(e);
        // Judged on the grace's release, which may not be stored yet: acknowledged before a write
        // after it, a crash lost the report and the restart counted the order lapsed.
        await storeReport();
        return undefined;
      }
      // Released before (a second report): nothing to release, counted apart; the report of an
      // order whose final fill expired it is the same news again, counted apart from those.
      if (!risk.expirable(e.orderId)) {
        if (risk.recordFinalFillExpiry(e.orderId)) stats.expiriesConfirming++;
        else {
          stats.expiriesIgnored++;
          log.info({ orderId: e.orderId, reason: e.reason, ts: e.ts }, 'expiry of an order released already: nothing to release');
        }
        await storedSoFar();
        return undefined;
      }
      expire(e);
      await storeReport();
      return undefined;
    },
    failed: () => checkpoints?.failed() ?? new Promise<unknown>(() => {}),
    covered: (prompt = false) => {
      const f = checkpoints?.failure();
      if (f !== undefined) return Promise.reject(f.error);
      if (prompt) checkpoints?.prompt();
      return covered;
    },
    flush: () => checkpoints?.flush(),
    written: async () => {
      // A write that came due while a release was being decided is made when that release ends.
      await decided;
      await checkpoints?.written();
    },
    abandon: (error) => checkpoints?.abandon(error),
    writing: () => checkpoints?.pending() === true,
    decidedNow: () => marks.snapshot(),
    flushOperatorChanges: () => due?.flush(),
    awaitedAssets: () => due?.awaiting(marks.snapshot()) ?? [],
    caughtUp: async (asset) => {
      // Between releases only: the marks are where every event before them is decided.
      while (deciding) await decided;
      if (due?.pending() !== true) return;
      due.caughtUp(asset, marks.snapshot());
      due.reached(marks.snapshot());
      recoveryCheck();
    },
    recovered: () => (recovering() ? new Promise<void>((resolve) => recoveryWaiters.push(resolve)) : Promise.resolve()),
    stats: () => {
      const e = execution.stats();
      stats.intentsHeld = e.held;
      stats.parentsCancelled = e.cancelled;
      stats.flattens = e.flattens;
      stats.parentsReplanned = e.replanned;
      stats.parentsLapsed = e.lapsed;
      stats.releasedAfterGrace = risk.releasedAfterGrace();
      if (venue !== undefined) {
        const working = venue.working();
        stats.working = working.length;
        stats.workingPartlyFilled = working.filter((w) => w.filled > 0).length;
        return stats;
      }
      // An order works while event time is before its `expiresAt` (the paper venue expires it there).
      const asOf = risk.status().asOf ?? Number.NEGATIVE_INFINITY;
      let working = 0;
      let partly = 0;
      let lapsed = 0;
      for (const [id, expiresAt] of unsettled) {
        const o = risk.order(id);
        if (o === undefined) {
          unsettled.delete(id);
          lapsedForgotten++;
        } else if (expiresAt <= asOf || !risk.inFlight(id)) lapsed++; // past its time-to-live (risk counts it for the grace, then lets it go)
        else {
          working++;
          if (o.qty !== undefined && o.remaining < o.qty) partly++;
        }
      }
      stats.working = working;
      stats.workingPartlyFilled = partly;
      stats.lapsed = lapsedForgotten + lapsed;
      return stats;
    },
  };
}
