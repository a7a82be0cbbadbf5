import type { WebSocket } from 'ws';
import type { Bus, CoreSubscriber, Subscription } from '../../streams/bus.js';
import type { Subjects } from '../../streams/subjects.js';
import type { Logger } from '../../state/logger.js';
import type { Identity } from './auth.js';
import type { Fill } from '../../streams/messages/fill.js';
import { ExpirySchema } from '../../streams/messages/expiry.js';
import { FillSchema } from '../../streams/messages/fill.js';
import type { Order } from '../../streams/messages/order.js';
import { OrderSchema } from '../../streams/messages/order.js';
import { createClientSession } from './client-session.js';
import type { ClientSession, FeedDirectory, SessionLimits } from './client-session.js';
import { configuredSymbols } from './configured-symbols.js';
import type { ConfiguredAsset } from './configured-symbols.js';
import { createFeedEntry } from './feed-entry.js';
import type { FeedEntry } from './feed-entry.js';
import { CloseCode, EVENT_TOPICS, TOPICS } from './protocol.js';
import type { Topic } from './protocol.js';
import { DEFAULT_FILL_PRICE_TOLERANCE_BPS } from '../../models/risk/fill-check.js';
import { DEFAULT_MAX_REPORT_BYTES } from '../../streams/validation/report-size.js';
import { createRelayAdmission } from './relay-admission.js';
import type { Admitted, EdgeValidation } from './relay-admission.js';
import { busPatterns, clientSymbolToken, routeSubject } from './topics.js';
import type { Route } from './topics.js';
import { statusFrame, upstreamOf } from './upstream-status.js';
import type { UpstreamStatus } from './upstream-status.js';
import { createRejectedVersions } from './rejected-versions.js';
import { createWorkingOrders, stillWorks } from './working-orders.js';

