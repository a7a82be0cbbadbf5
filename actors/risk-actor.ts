import type { Clock, TimerHandle } from '../state/clock.js';
import { StoreError, StoreUnconfirmedError } from '../state/errors.js';
import { ANSWER_MARGIN_MS } from '../state/pg-durable-write.js';
import type { Logger } from '../state/logger.js';
import type { RiskStore, StoredRisk, WriteBound } from '../state/risk-store.js';
import type { CorePublisher, Delivery, DurableConsumer, DurablePublisher, Consumption } from '../streams/bus.js';
import { decodeText, encode } from '../streams/codec.js';
import type { RefusalReason } from '../streams/messages/dlq-entry.js';
import { ExpirySchema } from '../streams/messages/expiry.js';
import { FillSchema } from '../streams/messages/fill.js';
import type { Fill } from '../streams/messages/fill.js';
import type { MarketData } from '../streams/messages/market-data.js';
import type { RiskState } from '../streams/messages/risk-state.js';
import { SuggestionSchema } from '../streams/messages/suggestion.js';
import type { Suggestion } from '../streams/messages/suggestion.js';
import type { Subjects } from '../streams/subjects.js';
import { unroutableAsset } from '../streams/subjects.js';
import { toDlqEntry } from '../streams/validation/dlq.js';
import { refuse, schemaIssues } from '../streams/validation/refusal.js';
import { marketMid } from '../models/risk/market-mid.js';
import { CoreBookSnapshotSchema, createRiskCore, TradingSnapshotSchema } from '../models/risk/risk-core.js';
import type { ControlArgs, MarketMid, RiskCore, RiskDecision, RiskStatus, TradingSnapshot } from '../models/risk/risk-core.js';
import type { RiskLimits, RiskLimitsInput } from '../models/risk/risk-limits.js';
import { limitsLeftOut, parseRiskLimits } from '../models/risk/risk-limits.js';
import { limitsDrift } from '../models/risk/limits-drift.js';
import { createRiskStateStored } from './risk-state-stored.js';
import type { DecidedMark } from './decided-marks.js';
import type { LimitsChange, OperatorChanges, TradingChange } from './operator-changes.js';
import { sameMarks, storedLimitsOf } from './operator-changes.js';
import type { CurrencyConfig } from '../models/risk/account-currency.js';

export { ControlRequestSchema, createRiskCore, RiskControlError } from '../models/risk/risk-core.js';
export type { ControlArgs, ControlRequest, HaltScope, MarketMid, RiskCore, RiskCoreOptions, RiskDecision, RiskStatus } from '../models/risk/risk-core.js';

export type RiskActorDeps = Readonly<{
  bus: DurablePublisher & CorePublisher & DurableConsumer;
  subjects: Subjects;
  store: RiskStore;
  /** Stamps operator commands and dead-letter entries (which carry no event time of their own). */
  clock: Clock;
  log: Logger;
}>;