export type HubOptions = Readonly<{
  /** The bus the feed relays; its status (NATS down, reconnected) is told to every client. */
  bus: CoreSubscriber & Pick<Bus, 'onStatus'>;
  subjects: Subjects;
  limits: SessionLimits;
  heartbeatMs: number;
  log: Logger;
  /** Wall clock for heartbeats and rate/slow windows (injected in tests). */
  now?: () => number;
  /**
   * The configured assets' venues (`assets[].venue`), the only ones the feed carries: a subscribe or
   * unsubscribe entry `venue:symbol` naming another (`krakn:BTC/USDT`, a typo) is refused with
   * bad_request naming it and these; absent, any well-formed venue is taken.
   */
  venues?: readonly string[];
  /**
   * The configured assets (`assets[]`, venue and symbol), the only ones the feed carries: a
   * subscribe or unsubscribe entry naming a symbol none of them has (`ETH/USDT` where only
   * BTC/USDT is traded, a typo `BTC/USTD`), or none on its venue (`kraken:ETH/USDT`), is refused
   * with bad_request naming it and the closest configured symbols; their venues are `venues` when
   * that is absent. Absent, any well-formed symbol is taken.
   */
  assets?: readonly ConfiguredAsset[];
  /** Told the number of clients whenever it changes (the `sextant_ws_clients` gauge). */
  onClients?: (n: number) => void;
  /** Told why the server closed a client (`slow consumer`, `rate limit`, `too big`, `dead`). */
  onServerClose?: (reason: string) => void;
  /** Told whether the upstream (NATS) link is up, at start and whenever it changes (`sextant_ws_upstream_up`). */
  onUpstream?: (up: boolean) => void;
  /** Told of each bus message dropped as an already relayed id (`sextant_ws_duplicates_total`). */
  onDuplicate?: () => void;
  /** Ids remembered per kind (order, reject, fill, prediction) to drop republished messages (`gateway.recentIds`); default 10 000. */
  recentIds?: number;
  /**
   * The engine's edge validation of market data (`validation.maxPayloadBytes`, the configured
   * assets): an `md` message it would refuse (a zero or non-finite price, an unknown symbol, a
   * payload that disagrees with its subject, oversize) is not relayed, so no chart draws what the
   * engine dead-letters. Absent, `md` payloads are relayed as published. Its `isKnown` checks fills
   * as the engine does too (`decode-fill.ts`): a live consumer's fill the engine refuses (not a v1
   * fill, on another asset's subject, of an asset it does not trade) is never booked, so it is not
   * drawn on a chart or listed either; nor is an expiry it refuses so (`decode-expiry.ts`). With `maxAheadMs` (`validation.maxAheadMs`), market data and
   * fills (and expiries) stamped further ahead of the gateway's clock (`now`) are refused as the live engine refuses
   * them: relayed, one would move the event time that expires the `orders` snapshot's working orders.
   */
  marketData?: EdgeValidation;
  /**
   * Relay only the fills the engine books (`booked-fills.ts`): of an order the risk actor approved
   * (seen on `sx.exec.order.…`, or learnt with `learn`), as approved. A live consumer's fill the
   * engine dead-letters (UNKNOWN_ORDER, ORDER_MISMATCH) is not drawn or listed, and is counted in
   * `refusedFills`. An expiry is checked against them too (`BookedFills.expire`): one the engine
   * dead-letters (of no order it approved, of one filled in full, not of its order's quantities) is
   * not relayed, counted in `refusedExpiries`. The last `recentIds` approved orders are remembered.
   */
  bookedFills?: boolean;
  /** With `bookedFills`: the engine's `validation.fillPriceToleranceBps` (default 5), so a fill it refuses for its price is not listed either. */
  fillPriceToleranceBps?: number;
  /**
   * With `bookedFills` and the paper venue off: the engine's `validation.marketFillBandBps`, so a
   * market order's fill it refuses for its distance from the order's `refPrice` and from the latest
   * mid is not listed either. The latest mid is that of the market data the feed relays, validated
   * (with `marketData`; without it the feed holds no mid and checks against `refPrice` alone).
   * Left out, market fills are not checked (the engine books the paper venue's unchecked).
   */
  marketFillBandBps?: number;
  /**
   * The SIGNALS stream's `duplicateWindowMs` (default 120 000): with `bookedFills`, a fill the engine
   * refused and published again under its id (corrected) within this long of the refused one is
   * dropped by JetStream, so the engine never sees it and it is not relayed; later, the stream
   * stores it, the engine checks it afresh and the feed does too.
   */
  fillDuplicateWindowMs?: number;
  /**
   * The engine's `validation.maxReportBytes` (default 8192): a fill or expiry larger than this the
   * engine refuses (OVERSIZE) before it reads it, so it is not relayed either (with `marketData` or
   * `bookedFills`). The same setting as the engine's, so a desk that changes it gets one bound.
   */
  maxReportBytes?: number;
  /**
   * How many of the newest messages of each `orders` slot its snapshot holds (`gateway.ordersSnapshotDepth`,
   * default 100): orders and rejects per strategy, venue and symbol, fills per venue and symbol. A
   * client that resubscribes (after a 4008 or a dropped link) is sent the ones it missed, in seq order.
   * An approved order pushed out of its slot while the venue may still work it (no final fill, event
   * time before its `expiresAt`) stays in the snapshot, up to this many such orders per slot
   * (`working-orders.ts`).
   */
  ordersSnapshotDepth?: number;
  /**
   * How many of the newest bars of each `md` bar slot (venue, symbol and timeframe) its snapshot
   * holds (`gateway.mdSnapshotBars`, default 200): a dashboard opened after the bars went by draws
   * them (with only the newest, its charts showed a single candle). A bar of the open time of the
   * slot's newest replaces it. Trades and quotes keep their newest only. Live `md` deltas are
   * conflated for a slow client as before (newest per slot).
   */
  mdSnapshotBars?: number;
  /** Told of each working order the `orders` snapshot let go: over `ordersSnapshotDepth` of its slot held (`sextant_ws_orders_snapshot_dropped_total`). */
  onWorkingOrderDropped?: () => void;
  /**
   * `learn` will be called with what SIGNALS stored before the start (`orders-seed.ts`): until then
   * the `orders` topic's bus messages (orders, rejects, fills) are held, at most `recentIds` (past
   * that they are relayed as they come, with a warning), and `learn` applies them after the stored
   * ones, in arrival order, less those the read holds too (stored before it began: history, as the
   * rest of the read). So a fill of an order approved before the start that arrives while the
   * stream is read is not refused as of an unknown order, and the orders seeded come first in seq.
   */
  learnsStored?: boolean;
}>;

export type HubStats = Readonly<{
  clients: number;
  /** Clients with a conflated backlog (their socket is over maxBufferedBytes). */
  slowClients: number;
  seq: Readonly<Record<Topic, number>>;
  /** Bus messages dropped because their payload was not a JSON object. */
  invalid: number;
  /** Bus messages dropped because their id was already relayed (an engine restart republishing). */
  duplicates: number;
  /** `md` bars dropped as older than one already relayed for their venue, symbol and timeframe. */
  olderBars: number;
  /** `md` messages dropped because the engine's edge validation refuses them (see `HubOptions.marketData`). */
  refusedMarketData: number;
  /** Fills dropped because the engine refuses them (see `HubOptions.marketData` and `HubOptions.bookedFills`). */
  refusedFills: number;
  /** Live consumers' expiries dropped because the engine refuses them (not a v1 expiry, another asset's subject, an asset it does not trade, stamped ahead of the clock; with `bookedFills`, of no order it approved or not of its order: `BookedFills.expire`). */
  refusedExpiries: number;
  /** Approved orders still working that the `orders` snapshot holds beyond the last `ordersSnapshotDepth` of their slot. */
  workingOrdersHeld: number;
  /** Working orders let go because more than `ordersSnapshotDepth` of their slot were held. */
  workingOrdersDropped: number;
  /** Rejected model versions remembered for the start-up `seed` (0 once it ran; bounded before). */
  rejectedVersions: number;
  upstream: UpstreamStatus;
}>;

export type Hub = Readonly<{
  /** Feeds a topic from inside the process (`pnl`, `actors`): the engine's own state, keyed by `key`. */
  publishLocal(topic: Topic, key: string, data: unknown): void;
  /**
   * Bus messages stored before the gateway started, in stream order (the registry's model events):
   * each is routed and checked as a relayed one, the newest of each slot is kept for snapshots and
   * sent to subscribers — except where a relayed message filled that slot since the start, which is
   * newer than anything read from the stream. Of `models`, an alias move naming a version rejected
   * relayed since the start is not kept either: the read may predate that rejection, and would bring
   * back the promotion it dropped. Called once, by the start-up read (`models-seed.ts`): the
   * rejections relayed before it are then forgotten. Returns how many slots it filled.
   */
  seed(messages: readonly Readonly<{ subject: string; data: Uint8Array }>[]): number;
  /**
   * Orders and fills stored before the gateway started, in stream order (`sx.exec.order.…` and
   * `sx.exec.fill.…` of SIGNALS): they tell `bookedFills` which orders were approved and what each
   * has left, so a fill of an order approved before the start is relayed. Of the orders, those the
   * venue may still work (no final fill, fills short of its qty, event time — the newest `ts` read
   * or relayed — before its `expiresAt`) enter the `orders` snapshot as if relayed now, with the
   * fills read applied (`working-orders.ts`); nothing else read is sent to clients. With
   * `learnsStored`, the `orders` topic's bus messages held until now are then relayed (see there).
   * Returns how many approved orders the feed holds.
   */
  learn(messages: readonly Readonly<{ subject: string; data: Uint8Array }>[]): number;
  /** Takes over an upgraded connection. */
  attach(ws: WebSocket, identity: Identity): ClientSession;
  clientCount(): number;
  stats(): HubStats;
  /** Unsubscribes from the bus and closes every client (1001). */
  close(): void;
}>;

/**
 * `latest`: the newest entry per slot. `recent`, of an event topic (`orders`), the newest entries
 * per slot, oldest first, at most `ordersSnapshotDepth`: what its snapshot sends.
 */
const dec = new TextDecoder();

/** The model and version an alias slot's event names (a promotion or rollback); undefined if it names none. */
function aliasTarget(dataText: string): Readonly<{ name: unknown; version: unknown }> | undefined {
  const v: unknown = JSON.parse(dataText);
  return typeof v === 'object' && v !== null && 'name' in v && 'version' in v ? { name: v.name, version: v.version } : undefined;
}