export type RiskActorOptions = Readonly<{
  account: string;
  /** Limits when the store has none for this account yet (stored limits win). */
  limits?: RiskLimitsInput;
  /** The account currency and conversions into it (config, not stored: see `RiskCoreOptions.currency`). */
  currency?: CurrencyConfig;
  /** Consume suggestions, fills and expiries from the SIGNALS stream (default true; false = push them in). */
  consume?: boolean;
  /** The SIGNALS stream's name under the configured prefix (`streamName(cfg, 'SIGNALS')`; default `SIGNALS`). */
  stream?: string;
  /** Durable consumer name (default `risk-<account>`). */
  durable?: string;
  dedupWindowMs?: number;
  /** How far past its limit (bps of it) a reported fill's price may be: config `validation.fillPriceToleranceBps` (see `RiskCoreOptions`). */
  fillPriceToleranceBps?: number;
  /** How far from its `refPrice`, or from the latest mid the book holds (bps of it), a reported fill of a market order may be: config `validation.marketFillBandBps` (see `RiskCoreOptions`). */
  marketFillBandBps?: number;
  /**
   * What the store holds for the account, read once by the caller at start-up and given here, so
   * what else it builds from that read (the paper venue from the orders stored with the book)
   * matches the book this actor starts from; read from the store when left out.
   */
  stored?: Partial<StoredRisk>;
  /**
   * How long the store write of an operator's command (halt, resume, reduce, limits) may wait, a
   * lock another session holds say, before it fails with nothing stored (`WriteBound`): the command
   * answers with the store's error instead of waiting past the operator's timeout. The command as
   * a whole (its wait behind earlier risk writes, both writes of a `limits set` that halts, a wait
   * for a pooled connection) is answered within this and twice `ANSWER_MARGIN_MS` of its receipt
   * (see `commanded`). Left out: no bound. The writes of suggestions, fills and market marks are
   * never bounded.
   */
  controlWriteTimeoutMs?: number;
  /**
   * In the engine: the operator's changes not covered by a risk-book write yet (shared with the
   * decision path's writes, cli/risk-persist.ts), and how far the decision path has decided now
   * (`DecidedMarks.snapshot`). Each change of a command is recorded with where it took effect and
   * stored in the trading or limits row with those before it (`pending`): a restart applies it
   * there, after deciding again the events the first run decided before it as it did. Left out (a
   * risk actor on its own): nothing is recorded.
   */
  changes?: OperatorChanges;
  decidedNow?: () => readonly DecidedMark[];
  /**
   * Run first by each operator command (halt, resume, reduce, limits set), awaited before it reads
   * the state it changes: in the engine, it waits for the decision path's recovery after a restart
   * (the events decided and published before it decided again as they were, the operator's changes
   * stored after the restored book in force where they took effect) and then puts any change still
   * pending in force (`DueChanges.flush`), so the command builds on the newest stored state, no
   * older pending change overwrites it later, and it changes no decision already published.
   */
  beforeCommand?: () => void | Promise<void>;
}>;

export type RiskActorHandle = Readonly<{
  core: RiskCore;
  /** Marks a mid (from the event sequencer or any market-data feed). */
  market(md: MarketData | MarketMid): Promise<void>;
  suggestion(s: Suggestion): Promise<RiskDecision>;
  fill(f: Fill): Promise<void>;
  halt(a: Omit<ControlArgs, 'ts'>): Promise<readonly RiskState[]>;
  /**
   * For risk writes and announcements made beside this actor, by the engine's decision path on
   * the same core (cli/decisions.ts): a trading snapshot the store took (`tradingStored`), and a
   * risk.state announced (`riskStateAnnounced`), so that a change announced `stored: false` is
   * announced again `stored: true` once any later write stores it (actors/risk-state-stored.ts).
   */
  tradingStored(trading: Readonly<{ seq: number }>): void;
  riskStateAnnounced(st: RiskState): void;
  resume(a: Omit<ControlArgs, 'ts'>): Promise<readonly RiskState[]>;
  reduce(a: Omit<ControlArgs, 'ts'>): Promise<readonly RiskState[]>;
  getLimits(): RiskLimits;
  setLimits(patch: unknown): Promise<RiskLimits>;
  status(): RiskStatus;
  /** Expiries this actor consumed (`sx.exec.expired.…`), applied and ignored. */
  stats(): Readonly<RiskActorStats>;
  stop(): Promise<void>;
}>;

export type RiskActorStats = {
  /** Expiries that released an order (or left it in flight only for the fills the venue says are to come). */
  expired: number;
  /**
   * Expiries of an order released already: its `expiresAt` and the grace after it
   * (`risk.limits.unreportedExpiryGraceMs`) passed before the report came, or a second report of it. Nothing to release; not in `expired` (the decision path's
   * `expiriesIgnored` counts the same in an engine). Many say a venue reports its expiries late.
   */
  expiriesIgnored: number;
  /** Expiries that repeat what their order's `final` fill said (it left the rest unfilled): not late, nothing to release (`RiskCore.recordFinalFillExpiry`). */
  expiriesConfirming: number;
  /**
   * Orders the book released with no report of their end once their `expiresAt` and the grace
   * after it (`risk.limits.unreportedExpiryGraceMs`) passed in event time (`RiskCore.releasedAfterGrace`),
   * each logged (warn). Many say a venue reports its expiries late or not at all.
   */
  releasedAfterGrace: number;
};