/** The model and version of a `rejected` model event; undefined for another event. */
function rejectedPair(value: object): Readonly<{ name: string; version: number }> | undefined {
  return 'event' in value && value.event === 'rejected' && 'name' in value && typeof value.name === 'string' && 'version' in value && typeof value.version === 'number' ? { name: value.name, version: value.version } : undefined;
}

/** The newest bars of one `md` bar slot, oldest first, with their open times (`mdSnapshotBars` at most). */
type BarHistory = { ts: number; entry: FeedEntry }[];

type TopicState = { seq: number; latest: Map<string, FeedEntry>; recent?: Map<string, FeedEntry[]>; subscribers: Set<ClientSession> };

/**
 * The feed's hub: one bus subscription per subject family, a per-topic sequence and the latest
 * entry per slot (for snapshots), and a fan-out that frames each message once and hands it to
 * every subscribed session without waiting on any of them (a slow client conflates on its own).
 */
export function createHub(opts: HubOptions): Hub {
  const now = opts.now ?? Date.now;
  const log = opts.log.child({ gateway: 'ws' });
  const topics = new Map<Topic, TopicState>(TOPICS.map((t) => [t, { seq: 0, latest: new Map(), ...(EVENT_TOPICS.has(t) ? { recent: new Map() } : {}), subscribers: new Set() }]));
  const depth = opts.ordersSnapshotDepth ?? 100;
  if (!Number.isInteger(depth) || depth < 1) throw new Error(`ordersSnapshotDepth must be a positive integer, got ${depth}`);
  const mdBars = opts.mdSnapshotBars ?? 200;
  if (!Number.isInteger(mdBars) || mdBars < 1) throw new Error(`mdSnapshotBars must be a positive integer, got ${mdBars}`);
  /** Per `md` bar slot, its newest bars: what the `md` snapshot sends of it (the newest is also the slot's `latest`). */
  const bars = new Map<string, BarHistory>();
  const working = createWorkingOrders(depth, (entry, slot) => {
    opts.onWorkingOrderDropped?.();
    log.warn({ slot, seq: entry.seq, held: depth }, 'orders snapshot: a working order let go, more than ordersSnapshotDepth of its slot held (a reconnecting dashboard will not be sent it)');
  });
  const sessions = new Set<ClientSession>();
  const venueList = opts.venues ?? opts.assets?.map((a) => a.venue);
  const venues = venueList === undefined ? undefined : new Set(venueList);
  const unconfigured = opts.assets === undefined ? undefined : configuredSymbols(opts.assets);
  const relay = createRelayAdmission({
    subjects: opts.subjects,
    ...(opts.marketData !== undefined ? { marketData: opts.marketData } : {}),
    bookedFills: opts.bookedFills === true,
    fillPriceToleranceBps: opts.fillPriceToleranceBps ?? DEFAULT_FILL_PRICE_TOLERANCE_BPS,
    marketFillBandBps: opts.marketFillBandBps ?? null,
    recentIds: opts.recentIds ?? 10_000,
    fillDuplicateWindowMs: opts.fillDuplicateWindowMs ?? 120_000,
    maxReportBytes: opts.maxReportBytes ?? DEFAULT_MAX_REPORT_BYTES,
    now,
    ...(opts.onDuplicate !== undefined ? { onDuplicate: opts.onDuplicate } : {}),
  });
  const admit = relay.admit;
  /** Until `learn` (`learnsStored`), the `orders` topic's bus messages, in arrival order. */
  let early: { subject: string; data: Uint8Array }[] | undefined = opts.learnsStored === true ? [] : undefined;
  const maxEarly = opts.recentIds ?? 10_000;
  let closed = false;
  /**
   * The model versions rejected since the start, relayed: a stored promotion of one that `seed`
   * reads later (the stream or the registry read before the reject reached them) is stale, and must
   * not come back after the live drop. Bounded, and let go once `seed` ran (`rejected-versions.ts`).
   */
  const rejected = createRejectedVersions();
  let upstream: UpstreamStatus = { upstream: 'up', since: now(), gap: false };

  opts.onUpstream?.(true);

  const state = (topic: Topic): TopicState => topics.get(topic) as TopicState;

  const push = (route: Parameters<typeof createFeedEntry>[0], dataText: string): FeedEntry => {
    const t = state(route.topic);
    const entry = createFeedEntry(route, ++t.seq, dataText);
    t.latest.set(entry.slot, entry);
    if (t.recent !== undefined) {
      // An event does not stand for the one before it: the last `depth` of the slot are kept.
      const kept = t.recent.get(entry.slot);
      if (kept === undefined) t.recent.set(entry.slot, [entry]);
      else {
        kept.push(entry);
        // An order the venue still works is held past its slot's depth (`working-orders.ts`).
        if (kept.length > depth) working.shiftedOut(kept.shift() as FeedEntry);
      }
    }
    // Clients that keep up first, then the slow ones (they only queue and conflate): a stalled
    // client subscribed early must not put its bookkeeping ahead of everyone's socket write.
    let slow: ClientSession[] | undefined;
    for (const s of t.subscribers) {
      if (s.pending() === 0) s.deliver(entry);
      else (slow ??= []).push(s);
    }
    if (slow !== undefined) for (const s of slow) s.deliver(entry);
    return entry;
  };

  /**
   * A relayed `rejected` model event: the registry's reject cleared every alias of the model that
   * pointed at the rejected version, so their slots leave the `models` snapshot, as the start-up
   * seed drops them (`models-seed.ts`). Nothing is sent for the slots dropped: the protocol has no
   * removal frame, and the `rejected` delta relayed right after says it to current subscribers (the
   * page's alias table clears them on it: `alias-table.ts`); later subscribers' snapshots hold the
   * rejection, not the promotion. A slow client's queued promotion is still sent, before it.
   * The version is remembered (`rejected`), so `seed` does not bring a stored promotion of it back.
   */
  const dropRejectedAliases = (value: object): void => {
    const pair = rejectedPair(value);
    if (pair === undefined) return;
    rejected.add(pair.name, pair.version);
    const latest = state('models').latest;
    for (const [slot, e] of latest) {
      if (!slot.startsWith(`${pair.name}@`)) continue;
      const held = aliasTarget(e.dataText);
      if (held !== undefined && held.name === pair.name && held.version === pair.version) latest.delete(slot);
    }
  };

  /**
   * Whether a `models` entry moves an alias (its slot `name@alias`: `modelSlot`) to a version
   * rejected since the start (relayed): the registry cleared that alias,
   * and a rejected version is never promoted or rolled back to again.
   */
  const namesRejected = (route: Route, dataText: string): boolean => {
    if (route.topic !== 'models' || !route.slot.startsWith(`${route.key}@`)) return false;
    const held = aliasTarget(dataText);
    return held !== undefined && typeof held.name === 'string' && typeof held.version === 'number' && rejected.has(held.name, held.version);
  };

  /** Adds a relayed bar to its slot's history: one of the open time of the newest replaces it (never older: `bar-order.ts`). */
  const keepBar = (entry: FeedEntry, ts: number): void => {
    const kept = bars.get(entry.slot);
    if (kept === undefined) return void bars.set(entry.slot, [{ ts, entry }]);
    if (kept.at(-1)?.ts === ts) kept.pop();
    kept.push({ ts, entry });
    if (kept.length > mdBars) kept.shift();
  };

  const onBus = (subject: string, data: Uint8Array): void => {
    const m = admit(subject, data);
    if (m === undefined) return;
    const { route, value } = m;
    // Event time for the orders the snapshot holds while they work: market data and orders carry
    // it (model events and risk states may carry an operator's clock).
    if ((route.topic === 'md' || route.topic === 'orders') && 'ts' in value && typeof value.ts === 'number') working.advance(value.ts);
    if (route.idKind === 'fill') {
      const f = FillSchema.safeParse(value);
      if (f.success) working.filled(f.data);
    }
    if (route.idKind === 'expiry') {
      const e = ExpirySchema.safeParse(value);
      if (e.success) working.expired(e.data.orderId);
    }
    if (route.topic === 'models') dropRejectedAliases(value);
    const entry = push(route, m.text);
    if (route.topic === 'md' && 'type' in value && value.type === 'md.bar' && 'ts' in value && typeof value.ts === 'number') keepBar(entry, value.ts);
    if (route.idKind === 'order') {
      const o = OrderSchema.safeParse(value);
      if (o.success) working.approved(entry, o.data);
    }
  };

  /** Relays what was held until `learn`; from then on the `orders` topic is relayed as it comes. */
  const releaseEarly = (skip?: (subject: string, data: Uint8Array) => boolean): void => {
    const held = early ?? [];
    early = undefined;
    for (const m of held) if (skip?.(m.subject, m.data) !== true) onBus(m.subject, m.data);
  };

  const onBusOrHold = (subject: string, data: Uint8Array): void => {
    if (early !== undefined && routeSubject(opts.subjects, subject)?.topic === 'orders') {
      if (early.length < maxEarly) {
        early.push({ subject, data });
        return;
      }
      log.warn({ held: early.length }, 'feed: more orders, rejects and fills arrived than gateway.recentIds while the stored orders were read: relayed as they come (a fill of an order approved before the start may be withheld, and stored orders come after them in seq)');
      releaseEarly();
    }
    onBus(subject, data);
  };

  const subscriptions: Subscription[] = busPatterns(opts.subjects).map((p) => opts.bus.subscribe(p, onBusOrHold));
  subscriptions.push(
    opts.bus.onStatus((s) => {
      const next = upstreamOf(s);
      if (closed || next === undefined || next === upstream.upstream) return;
      upstream = { upstream: next, since: now(), gap: next === 'up' };
      opts.onUpstream?.(next === 'up');
      if (next === 'down') log.warn({ since: upstream.since }, 'feed upstream (NATS) down: clients told their data is stale');
      else log.info({ since: upstream.since }, 'feed upstream (NATS) back: clients told messages may have been missed');
      const frame = statusFrame(upstream);
      for (const s of sessions) s.status(frame);
    }),
  );

  const directory: FeedDirectory = {
    join: (topic, s) => state(topic).subscribers.add(s),
    leave: (topic, s) => state(topic).subscribers.delete(s),
    latest: (topic) => {
      const t = state(topic);
      // Of `orders`, the last `depth` of each slot and the older orders still working.
      if (t.recent !== undefined) return [...[...t.recent.values()].flat(), ...working.held()].sort((a, b) => a.seq - b.seq);
      // Of `md`, the last `mdBars` bars of each bar slot (its newest among them) and the newest trade and quote.
      if (topic === 'md') return [...[...t.latest.values()].filter((e) => !bars.has(e.slot)), ...[...bars.values()].flat().map((b) => b.entry)].sort((a, b) => a.seq - b.seq);
      return [...t.latest.values()].sort((a, b) => a.seq - b.seq);
    },
  };

  const heartbeat = setInterval(() => {
    const ts = now();
    for (const s of sessions) s.heartbeat(ts);
  }, opts.heartbeatMs);
  heartbeat.unref();

  return {
    publishLocal: (topic, key, data) => {
      if (closed) return;
      const symbol = typeof data === 'object' && data !== null && 'symbol' in data && typeof data.symbol === 'string' ? data.symbol : undefined;
      const symbolToken = symbol === undefined ? undefined : clientSymbolToken(symbol);
      push({ topic, key, slot: key, ...(symbolToken !== undefined ? { symbolToken } : {}) }, JSON.stringify(data ?? null));
    },
    seed: (messages) => {
      if (closed) return 0;
      // The newest stored message of each slot, in stream order (a later one moves to the end).
      const newest = new Map<string, { route: Route; text: string }>();
      for (const msg of messages) {
        const m = admit(msg.subject, msg.data);
        if (m === undefined) continue;
        const k = `${m.route.topic}|${m.route.slot}`;
        newest.delete(k);
        newest.set(k, m);
      }
      let filled = 0;
      for (const m of newest.values()) {
        // A stored alias move naming a version rejected live since the start would bring back the
        // promotion the relayed rejection dropped (the read began before it): skipped, as a slot
        // filled live is. Rejections among the messages are the reader's to fold, in stream order.
        if (state(m.route.topic).latest.has(m.route.slot) || namesRejected(m.route, m.text)) continue;
        push(m.route, m.text);
        filled++;
      }
      // The start-up read is folded in: later rejections need no memory (the live drop suffices).
      rejected.close();
      return filled;
    },
    learn: (messages) => {
      if (closed) return 0;
      // What arrived live while the stream was read: applied after it, less what the read holds
      // too (stored before the read began, so history like the rest of it). Compared by subject and
      // payload: a core delivery carries no stream sequence.
      const readKeys = early === undefined || early.length === 0 ? undefined : new Set(messages.map((m) => `${m.subject}\n${dec.decode(m.data)}`));
      const covered = (subject: string, data: Uint8Array): boolean => readKeys?.has(`${subject}\n${dec.decode(data)}`) === true;
      if (relay.approvedOrders() === undefined) {
        releaseEarly(covered);
        return 0;
      }
      /** The approved orders read, in stream order, with the fills of them booked. */
      const stored = new Map<string, { m: Admitted; order: Order; fills: Fill[] }>();
      /** The orders an expiry read says the venue works no more. */
      const expired = new Set<string>();
      let newest = -Infinity;
      for (const msg of messages) {
        const route = routeSubject(opts.subjects, msg.subject);
        if (route?.idKind !== 'order' && route?.idKind !== 'fill' && route?.idKind !== 'expiry') continue;
        // Held or booked, and its id remembered: a later republish is not relayed. One relayed
        // since the start is not admitted again: the snapshot and `working` have it already.
        const m = admit(msg.subject, msg.data, true);
        if (m === undefined) continue;
        if ('ts' in m.value && typeof m.value.ts === 'number' && m.value.ts > newest) newest = m.value.ts;
        if (route.idKind === 'order') {
          const o = OrderSchema.safeParse(m.value);
          if (o.success && !stored.has(o.data.id)) stored.set(o.data.id, { m, order: o.data, fills: [] });
        } else if (route.idKind === 'expiry') {
          const e = ExpirySchema.safeParse(m.value);
          if (e.success) expired.add(e.data.orderId);
        } else stored.get((m.value as Fill).orderId)?.fills.push(m.value as Fill); // decoded by admit (`decodeFill`)
      }
      // Event time at start: the newest read (or relayed since the start). Of the orders stored, those
      // the venue may still work enter the snapshot as relayed now (a seq each, subscribers told),
      // their fills applied: past `depth` of a slot they are held, past twice that let go (`working`).
      working.advance(newest);
      for (const { m, order, fills } of stored.values()) {
        if (!stillWorks(order, fills, working.eventTime(), expired.has(order.id))) continue;
        working.approved(push(m.route, m.text), order);
        for (const f of fills) working.filled(f);
      }
      releaseEarly(covered);
      return relay.approvedOrders() ?? 0;
    },
    attach: (ws, identity) => {
      const session = createClientSession({
        ws,
        identity,
        limits: opts.limits,
        directory,
        now,
        log,
        ...(venues === undefined ? {} : { venues }),
        ...(unconfigured === undefined ? {} : { unconfigured }),
        onClosed: (s, reason) => {
          sessions.delete(s);
          if (reason !== 'client') {
            opts.onServerClose?.(reason);
            log.info({ client: identity.name, reason }, 'websocket client closed by the server');
          }
          opts.onClients?.(sessions.size);
        },
      });
      sessions.add(session);
      opts.onClients?.(sessions.size);
      if (closed) session.close(CloseCode.GOING_AWAY, 'server closing');
      else session.status(statusFrame(upstream));
      return session;
    },
    clientCount: () => sessions.size,
    stats: () => ({
      clients: sessions.size,
      slowClients: [...sessions].filter((s) => s.pending() > 0).length,
      seq: Object.fromEntries(TOPICS.map((t) => [t, state(t).seq])) as Record<Topic, number>,
      ...relay.counts(),
      workingOrdersHeld: working.stats().held,
      workingOrdersDropped: working.stats().dropped,
      rejectedVersions: rejected.size(),
      upstream,
    }),
    close: () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      for (const s of subscriptions) s.unsubscribe();
      for (const s of sessions) s.close(CloseCode.GOING_AWAY, 'server closing');
    },
  };
}