export const riskActorKey = (account: string): string => `risk:${account}`;

/**
 * Starts the risk actor of one account: loads limits, trading state and book from the store
 * (a HALTED account restarts HALTED), then turns each suggestion into an order on
 * `sx.exec.order.…` or a reject on `sx.exec.reject.…` (Nats-Msg-Id = the message id), keeps the
 * book from fills and expiries (`sx.exec.expired.…`: released at once), and announces trading-state changes on `sx.risk.state`. Everything goes
 * through one queue, so the core sees one ordered stream. Per batch, state is persisted before
 * the outputs are published and before the batch is acknowledged: a crash in between redelivers
 * the batch, and the core answers each identical suggestion with its earlier decision.
 */
export async function startRiskActor(deps: RiskActorDeps, opts: RiskActorOptions): Promise<RiskActorHandle> {
  const { account } = opts;
  const log = deps.log.child({ actor: riskActorKey(account) });
  const loaded = opts.stored ?? (await deps.store.load(account));
  // The limits row may hold the operator's changes not covered by a book write beside the limits.
  const stored = loaded.limits === undefined ? loaded : { ...loaded, limits: storedLimitsOf(loaded.limits) };
  const core = createRiskCore({
    account,
    limits: (stored.limits as RiskLimitsInput | undefined) ?? opts.limits ?? {},
    ...(stored.trading !== undefined ? { trading: TradingSnapshotSchema.parse(stored.trading) } : {}),
    ...(stored.book !== undefined ? { book: CoreBookSnapshotSchema.parse(stored.book) } : {}),
    ...(opts.dedupWindowMs !== undefined ? { dedupWindowMs: opts.dedupWindowMs } : {}),
    ...(opts.fillPriceToleranceBps !== undefined ? { fillPriceToleranceBps: opts.fillPriceToleranceBps } : {}),
    ...(opts.marketFillBandBps !== undefined ? { marketFillBandBps: opts.marketFillBandBps } : {}),
    ...(opts.currency !== undefined ? { currency: opts.currency } : {}),
    // Event time: a venue that reports expiries late or not at all (counted in `releasedAfterGrace`).
    onReleasedAfterGrace: (o, now, graceMs) =>
      log.warn(
        { orderId: o.orderId, strategy: o.strategy, key: o.key, side: o.side, left: o.awaited ?? o.remaining, expiresAt: o.expiresAt, ts: now, graceMs },
        'order released from the risk limits with no report of its end: its expiresAt and the grace after it (risk.limits.unreportedExpiryGraceMs) passed in event time; a fill of it that comes later counts in no limit until it comes',
      ),
  });
  // A limit added since the stored row was written (an upgrade: `unreportedExpiryGraceMs`) takes
  // its default, as a fresh account's would; said once at each start until an operator stores one.
  const leftOut = stored.limits === undefined ? [] : limitsLeftOut(stored.limits);
  let config: ReturnType<typeof parseRiskLimits> | undefined;
  if (stored.limits !== undefined && opts.limits !== undefined) {
    try {
      config = parseRiskLimits(opts.limits);
    } catch (e) {
      log.warn({ err: String(e) }, `the configuration's risk limits are not valid: those stored for account ${account} are in force`);
    }
  }
  // Stored limits win over the configuration's (an operator's `ctl limits set` survives a
  // restart): a configuration changed since the first start is not in force, and says so. A limit
  // the stored row has not is not a stored one: said apart, with the default in force. After a
  // restart the core starts from the limits stored with the book, and a `limits set` stored after
  // it is put in force later, where it took effect (`opts.changes`): the newest stored limits,
  // those in force once it is, are the ones compared.
  const newestStored = opts.changes?.limits().at(-1)?.limits ?? core.getLimits();
  const drift = config === undefined ? [] : limitsDrift(newestStored, config);
  const leftOutKeys = new Set<string>(leftOut);
  const isLeftOut = (key: string): boolean => leftOutKeys.has(key);
  if (leftOut.length > 0) {
    const inForce = core.getLimits();
    const configNotUsed = drift.filter((d) => isLeftOut(d.key));
    log.warn(
      { defaulted: Object.fromEntries(leftOut.map((k) => [k, inForce[k]])), ...(configNotUsed.length > 0 ? { configNotUsed: Object.fromEntries(configNotUsed.map((d) => [d.key, d.config])) } : {}) },
      `risk limits stored for account ${account} have no ${leftOut.join(', ')} (stored before ${leftOut.length === 1 ? 'it' : 'they'} existed): the default${leftOut.length === 1 ? ' is' : 's are'} in force${configNotUsed.length > 0 ? `, not the configuration's` : ''} (any \`sextant ctl limits set\` stores every limit)`,
    );
  }
  if (stored.limits === undefined) await deps.store.saveLimits(account, core.getLimits(), deps.clock.now());
  const storedDrift = drift.filter((d) => !isLeftOut(d.key));
  if (storedDrift.length > 0) {
    log.warn(
      { limits: Object.fromEntries(storedDrift.map((d) => [d.key, { inForce: d.stored, config: d.config }])) },
      `risk limits ${storedDrift.map((d) => d.key).join(', ')} stored for account ${account} differ from the configuration's: the stored ones are in force (\`sextant ctl limits set\` changes them)`,
    );
  }

  const stats: RiskActorStats = { expired: 0, expiriesIgnored: 0, expiriesConfirming: 0, releasedAfterGrace: 0 };
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn);
    chain = run.catch(() => {});
    return run;
  };

  /** A change announced `stored: false` is announced again, `stored: true`, once a later write stores it. */
  const storedLater = createRiskStateStored(account, (st) => {
    deps.bus.emit(deps.subjects.riskState(), encode(st));
    log.info({ state: st.state, id: st.id }, 'risk state stored after it was announced as not stored');
  });
  const announce = (states: readonly RiskState[]): void => {
    for (const st of states) deps.bus.emit(deps.subjects.riskState(), encode(st));
    for (const st of states) log.warn({ state: st.state, previous: st.previous, reason: st.reason, ...(st.stored === false ? { stored: false } : {}) }, 'risk state changed');
    for (const st of states) storedLater.announced(st);
  };
  const unstoredStates = (states: readonly RiskState[]): RiskState[] => states.map((st) => ({ ...st, stored: false }));
  /**
   * Changes an operator's command put in force before they are stored (a halt is in force from its
   * receipt, the halt a `limits set` causes from the limits'): announced once, when stored, or
   * flagged `stored: false` as soon as storing them fails or the command's deadline passes first
   * (dashboards and consumers would otherwise show the state before while the engine refuses
   * everything); announced again, `stored: true`, should a later write store them (`storedLater`).
   */
  const inForce = (): Readonly<{ add(states: readonly RiskState[]): void; stored(): void; notStored(): void }> => {
    let pending: RiskState[] = [];
    const take = (): RiskState[] => {
      const out = pending;
      pending = [];
      return out;
    };
    return {
      add: (states) => {
        pending = [...pending, ...states];
      },
      stored: () => announce(take()),
      notStored: () => announce(unstoredStates(take())),
    };
  };
  const publishDecision = async (d: RiskDecision): Promise<void> => {
    if (d.kind === 'order') {
      const o = d.order;
      await deps.bus.publish(deps.subjects.order(o.strategy, o.venue, o.symbol), encode(o), { msgId: o.id });
    } else {
      const r = d.reject;
      await deps.bus.publish(deps.subjects.reject(r.strategy, r.venue, r.symbol), encode(r), { msgId: r.id });
    }
  };
  // The book alone: this actor's own writes (its consumer, `suggestion`, `fill`) are those of a
  // risk actor on its own. In the engine the decision path writes the book with the paper venue's
  // orders (cli/risk-persist.ts), and cli/decisions.ts leaves these paths off its handle.
  // A trading state whose write failed is written with the next (a batch's redelivery changes it no more).
  let tradingUnstored = false;
  const changes = opts.changes;
  const decidedNow = opts.decidedNow ?? ((): readonly DecidedMark[] => []);
  /** The trading row: the state, and the operator's changes not covered by a book write yet. */
  const tradingRow = (t: TradingSnapshot): unknown => {
    const pending = changes?.trading() ?? [];
    return pending.length === 0 ? t : { ...t, pending };
  };
  const limitsRow = (l: RiskLimits): unknown => {
    const pending = changes?.limits() ?? [];
    return pending.length === 0 ? l : { ...l, pending };
  };
  /** Records a command's trading change where it takes effect now (none for a risk actor on its own). */
  const recordTrading = (trading: TradingSnapshot): TradingChange | undefined => {
    if (changes === undefined) return undefined;
    const c: TradingChange = { at: decidedNow(), trading };
    changes.addTrading(c);
    return c;
  };
  /**
   * A change in force only once stored (a resume, reduce-only, limits) was recorded where its write
   * began; it takes effect now. Should the decision path have decided events meanwhile, it is
   * recorded and stored again with where it took effect (a failed write is logged: the next
   * write of the row stores it).
   */
  const tookEffect = async <C extends TradingChange | LimitsChange>(c: C | undefined, write: () => Promise<void>): Promise<void> => {
    if (c === undefined || changes === undefined) return;
    const at = decidedNow();
    if (sameMarks(at, c.at)) return;
    const next = { ...c, at };
    changes.replace(c, next);
    try {
      await write();
    } catch (e) {
      log.warn({ err: String(e) }, "an operator's change is in force, but where it took effect in the decided stream was not stored: a restart before the next write of it applies it from where its write began");
    }
  };
  const saveTrading = async (now: number): Promise<void> => {
    tradingUnstored = true;
    const trading = core.trading();
    await deps.store.saveTrading(account, tradingRow(trading), now);
    tradingUnstored = false;
    storedLater.stored(trading);
  };
  const persist = async (tradingChanged: boolean): Promise<void> => {
    const now = deps.clock.now();
    if (tradingChanged || tradingUnstored) await saveTrading(now);
    await deps.store.saveBook(account, core.bookSnapshot(), now);
  };
  /**
   * Stores what changed, then runs `then` (the publications), and announces `states` (changes the
   * core made in force already: a breach's halt) however that goes: with `stored: false` as soon as
   * the write fails (the caller fails, a batch is redelivered, and its replay changes the state no
   * more, so this is the only announcement), and once stored even when a publication after fails.
   */
  const storeThenAnnounce = async (states: readonly RiskState[], write: () => Promise<void>, then: () => Promise<void> = async () => {}): Promise<void> => {
    try {
      await write();
    } catch (e) {
      announce(unstoredStates(states));
      throw e;
    }
    try {
      await then();
    } finally {
      announce(states);
    }
  };
  const bound = opts.controlWriteTimeoutMs;
  const fullBound: WriteBound | undefined = bound === undefined ? undefined : { timeoutMs: bound };
  /**
   * How long after its receipt an operator's command is answered at the latest: its write's bound
   * and the store's answer margin, and one margin more for the wait behind earlier writes. Past it
   * the reply is a retryable `StoreError` (UNAVAILABLE), well before `sextant ctl` gives up (5 s,
   * with `control.auditDeadlineMs` after it).
   */
  const answerMs = bound === undefined ? undefined : bound + 2 * ANSWER_MARGIN_MS;
  /**
   * Runs an operator's command in the queue, after the writes before it (the store's writes stay in
   * order), and answers it within `answerMs` of its receipt, whatever the store does: a book write
   * ahead of it on a server that stopped answering waits the pool's 15 s (postgres.queryTimeoutMs),
   * another command's write its own bound, a pooled connection up to 3 s. Past the deadline the
   * reply says what became of it: a command whose turn had not come is not carried out when it
   * comes (`late: 'drop'`), or, a halt, is stored then (`late: 'run'`: it is in force already);
   * one whose write was under way takes effect if the store still takes it (logged): a write still
   * waiting for a pooled connection is given up then, one whose statements were sent may commit, so
   * the reply is a `StoreUnconfirmedError` (not confirmed, not "not done").
   *
   * `left()` is the bound for a write that is to end by the deadline: the full bound when the
   * command waited at most a margin for its turn, less by what it waited longer.
   */
  const commanded = <T>(late: 'drop' | 'run', job: (left: () => WriteBound | undefined) => Promise<T>): Promise<T> => {
    if (bound === undefined || answerMs === undefined) return serial(() => job(() => undefined));
    const receivedAt = deps.clock.now();
    let passed = false;
    let begun = false;
    const leftMs = (): number => receivedAt + bound + ANSWER_MARGIN_MS - deps.clock.now();
    // `remainingMs`: read again once the write has its connection, so a command answered as not
    // done is not stored after that answer because a pooled connection came late.
    const left = (): WriteBound => ({ timeoutMs: Math.max(1, Math.min(bound, leftMs())), remainingMs: leftMs });
    const run = serial(async () => {
      if (passed && late === 'drop') throw new StoreError('operator command given up before its turn: not carried out', false);
      begun = true;
      const out = await job(left);
      if (passed) log.warn({ waitedMs: deps.clock.now() - receivedAt }, "an operator's command was stored after its reply said it was not: in force now");
      return out;
    });
    let timer: TimerHandle | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = deps.clock.setTimeout(() => {
        passed = true;
        const why = begun ? 'the store has not answered its write' : 'it waits behind an earlier risk write the store has not answered';
        const then = late === 'run' ? 'it is stored once the store takes it' : begun ? 'it takes effect if the store still takes it (a write still waiting for a connection is given up)' : 'it is not carried out';
        const message = `risk store: no answer within ${answerMs} ms of the command (control.riskWriteTimeoutMs, ${bound} ms, and 2 × ${ANSWER_MARGIN_MS} for the store's answer): ${why}; ${then}`;
        reject(late === 'drop' && begun ? new StoreUnconfirmedError(message, true) : new StoreError(message, true));
      }, answerMs);
    });
    run.catch((e: unknown) => {
      if (passed) log.warn({ err: String(e) }, "an operator's command answered as not stored ended");
    });
    return Promise.race([run, deadline]).finally(() => {
      if (timer !== undefined) deps.clock.clearTimeout(timer);
    });
  };
  /**
   * An operator's command. A halt takes effect at once, when it is received (the kill switch:
   * nothing decided after it may pass, even while earlier risk writes hold the queue), again in its
   * turn should something before it in the queue have moved the state (a resume being stored), and
   * stays in effect if storing it fails (the reply is the error; announced on `sx.risk.state` with
   * `stored: false` then, or when the deadline passes first: `inForce`). A resume or reduce-only takes
   * effect only once stored: the new state is worked out and the old one put back until the store
   * has the new one, so a failed write leaves the account as it was, as the reply says and as a
   * restart would find it. Should the state move while it is being stored (the decision path
   * halting on a breach: every change bumps `seq`), the command is decided again on the state it
   * moved to, and stored again. Each write waits at most `controlWriteTimeoutMs` (a lock held on
   * the table): past it the write fails, nothing stored, with the same outcome as any failed
   * write; and the command is answered within `answerMs` (`commanded`).
   */
  // Async: a command refused at once (a RiskControlError) rejects, as one refused in its turn does.
  const control = async (fn: (ts: number) => RiskState[], effect: 'at-once' | 'once-stored'): Promise<readonly RiskState[]> => {
    await opts.beforeCommand?.();
    const ts = deps.clock.now();
    const early = effect === 'at-once' ? fn(ts) : [];
    const seqAtReceipt = core.trading().seq;
    if (early.length > 0) recordTrading(core.trading());
    const unstored = inForce();
    unstored.add(early);
    const run = commanded(effect === 'at-once' ? 'run' : 'drop', async (left) => {
      for (;;) {
        const before = core.trading();
        const states = effect === 'at-once' && before.seq === seqAtReceipt ? [] : fn(ts);
        const after = core.trading();
        const deferred = effect === 'once-stored' && states.length > 0;
        const change = states.length > 0 ? recordTrading(after) : undefined;
        if (deferred) core.restoreTrading(before);
        else unstored.add(states);
        try {
          await deps.store.saveTrading(account, tradingRow(after), ts, effect === 'at-once' ? fullBound : left());
        } catch (e) {
          // A halt's changes (in force) only: a deferred one was put back. The halt is written
          // with this actor's next write (a batch, a mark), as a breach's whose write failed.
          if (!deferred) tradingUnstored = true;
          else if (change !== undefined) changes?.remove(change);
          unstored.notStored();
          throw e;
        }
        storedLater.stored(after);
        if (deferred) {
          if (core.trading().seq !== before.seq) {
            if (change !== undefined) changes?.remove(change);
            continue;
          }
          core.restoreTrading(after);
          await tookEffect(change, () => deps.store.saveTrading(account, tradingRow(after), ts, left()));
          announce(states);
        } else unstored.stored();
        return [...early, ...states];
      }
    });
    // Past the deadline (or failed): what is in force and not announced yet is announced now.
    run.catch(() => unstored.notStored());
    return run;
  };

  /**
   * One batch of `sx.exec.…` deliveries: our own orders and rejects are skipped. A refused message
   * goes to `sx.dlq.risk`, and the batch is acknowledged only once those publishes are stored: a
   * failed one fails the batch, whose redelivery replays its decisions (same ids, see
   * `RiskCore.onSuggestion`) and refuses the message again, so nothing refused is lost.
   */
  const handleBatch = (batch: readonly Delivery[]): Promise<void> =>
    serial(async () => {
      const decisions: RiskDecision[] = [];
      const states: RiskState[] = [];
      const refusals: Promise<unknown>[] = [];
      const dlq = (d: Delivery, reason: RefusalReason, detail: string): void => {
        const entry = toDlqEntry({ source: 'risk', subject: d.subject, data: d.data, refusal: refuse(reason, detail), ts: deps.clock.now(), streamSeq: d.streamSeq });
        log.warn({ subject: d.subject, reason, detail }, 'refused risk input');
        const sent = deps.bus.publish(deps.subjects.dlq('risk'), encode(entry), { msgId: entry.id });
        sent.catch(() => {}); // awaited below; this keeps a failure before then from going unhandled
        refusals.push(sent);
      };
      for (const d of batch) {
        let raw: unknown;
        try {
          raw = JSON.parse(decodeText(d.data));
        } catch {
          dlq(d, 'MALFORMED_JSON', 'not JSON');
          continue;
        }
        const type = typeof raw === 'object' && raw !== null && 'type' in raw ? raw.type : undefined;
        if (type === 'exec.suggest') {
          const p = SuggestionSchema.safeParse(raw);
          // A suggestion whose decision no subject could carry would fail the batch on every redelivery.
          const unroutable = p.success ? unroutableAsset(deps.subjects, p.data.venue, p.data.symbol, p.data.strategy) : undefined;
          if (!p.success) dlq(d, 'SCHEMA', schemaIssues(p.error.issues));
          else if (unroutable !== undefined) dlq(d, 'SCHEMA', unroutable);
          else {
            const dec = core.onSuggestion(p.data, p.data.ts);
            decisions.push(dec);
            states.push(...dec.stateChanges);
          }
        } else if (type === 'exec.fill') {
          const p = FillSchema.safeParse(raw);
          const mismatch = p.success ? core.checkFill(p.data) : undefined;
          if (!p.success) dlq(d, 'SCHEMA', schemaIssues(p.error.issues));
          else if (mismatch !== undefined) dlq(d, mismatch.reason, mismatch.detail);
          else states.push(...core.onFill(p.data));
        } else if (type === 'exec.expired') {
          // The venue works the order no more: it stops counting in flight now (a second report changes nothing).
          const p = ExpirySchema.safeParse(raw);
          const mismatch = p.success ? core.checkExpiry(p.data) : undefined;
          if (!p.success) dlq(d, 'SCHEMA', schemaIssues(p.error.issues));
          else if (mismatch !== undefined) dlq(d, mismatch.reason, mismatch.detail);
          else if (!core.expirable(p.data.orderId) && core.recordFinalFillExpiry(p.data.orderId)) {
            stats.expiriesConfirming++; // its final fill expired it: the same news again
          } else if (!core.expirable(p.data.orderId)) {
            // Released before (its `expiresAt` and grace passed, a second report): nothing to release, counted apart.
            stats.expiriesIgnored++;
            log.info({ orderId: p.data.orderId, reason: p.data.reason, ts: p.data.ts }, 'expiry of an order released already: nothing to release');
          } else {
            stats.expired++;
            states.push(...core.onExpired(p.data));
          }
        } else if (type !== 'exec.order' && type !== 'exec.reject') {
          // Orders and rejects are this actor's own; anything else on `sx.exec.>` is not a message it knows.
          dlq(d, 'SCHEMA', `type: expected exec.suggest, exec.fill or exec.expired (exec.order and exec.reject are skipped), got ${JSON.stringify(type)}`);
        }
      }
      await storeThenAnnounce(states, () => persist(states.length > 0), async () => {
        for (const dec of decisions) await publishDecision(dec);
      });
      await Promise.all(refusals);
    });

  const signals = deps.subjects.streamSubjects.SIGNALS.find((s) => s.endsWith('.exec.>'));
  let consumption: Consumption | undefined;
  if ((opts.consume ?? true) && signals !== undefined) {
    consumption = deps.bus.consume({ stream: opts.stream ?? 'SIGNALS', durable: opts.durable ?? `risk-${account}`, filterSubject: signals }, handleBatch);
    consumption.done.catch((e: unknown) => log.error({ err: String(e) }, 'risk consumer ended'));
  }

  return {
    core,
    market: (md) =>
      serial(async () => {
        const states = core.onMarket('type' in md ? marketMid(md) : md);
        if (states.length > 0 || tradingUnstored) await storeThenAnnounce(states, () => saveTrading(deps.clock.now()));
      }),
    suggestion: (s) =>
      serial(async () => {
        const dec = core.onSuggestion(s, s.ts);
        await storeThenAnnounce(dec.stateChanges, () => persist(dec.stateChanges.length > 0), () => publishDecision(dec));
        return dec;
      }),
    fill: (f) =>
      serial(async () => {
        const states = core.onFill(f);
        await storeThenAnnounce(states, () => persist(states.length > 0));
      }),
    halt: (a) => control((ts) => core.halt({ ...a, ts }), 'at-once'),
    tradingStored: (t) => storedLater.stored(t),
    riskStateAnnounced: (st) => storedLater.announced(st),
    resume: (a) => control((ts) => core.resume({ ...a, ts }), 'once-stored'),
    reduce: (a) => control((ts) => core.reduce({ ...a, ts }), 'once-stored'),
    getLimits: () => core.getLimits(),
    setLimits: async (patch) => {
      await opts.beforeCommand?.();
      core.limitsWith(patch); // a patch that is not valid is refused now, not after the writes before it
      // One deadline for both writes (the limits, then the halt they cause): `commanded`.
      const unstored = inForce();
      const run = commanded('drop', async (left) => {
        // In force only once stored, as a resume: a failed write leaves the limits as they were,
        // as the reply (the error) says and as a restart would find them.
        const limits = core.limitsWith(patch);
        const now = deps.clock.now();
        const change: LimitsChange | undefined = changes === undefined ? undefined : { at: decidedNow(), limits };
        if (change !== undefined) changes?.addLimits(change);
        try {
          await deps.store.saveLimits(account, limitsRow(limits), now, left());
        } catch (e) {
          if (change !== undefined) changes?.remove(change);
          throw e;
        }
        core.useLimits(limits);
        await tookEffect(change, () => deps.store.saveLimits(account, limitsRow(limits), now, left()));
        // A loss limit lowered below the loss already made halts now, as a breach would (at once,
        // like a halt: it stays in effect if storing the state fails).
        const states = core.checkLimits(now);
        if (states.length > 0) {
          unstored.add(states);
          const trading = core.trading();
          recordTrading(trading);
          try {
            await deps.store.saveTrading(account, tradingRow(trading), now, fullBound);
          } catch (e) {
            tradingUnstored = true;
            unstored.notStored();
            throw e;
          }
          storedLater.stored(trading);
          unstored.stored();
        }
        return limits;
      });
      run.catch(() => unstored.notStored());
      return run;
    },
    status: () => core.status(),
    stats: () => ({ ...stats, releasedAfterGrace: core.releasedAfterGrace() }),
    stop: async () => {
      if (consumption !== undefined) await consumption.stop();
      await chain;
    },
  };
}
